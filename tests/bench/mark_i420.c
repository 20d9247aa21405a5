/* mark_i420 WxH < raw.i420 > marked.i420 — draws the frame marker 0, 1, 2 … into each packed
 * I420 picture read from stdin (media/marker.c, the code the bridge reads it back with).  The
 * benchmark pipes ffmpeg's synthetic video through it before encoding the cam-sim file sources,
 * so the frame logs of cam-sim and cam-bridge can be matched frame by frame.  Not a benchmark
 * itself: tests/bench/run.sh runs only the bench_* programs. */
#include <stdio.h>
#include <stdlib.h>

#include "media/marker.h"

int main(int argc, char **argv)
{
	int w, h;
	size_t size;
	uint8_t *buf;
	uint32_t n = 0;

	if (argc != 2 || sscanf(argv[1], "%dx%d", &w, &h) != 2 || w < MARKER_MIN_W ||
	    h < MARKER_MIN_H || w > 8192 || h > 8192 || (w | h) & 1) {
		fprintf(stderr, "usage: mark_i420 WxH (even, %dx%d to 8192x8192) < in > out\n",
			MARKER_MIN_W, MARKER_MIN_H);
		return 2;
	}
	size = (size_t)w * h * 3 / 2;
	if (!(buf = malloc(size))) {
		perror("mark_i420");
		return 1;
	}
	while (fread(buf, 1, size, stdin) == size) {
		marker_draw_i420(buf, w, h, n++);
		if (fwrite(buf, 1, size, stdout) != size) {
			perror("mark_i420: write");
			return 1;
		}
	}
	if (ferror(stdin)) {
		perror("mark_i420: read");
		return 1;
	}
	fprintf(stderr, "mark_i420: %u pictures\n", n);
	free(buf);
	return n ? 0 : 1;
}
