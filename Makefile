# The two commands the README opens with, and their helpers.
#   make demo  — hydra's main job on an embedded default, in throwaway namespaces
#   make test  — the whole test suite (unit, integration as root)
#   make bench — benchmark programs; rewrites BENCHMARKS.md
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps build test demo bench install package clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

test: build
	@scripts/run-tests $(BUILD)

demo: build
	@scripts/demo $(BUILD) $(ARGS)

bench: build
	@scripts/bench $(BUILD)

install: build
	@cmake --install $(BUILD)

package: build
	@cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD)
