# Entry points for a fresh Debian 12 machine: `make demo` and `make test`.
# Each installs the Debian packages it needs, builds in Release and runs.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test clean

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

clean:
	rm -rf $(BUILD_DIR)
