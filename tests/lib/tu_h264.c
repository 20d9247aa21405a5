#include "tu_h264.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <cmocka.h>

#include "record/tap.h"
#include "util/clock.h"

static const uint8_t params[] = {
	0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x04, 0x7b, 0x01, 0x10, 0x00, 0x00,
	0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x01, 0x40, 0xf1, 0x22, 0x64, 0x80,
	0x00, 0x00, 0x00, 0x01, 0x68, 0xcb, 0x83, 0xcb, 0x20,
};

size_t tu_h264_au(uint8_t *buf, size_t cap, unsigned n, int key, size_t len)
{
	size_t off = 0;

	assert_true(sizeof(params) + 5 + len <= cap);
	if (key) {
		memcpy(buf, params, sizeof(params));
		off = sizeof(params);
	}
	memcpy(buf + off, (const uint8_t[]){ 0, 0, 0, 1, key ? 0x65 : 0x41 }, 5);
	off += 5;
	memset(buf + off, 0x80 | (n & 0x3f), len);
	return off + len;
}

static void feed_at(struct tap *t, uint8_t *buf, size_t cap, unsigned n, int key, size_t len,
		    uint64_t recv_us)
{
	struct au a = { .data = buf, .len = tu_h264_au(buf, cap, n, key, len),
			.codec = AU_H264, .keyframe = key, .recv_us = recv_us };

	tap_feed(t, &a);
}

void tu_h264_feed(struct tap *t, uint8_t *buf, size_t cap, unsigned n, int key, size_t len)
{
	feed_at(t, buf, cap, n, key, len, clock_mono_us());
}

void tu_h264_video_only(struct tap *t, uint8_t *buf, size_t cap)
{
	uint64_t now = clock_mono_us();

	feed_at(t, buf, cap, 0, 1, 100, now - 2500000);
	feed_at(t, buf, cap, 0, 1, 100, now - 100000);
}
