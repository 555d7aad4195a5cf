# Entry points for a fresh Debian 12 machine: `make demo` and `make test`.
# Each installs the Debian packages it needs, builds in Release and runs.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test package test-package clean

all: build

deps:
	./packaging/install-build-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	./cli/demo.sh $(BUILD_DIR)/cli/pwsvc

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The Debian package goes to $(BUILD_DIR)/pwsvc_VERSION_ARCH.deb.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# Installs, checks and purges the newest package on this machine: needs root.
test-package: package
	./packaging/install-build-deps.sh man-db curl
	./packaging/debian/test-package.sh "$$(ls -t $(BUILD_DIR)/pwsvc_*.deb | head -n 1)"

clean:
	rm -rf $(BUILD_DIR)

# Fuzzing and sanitizer runs; each needs clang-14 and libclang-rt-14-dev.
# `make fuzz` runs every libFuzzer target for FUZZ_SECONDS from a random seed
# and the kept corpus. `make fuzz-smoke` runs each for 20 s from a fixed seed
# and an empty corpus, so CI runs vary less and a CI failure is likely to
# repeat here. Both fail on any crash, leak or timeout.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SEED ?= 1
SANITIZER_DEPS = clang-14 libclang-rt-14-dev

.PHONY: fuzz fuzz-smoke test-asan test-tsan

fuzz:
	./packaging/install-build-deps.sh $(SANITIZER_DEPS)
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

fuzz-smoke:
	./packaging/install-build-deps.sh $(SANITIZER_DEPS)
	tests/fuzz/run.sh --seconds 20 --random-seed $(FUZZ_SMOKE_SEED)

# The whole CTest suite under AddressSanitizer and UndefinedBehaviorSanitizer.
# The sanitizer runtimes need dynamic linking, so bootstrap is not static here,
# and lambda_package, which checks the static bootstrap's zip, is left out.
test-asan:
	./packaging/install-build-deps.sh $(SANITIZER_DEPS)
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DPWSVC_SANITIZE=address,undefined -DPWSVC_LAMBDA_STATIC=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E '^lambda_package$$'

# The daemon, CLI-remote and service tests under ThreadSanitizer.
test-tsan:
	./packaging/install-build-deps.sh $(SANITIZER_DEPS)
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DPWSVC_SANITIZE=thread -DPWSVC_LAMBDA_STATIC=OFF
	cmake --build build-tsan -j $(JOBS) --target pwsvc pwsvcd service_tests
	cd build-tsan && \
	  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) \
	    -R '^(daemon_end_to_end|daemon_systemd|cli_remote_end_to_end|service: .*|json body: .*|worker pool: .*)$$'
