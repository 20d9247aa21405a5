/* mkstream OUT.h264|OUT.h265 WxH FPS FRAMES [FIRST [GOP]] — writes an Annex-B elementary stream
 * of the built-in test pattern whose frames carry the frame marker FIRST, FIRST+1, …, with a
 * keyframe every GOP frames (default: one a second).  Used by the URL-source tests (ffmpeg then
 * serves it over RTSP or MPEG-TS, or remuxes it into a file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/tpenc.h"

int main(int argc, char **argv)
{
	struct tpenc *t;
	int w, h, fps, n, codec, gop, r;
	unsigned first = 0;
	FILE *f;

	if (argc < 5 || sscanf(argv[2], "%dx%d", &w, &h) != 2) {
		fprintf(stderr, "usage: mkstream OUT.h264|OUT.h265 WxH FPS FRAMES [FIRST [GOP]]\n");
		return 2;
	}
	fps = atoi(argv[3]);
	n = atoi(argv[4]);
	if (argc > 5)
		first = (unsigned)strtoul(argv[5], NULL, 10);
	gop = argc > 6 ? atoi(argv[6]) : fps;
	codec = strstr(argv[1], ".h265") || strstr(argv[1], ".hevc") ? DEC_H265 : DEC_H264;
	if ((r = tpenc_open(codec, w, h, fps, gop, &t)) < 0) {
		fprintf(stderr, "mkstream: encoder: %s\n", strerror(-r));
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const uint8_t *au;
		size_t len;
		int key;

		r = tpenc_next(t, first + (unsigned)i, &au, &len, &key);
		if (r < 0) {
			fprintf(stderr, "mkstream: encode: %s\n", strerror(-r));
			return 1;
		}
		if (r == 1)
			fwrite(au, 1, len, f);
	}
	tpenc_free(t);
	return fclose(f) ? 1 : 0;
}
