# libFuzzer targets (clang): every tests/fuzz/fuzz_*.c links the project's library code (every
# bridge/*/*.c but the programs' main.c), built once with ASan+UBSan and fuzzer coverage into
# build/fuzz/libcbfuzz.a — so files split or added by others need no edit here.
CC := clang
FUZZ_SECONDS ?= 60
OUT := build/fuzz
# The build packages: the Makefile's list, so that one added there links here too.
PKGS := $(shell $(MAKE) -s --no-print-directory print-pkgs)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
COMMON := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ibridge -Wall -Wextra -Werror -Wno-unused-parameter \
          -fno-sanitize-recover=all $(PKG_CFLAGS) -pthread
LIB_SRCS := $(filter-out %/main.c,$(wildcard bridge/*/*.c))
LIB_OBJS := $(patsubst bridge/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
TARGETS := $(patsubst tests/fuzz/%.c,$(OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: build run
run: build
	@for f in $(TARGETS); do tests/fuzz/run-one.sh $$f $(FUZZ_SECONDS) || exit 1; done

build: $(TARGETS)

$(OUT)/obj/%.o: bridge/%.c
	@mkdir -p $(dir $@)
	$(CC) $(COMMON) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

$(OUT)/libcbfuzz.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(OUT)/%: tests/fuzz/%.c $(OUT)/libcbfuzz.a
	$(CC) $(COMMON) -fsanitize=fuzzer,address,undefined -o $@ $< $(OUT)/libcbfuzz.a $(PKG_LIBS) -lm

-include $(LIB_OBJS:.o=.d)
