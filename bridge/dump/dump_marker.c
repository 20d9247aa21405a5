/* --marker: the frame-marker counter of every picture of a raw video file. */
#include "dump/dump_input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/marker.h"

struct marker_out {
	bool json;
};

static int print_counter(void *opaque, uint64_t index, int64_t counter)
{
	const struct marker_out *o = opaque;

	if (o->json)
		printf("{\"type\":\"marker\",\"frame\":%" PRIu64 ",\"counter\":%" PRId64 "}\n", index,
		       counter);
	else
		printf("%" PRId64 "\n", counter);
	return ferror(stdout) ? -EIO : 0;
}

int dump_marker(const char *path, const char *size, const char *format, bool json)
{
	struct marker_out o = { json };
	struct stat st;
	char *end;
	long w, h;
	size_t fsz;
	int64_t n;

	w = strtol(size, &end, 10);
	if (end == size || (*end != 'x' && *end != 'X')) {
		fprintf(stderr, "cam-bridge-dump: --marker: size \"%s\" is not WxH\n", size);
		return 2;
	}
	h = strtol(end + 1, &end, 10);
	if (*end || w < MARKER_MIN_W || h < MARKER_MIN_H || w > 16384 || h > 16384) {
		fprintf(stderr, "cam-bridge-dump: --marker: size \"%s\" out of range (%dx%d … 16384x16384)\n",
			size, MARKER_MIN_W, MARKER_MIN_H);
		return 2;
	}
	fsz = marker_image_size((int)w, (int)h, format);
	if (!fsz) {
		fprintf(stderr, "cam-bridge-dump: --marker: format \"%s\" unknown (i420, yuyv, nv12) or size odd\n",
			format);
		return 2;
	}
	if (stat(path, &st) < 0) {
		fprintf(stderr, "cam-bridge-dump: --marker: %s: %s\n", path, strerror(errno));
		return 2;
	}
	n = marker_read_frames(path, (int)w, (int)h, format, print_counter, &o);
	fflush(stdout);
	if (n < 0) {
		fprintf(stderr, "cam-bridge-dump: --marker: %s: %s\n", path, strerror((int)-n));
		return 2;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size % fsz) {
		fprintf(stderr,
			"cam-bridge-dump: --marker: %s: size %lld is not a multiple of the frame size %zu (%ldx%ld %s): %llu trailing bytes\n",
			path, (long long)st.st_size, fsz, w, h, format,
			(unsigned long long)((uint64_t)st.st_size % fsz));
		return 1;
	}
	return 0;
}
