# SPDX-License-Identifier: Apache-2.0
# The two commands the README opens with, and their helpers.
#   make demo  — hydra's main job on an embedded default, in throwaway namespaces
#   make test  — the whole test suite (unit, integration as root)
#   make bench — benchmark programs; rewrites BENCHMARKS.md
BUILD ?= build
JOBS  ?= $(shell nproc)
# Every build compiles sources in batches (unity builds): about twice as fast.
# Each file is still compiled alone by clang-tidy (scripts/tidy), from the
# per-file commands of a configure of its own. Ninja compiles a library while
# the one below it is still being built (make's generator waits for each).
UNITY = -G Ninja -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16

.PHONY: all deps build sanitize-build tsan-build fuzz-build test fuzz tidy demo bench install package image clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(UNITY) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

# One clang build (build-asan) holds the unit and integration suites under
# ASan + UBSan and the libFuzzer targets: the libraries are compiled once for
# both. Line tables only: enough for every report's stack.
fuzz-build: deps
	@scripts/fuzz build

sanitize-build: deps
	@scripts/fuzz configure
	@cmake --build build-asan -j $(JOBS) --target unit_tests integration_tests hydrad hydractl fake_dockerd \
	  $$(scripts/fuzz targets) >/dev/null

# The same suites with ThreadSanitizer (build-tsan): data races fail them.
tsan-build: deps
	@[ -f build-tsan/CMakeCache.txt ] || cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DHYDRA_TSAN=ON $(UNITY) \
	  -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target unit_tests integration_tests hydrad hydractl >/dev/null

test: build sanitize-build tsan-build
	@scripts/run-tests $(BUILD)

# clang-tidy over src/ (also part of make test).
tidy: build
	@scripts/tidy $(BUILD)

# Longer fuzzing than the 10 s per target of make test.
FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	@scripts/fuzz all $(FUZZ_SECONDS)

demo: build
	@scripts/demo $(BUILD) $(ARGS)

bench: build
	@scripts/bench $(BUILD)

install: build
	@cmake --install $(BUILD)

package: build
	@cd $(BUILD) && cpack -G DEB

# The hydrad OCI image, offline (buildah): $(BUILD)/hydrad-image.tar, docker load-able.
image: build
	@scripts/image $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan
