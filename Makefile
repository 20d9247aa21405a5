# cam-bridge — one Makefile builds the libraries (one per bridge/ folder), the three programs,
# the tests, the fuzzers and the benchmarks.  Sources are found by wildcard: adding a .c file
# to a folder needs no edit here.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SAN      ?=
FUZZ_SECONDS ?= 60
V        ?= 0
NPROC    := $(shell nproc 2>/dev/null || echo 2)

# `make` prints one line per step (CC file, AR lib, LD program); `make V=1` the full commands.
ifeq ($(V),1)
say :=
else
say = @printf '%s %s\n' $(1) $(2);
endif

PKGS      := libavcodec libavformat libavutil libswscale libturbojpeg libconfig libsystemd \
             libcrypto expat libmicrohttpd libpcap zlib libmosquitto libssl
TEST_PKGS := cmocka

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS_PKG := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -Ibridge $(PKG_CFLAGS) -pthread -MMD -MP
LDLIBS   += $(PKG_LIBS) -pthread -lm

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

# Library folders, in link order (a folder may only use the ones after it).
LIBDIRS  := app http record source sim dump sink media hub event net bc util
LIBS     := $(foreach d,$(LIBDIRS),$(if $(wildcard bridge/$(d)/*.c),$(BUILD)/lib$(d).a))

# A folder's .c files go into its library, except main.c files which are programs.
lib_srcs = $(filter-out %/main.c,$(wildcard bridge/$(1)/*.c))
lib_objs = $(patsubst bridge/%.c,$(BUILD)/obj/%.o,$(call lib_srcs,$(1)))

PROGS    := $(BUILD)/cam-bridge $(BUILD)/cam-sim $(BUILD)/cam-bridge-dump
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(patsubst tests/lib/%.c,$(BUILD)/obj/testlib/%.o,$(TESTLIB_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

.PHONY: all deps check check-unit check-conformance check-integration check-sanitize check-vm \
        check-vm-long fuzz bench demo install clean clang soak
all: $(PROGS) $(UNIT_BINS) $(BENCH_BINS) $(TOOL_BINS)

.PHONY: progs pkgcheck pkgcheck-test print-pkgs
progs: $(PROGS)

print-pkgs:   # for tests/fuzz/fuzz.mk
	@echo $(PKGS)

# Intermediate objects (tests/lib) stay: make would otherwise delete and rebuild them.
.SECONDARY:

# Missing development packages: say what to run instead of failing on a missing header.
DEPS_HINT := run `make deps` (or `make demo` / `make check`, which install them)
pkgcheck:
	@command -v pkg-config >/dev/null && pkg-config --exists $(PKGS) || { \
	  printf 'cam-bridge: missing build packages (pkg-config:'; \
	  for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || printf ' %s' $$p; done; \
	  printf ')\n%s\n' '$(DEPS_HINT)'; exit 1; }
pkgcheck-test: pkgcheck
	@pkg-config --exists $(TEST_PKGS) || { \
	  printf 'cam-bridge: missing test packages (pkg-config: %s)\n%s\n' '$(TEST_PKGS)' \
	    '$(DEPS_HINT)'; exit 1; }

define LIB_RULE
$(BUILD)/lib$(1).a: $(call lib_objs,$(1))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(call say,AR,$$@)$$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(eval $(call LIB_RULE,$(d))))

$(BUILD)/obj/%.o: bridge/%.c | pkgcheck
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/testlib/%.o: tests/lib/%.c | pkgcheck-test
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib -c -o $@ $<

LINK_LIBS = -Wl,--start-group $(LIBS) -Wl,--end-group

$(BUILD)/cam-bridge: $(BUILD)/obj/app/main.o $(LIBS)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)
$(BUILD)/cam-sim: $(BUILD)/obj/sim/main.o $(LIBS)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)
$(BUILD)/cam-bridge-dump: $(BUILD)/obj/dump/main.o $(LIBS)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJS) $(LIBS) | pkgcheck-test
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib $(LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LINK_LIBS) $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(TESTLIB_OBJS) $(LIBS) | pkgcheck-test
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib $(LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LINK_LIBS) $(TEST_LIBS) $(LDLIBS)

# Small programs the integration tests and benchmarks drive.
$(BUILD)/tools/%: tests/tools/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)

# ---- set-up -------------------------------------------------------------------------------
deps:
	@tests/deps.sh

# ---- tests --------------------------------------------------------------------------------
# `make check` is what the README and CI run: packages, the build under gcc, every test, the
# unit tests again under ASan+UBSan, a clang -Werror build, the fuzzers, and the VM test.
check: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@tests/run-all.sh

check-unit: all
	@tests/run.sh unit

check-conformance: all
	@tests/run.sh conformance

check-integration: all
	@tests/run.sh integration

# Every unit test and every integration script against the ASan+UBSan build (build/san).
check-sanitize:
	@SAN_SCRIPTS=all tests/run.sh san

clang:
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/clang CC=clang all

check-vm: all
	@tests/run.sh vm

# One hour of camera drop-offs, 2 % loss and HTTP viewers (SOAK_SECONDS=N to change it); see
# tests/integration/soak.sh for what it asserts and docs/reliability.md for the figures.
soak: all
	@tests/run.sh soak

# Chromium and motion inside the VM, with both module versions: too slow for `make check`.
check-vm-long: all
	@tests/run.sh vm-long

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS)

bench: all
	@tests/bench/run.sh

# One short iteration of every benchmark run (CI; also part of make check as
# tests/integration/bench_smoke.sh).
.PHONY: bench-smoke
bench-smoke: all
	@BUILD=$(BUILD) tests/integration/bench_smoke.sh

# Only what the demo runs: the build packages and the two programs, no test binaries.
demo:
	@tests/deps.sh demo
	@$(MAKE) --no-print-directory -j$(NPROC) progs
	@tests/demo.sh

# Programs, units, udev rule, modprobe generator, examples, man pages; PREFIX, DESTDIR honoured
# (unit and udev dirs from pkg-config; see tests/install.sh for the directory variables).
install: $(PROGS)
	@sh tests/install.sh "$(DESTDIR)" "$(PREFIX)" "$(BUILD)"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
