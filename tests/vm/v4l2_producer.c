/* A minimal v4l2loopback producer for the VM test: what the producer contract in
 * shared/notes/v4l2loopback.md asks for (QUERYCAP driver check, S_FMT + S_PARM on OUTPUT,
 * STREAMON before the first write, bytes of one packed picture per write), writing pictures
 * that carry the frame marker (bridge/media/marker.h layout: top h/16 rows, 32 cells, cell i
 * white Y=235 when bit 31-i of the counter is 1, else black Y=16) over a moving gradient.
 *
 *   v4l2_producer -d /dev/video40 [-f i420|yuyv|nv12] [-s 640x480] [-r 15] [-n frames]
 *                 [-c first-counter] [-l frame-log] [-S]   (-S: skip STREAMON, negative control)
 *
 * Exits 0 after -n frames (0 = until SIGTERM/SIGINT), 1 on any V4L2 error (named on stderr).
 * Stand-alone on purpose: it validates the VM harness independently of cam-bridge. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fprintf(stderr, "v4l2_producer: %s: %s\n", name, strerror(errno));
	return r;
}

static void draw(uint8_t *buf, uint32_t fourcc, int w, int h, uint32_t counter)
{
	int bh = h / 16;
	size_t ysz = (size_t)w * h;

	/* Y (or YUYV luma) gradient that moves with the counter, marker band on top. */
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t v = (uint8_t)(16 + ((x + y + (int)counter * 4) % 200));
			if (y < bh) {
				int cell = (int)((int64_t)x * 32 / w);
				v = (counter >> (31 - cell)) & 1 ? 235 : 16;
			}
			if (fourcc == V4L2_PIX_FMT_YUYV)
				buf[((size_t)y * w + x) * 2] = v;
			else
				buf[(size_t)y * w + x] = v;
		}
	/* Chroma: neutral in the band, a constant tint below it. */
	if (fourcc == V4L2_PIX_FMT_YUYV) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				buf[((size_t)y * w + x) * 2 + 1] = y < bh ? 128 : (x & 1 ? 150 : 100);
	} else if (fourcc == V4L2_PIX_FMT_YUV420) {
		for (int y = 0; y < h / 2; y++)
			for (int x = 0; x < w / 2; x++) {
				int band = y * 2 < bh;
				buf[ysz + (size_t)y * (w / 2) + x] = band ? 128 : 100;
				buf[ysz + ysz / 4 + (size_t)y * (w / 2) + x] = band ? 128 : 150;
			}
	} else {   /* NV12 */
		for (int y = 0; y < h / 2; y++)
			for (int x = 0; x < w; x++)
				buf[ysz + (size_t)y * w + x] = y * 2 < bh ? 128 : (x & 1 ? 150 : 100);
	}
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *fmt = "i420", *logpath = NULL;
	int w = 640, h = 480, fps = 15, no_streamon = 0, opt;
	long frames = 0;
	uint32_t counter = 1;

	while ((opt = getopt(argc, argv, "d:f:s:r:n:c:l:S")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'f': fmt = optarg; break;
		case 's':
			if (sscanf(optarg, "%dx%d", &w, &h) != 2) {
				fprintf(stderr, "v4l2_producer: -s %s: want WxH\n", optarg);
				return 2;
			}
			break;
		case 'r': fps = atoi(optarg); break;
		case 'n': frames = atol(optarg); break;
		case 'c': counter = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': logpath = optarg; break;
		case 'S': no_streamon = 1; break;
		default:
			fprintf(stderr, "usage: v4l2_producer -d DEV [-f i420|yuyv|nv12] [-s WxH] [-r FPS] [-n N] [-c C] [-l LOG] [-S]\n");
			return 2;
		}
	}
	if (!dev || w < 32 || h < 16 || w % 2 || h % 2 || fps < 1 || fps > 120) {
		fprintf(stderr, "v4l2_producer: need -d DEV, even WxH >= 32x16, 1 <= fps <= 120\n");
		return 2;
	}
	uint32_t fourcc;
	size_t size;
	if (!strcmp(fmt, "i420")) {
		fourcc = V4L2_PIX_FMT_YUV420;
		size = (size_t)w * h * 3 / 2;
	} else if (!strcmp(fmt, "nv12")) {
		fourcc = V4L2_PIX_FMT_NV12;
		size = (size_t)w * h * 3 / 2;
	} else if (!strcmp(fmt, "yuyv")) {
		fourcc = V4L2_PIX_FMT_YUYV;
		size = (size_t)w * h * 2;
	} else {
		fprintf(stderr, "v4l2_producer: -f %s: want i420, yuyv or nv12\n", fmt);
		return 2;
	}

	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "v4l2_producer: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	struct v4l2_capability cap;
	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap, "VIDIOC_QUERYCAP") < 0)
		return 1;
	if (strcmp((const char *)cap.driver, "v4l2 loopback")) {
		fprintf(stderr, "v4l2_producer: %s: driver \"%s\" is not v4l2 loopback\n", dev, cap.driver);
		return 1;
	}
	struct v4l2_format f;
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	if (xioctl(fd, VIDIOC_G_FMT, &f, "VIDIOC_G_FMT(OUTPUT)") < 0)
		return 1;
	f.fmt.pix.width = (uint32_t)w;
	f.fmt.pix.height = (uint32_t)h;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	f.fmt.pix.bytesperline = 0;
	f.fmt.pix.sizeimage = (uint32_t)size;
	f.fmt.pix.colorspace = V4L2_COLORSPACE_SMPTE170M;
	if (xioctl(fd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT(OUTPUT)") < 0)
		return 1;
	if (f.fmt.pix.width != (uint32_t)w || f.fmt.pix.height != (uint32_t)h ||
	    f.fmt.pix.pixelformat != fourcc || f.fmt.pix.sizeimage < size) {
		fprintf(stderr, "v4l2_producer: S_FMT gave %ux%u %.4s sizeimage %u\n", f.fmt.pix.width,
			f.fmt.pix.height, (char *)&f.fmt.pix.pixelformat, f.fmt.pix.sizeimage);
		return 1;
	}
	struct v4l2_streamparm parm;
	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	parm.parm.output.timeperframe.numerator = 1;
	parm.parm.output.timeperframe.denominator = (uint32_t)fps;
	if (xioctl(fd, VIDIOC_S_PARM, &parm, "VIDIOC_S_PARM(OUTPUT)") < 0)
		return 1;
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	if (!no_streamon && xioctl(fd, VIDIOC_STREAMON, &type, "VIDIOC_STREAMON(OUTPUT)") < 0)
		return 1;

	FILE *log = NULL;
	if (logpath && !(log = fopen(logpath, "w"))) {
		fprintf(stderr, "v4l2_producer: %s: %s\n", logpath, strerror(errno));
		return 1;
	}
	uint8_t *buf = malloc(size);
	if (!buf)
		return 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "v4l2_producer: %s %dx%d %s @%d fps, sizeimage %u, counter from %u%s\n", dev, w,
		h, fmt, fps, f.fmt.pix.sizeimage, counter, no_streamon ? ", NO STREAMON" : "");

	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long i = 0; !stop && (frames == 0 || i < frames); i++, counter++) {
		draw(buf, fourcc, w, h, counter);
		ssize_t r = write(fd, buf, size);
		if (r != (ssize_t)size) {
			if (r < 0 && errno == EINTR)
				break;
			fprintf(stderr, "v4l2_producer: write: %zd of %zu: %s\n", r, size,
				r < 0 ? strerror(errno) : "short");
			return 1;
		}
		if (log) {
			fprintf(log, "%u\n", counter);
			fflush(log);
		}
		next.tv_nsec += 1000000000L / fps;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
			;
	}
	if (!no_streamon)
		xioctl(fd, VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF(OUTPUT)");
	close(fd);
	free(buf);
	if (log)
		fclose(log);
	return 0;
}
