# mailtls - top-level convenience targets over Meson/Ninja.
#   make          build (build/)
#   make deps     install missing Debian 12 packages (as root)
#   make check    deps, build, unit + integration + fuzz-corpus replay, the integration suite
#                 under valgrind, static analysis (cppcheck, scan-build), then unit +
#                 integration + replay again under ASan+UBSan
#   make static   static analysis only (scripts/static.sh)
#   make demo     deps, build, start the lab, show real reports, stop the lab
#   make bench    bench/single.sh: one check against posttls-finger and openssl s_client
#   make bench-scan  bench/scan.sh: mailtls scan against openssl's floors and its peers
#   make bench-domain  bench/domain.sh: mailtls domain against posttls-finger per MX host
#   make bench-survey  bench/survey.sh: check --survey against testssl.sh (time, lists)

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson
NINJA      ?= ninja

.PHONY: all build deps check check-plain check-asan static demo lab-start lab-stop clean bench bench-scan bench-domain bench-survey

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

build: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

check: deps
	$(MAKE) check-plain
	$(MAKE) check-asan
	@sh scripts/summary.sh $(BUILD) $(ASAN_BUILD)

check-plain: build
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 1

check-asan: $(ASAN_BUILD)/build.ninja
	$(NINJA) -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 1

static:
	sh scripts/static.sh

demo: deps
	$(MAKE) build
	sh lab/demo.sh $(BUILD)

bench: deps build
	bash bench/single.sh $(BUILD)

# bench/scan.sh: mailtls scan's throughput, CPU and memory against openssl's floors and its
# peers (installs its own extra packages, BENCH_PACKAGES; BENCH_QUICK=1 for a short run).
bench-scan: deps build
	bash bench/scan.sh $(BUILD)

# bench/domain.sh: mailtls domain against posttls-finger -l dane once per MX host, on the
# lab (takes the lab lock; BENCH_RUNS, default 20).
bench-domain: deps build
	bash bench/domain.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Fuzzing (fuzz/README.md): libFuzzer targets built with clang in build-fuzz/, each run for
# FUZZ_TIME seconds on a work copy of fuzz/corpus/; fails when one crashed, naming the input
# to keep in fuzz/regressions/<target>/ (which `make check` replays). FUZZ_JOBS targets run
# at once. fuzz-coverage: llvm-cov line coverage of the parsers from those inputs (build-cov/).
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1

.PHONY: fuzz fuzz-coverage

fuzz: deps
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) bash fuzz/run.sh

fuzz-coverage: deps
	sh fuzz/coverage.sh

bench-survey: deps build
	bash bench/survey.sh $(BUILD)
