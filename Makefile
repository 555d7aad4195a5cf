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
