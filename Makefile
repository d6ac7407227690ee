# The two set-up commands (README): `make demo` and `make test`. Each installs what is missing
# (scripts/bootstrap, Debian packages only), configures and builds with the CMake presets.
JOBS ?= 2
CTEST_ARGS ?=

.PHONY: all demo test bootstrap release debug plain asan tsan test-debug test-plain test-asan test-tsan test-fuzz fuzz bench clean \
        install package docs check-install

all: release

bootstrap:
	@scripts/bootstrap

build/%/build.ninja: | bootstrap
	cmake --preset $* >/dev/null

release: bootstrap build/release/build.ninja
	cmake --build --preset release -j $(JOBS)

debug: bootstrap build/debug/build.ninja
	cmake --build --preset debug -j $(JOBS)

# The plain stage of `make test`: the tests no sanitizer stage runs (target tests-plain: labels
# reliability, pg, docs; with them crewctl, the examples and the benchmark programs).
plain: bootstrap build/debug/build.ninja
	cmake --build --preset debug -j $(JOBS) --target tests-plain

# The sanitizer stages build only the tests they run: one build target per test label
# (tests/CMakeLists.txt), the same labels as their test presets (CMakePresets.json).
ASAN_TARGETS = tests-unit tests-integration tests-cli
asan: bootstrap build/asan/build.ninja
	cmake --build --preset asan -j $(JOBS) --target $(ASAN_TARGETS)

# TSan covers the threaded layers (labels engine and batch).
TSAN_TARGETS = tests-engine tests-batch
tsan: bootstrap build/tsan/build.ninja
	cmake --build --preset tsan -j $(JOBS) --target $(TSAN_TARGETS)

# The main job: a batch against the embedded simulator. Builds crewctl and the libraries it links,
# nothing else (no tests, fuzzers or benchmarks), so the first result comes quickly. It uses the
# debug preset: unoptimised code compiles in about 3/4 of the CPU time of -O3, the batch is bound
# by the crew's run time rather than the client's speed, and `make test` (the next command on a
# fresh machine) builds the same preset, so it reuses these objects. `make release` or
# `make install` gives the optimised crewctl.
demo: bootstrap build/debug/build.ninja
	cmake --build --preset debug -j $(JOBS) --target crewctl
	CREWCTL=build/debug/tools/crewctl/crewctl scripts/demo

# What `cmake --install` and the package need: the SDK libraries, crewctl, crewai-sim, completions.
INSTALL_TARGETS = crewai_batch crewctl crewai-sim crewctl_completions
PREFIX ?= /usr/local
install: bootstrap build/release/build.ninja
	cmake --build --preset release -j $(JOBS) --target $(INSTALL_TARGETS)
	cmake --install build/release --prefix $(PREFIX)

# The Debian package: build/release/packages/crewai-cpp_<version>_amd64.deb (Depends computed).
package: bootstrap build/release/build.ninja
	cmake --build --preset release -j $(JOBS) --target $(INSTALL_TARGETS)
	cd build/release && cpack -G DEB

# Install into a temp prefix, build examples/ against it (installed and build tree), pkg-config,
# the quickstart against crewai-sim, the .deb unpacked and run. Uses the debug build of `make test`.
check-install: bootstrap build/debug/build.ninja
	scripts/check-install build/debug

# API reference from the public headers: build/docs/html/index.html (doxygen installed on demand).
docs:
	scripts/docs

# Every test in the plain debug build (not part of `make test`: see there).
test-debug: debug
	ctest --preset debug $(CTEST_ARGS)

test-plain: plain
	ctest --preset plain $(CTEST_ARGS)

test-asan: asan
	ctest --preset asan $(CTEST_ARGS)

test-tsan: tsan
	ctest --preset tsan $(CTEST_ARGS)

# Each libFuzzer target for FUZZ_SECONDS (clang, ASan+UBSan); any crash fails.
FUZZ_SECONDS ?= 60
test-fuzz: bootstrap
	scripts/fuzz $(FUZZ_SECONDS)

# Every test, once in the build that checks it most: in the plain debug build the tests no
# sanitizer stage runs (reliability, pg, docs), under ASan+UBSan the unit, integration and cli
# tests (a debug build with both sanitizers: the same tests in the plain debug build again would
# cost CI minutes and check nothing more), the engine and batch tests again under TSan, then the
# fuzzers. `make test-debug` runs every test in the plain debug build.
test: test-plain test-asan test-tsan test-fuzz
	@echo "make test: all suites passed"

fuzz: bootstrap build/fuzz/build.ninja
	cmake --build --preset fuzz -j $(JOBS)

bench: release
	@echo "benchmarks: see bench/README.md"

clean:
	rm -rf build
