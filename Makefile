# cam-bridge — one Makefile builds the libraries (one per bridge/ folder), the three programs,
# the tests, the fuzzers and the benchmarks.  Sources are found by wildcard: adding a .c file
# to a folder needs no edit here.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SAN      ?=
FUZZ_SECONDS ?= 60

PKGS      := libavcodec libavformat libavutil libswscale libturbojpeg libconfig libsystemd \
             libcrypto expat libmicrohttpd libpcap zlib
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
LIBDIRS  := app http source sim dump sink media hub net bc util
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
        fuzz bench demo install clean clang
all: $(PROGS) $(UNIT_BINS) $(BENCH_BINS) $(TOOL_BINS)

define LIB_RULE
$(BUILD)/lib$(1).a: $(call lib_objs,$(1))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(eval $(call LIB_RULE,$(d))))

$(BUILD)/obj/%.o: bridge/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/testlib/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib -c -o $@ $<

LINK_LIBS = -Wl,--start-group $(LIBS) -Wl,--end-group

$(BUILD)/cam-bridge: $(BUILD)/obj/app/main.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)
$(BUILD)/cam-sim: $(BUILD)/obj/sim/main.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)
$(BUILD)/cam-bridge-dump: $(BUILD)/obj/dump/main.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJS) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib $(LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LINK_LIBS) $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(TESTLIB_OBJS) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS_PKG) -Itests/lib $(LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(LINK_LIBS) $(TEST_LIBS) $(LDLIBS)

# Small programs the integration tests and benchmarks drive.
$(BUILD)/tools/%: tests/tools/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LDLIBS)

# ---- set-up -------------------------------------------------------------------------------
deps:
	@tests/deps.sh

# ---- tests --------------------------------------------------------------------------------
# `make check` is what the README and CI run: packages, the build under gcc, every test, the
# unit tests again under ASan+UBSan, a clang -Werror build, the fuzzers, and the VM test.
check: deps
	@$(MAKE) --no-print-directory all
	@tests/run-all.sh

check-unit: all
	@tests/run.sh unit

check-conformance: all
	@tests/run.sh conformance

check-integration: all
	@tests/run.sh integration

check-sanitize:
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 CC=clang all
	@BUILD=build/san tests/run.sh unit conformance

clang:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang all

check-vm: all
	@tests/run.sh vm

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS)

bench: all
	@tests/bench/run.sh

# One short iteration of every benchmark run (CI; also part of make check as
# tests/integration/bench_smoke.sh).
.PHONY: bench-smoke
bench-smoke: all
	@BUILD=$(BUILD) tests/integration/bench_smoke.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

# Programs, units, udev rule, modprobe generator, examples, man pages; PREFIX, DESTDIR honoured
# (unit and udev dirs from pkg-config; see tests/install.sh for the directory variables).
install: $(PROGS)
	@sh tests/install.sh "$(DESTDIR)" "$(PREFIX)" "$(BUILD)"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
