# libFuzzer targets (clang): every tests/fuzz/fuzz_*.c links the pure protocol code
# (bridge/bc, bridge/util) built with ASan+UBSan and fuzzer coverage.
CC := clang
FUZZ_SECONDS ?= 60
OUT := build/fuzz
SRCS := $(wildcard bridge/bc/*.c bridge/util/*.c) bridge/net/bcconn.c
PKG_CFLAGS := $(shell pkg-config --cflags libcrypto expat zlib)
PKG_LIBS := $(shell pkg-config --libs libcrypto expat zlib)
FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ibridge -Wall -Wextra -Werror -Wno-unused-parameter \
         -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(PKG_CFLAGS) -pthread
TARGETS := $(patsubst tests/fuzz/%.c,$(OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: build run
run: build
	@for f in $(TARGETS); do tests/fuzz/run-one.sh $$f $(FUZZ_SECONDS) || exit 1; done

build: $(TARGETS)

$(OUT)/%: tests/fuzz/%.c $(SRCS)
	@mkdir -p $(OUT)
	$(CC) $(FLAGS) -o $@ $< $(SRCS) $(PKG_LIBS) -lm
