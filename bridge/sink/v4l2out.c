#include "sink/v4l2out.h"
#include "hub/hub.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* v4l2loopback's client-usage event ("a consumer started/stopped streaming"), not in the
 * kernel's uapi headers.  Upstream ≥ 0.13 (v4l2loopback.c "Event APIs"):
 * V4L2_EVENT_PRIVATE_START + 0x08E00000 + 1.  Ubuntu's patched 0.12.x (and v4l2-relayd ≤ 0.2)
 * used V4L2_EVENT_PRIVATE_START itself; some later Ubuntu builds queue both.  We subscribe to
 * the upstream id first, then the old one.  Payload: struct { __u32 count; }. */
#define V4L2OUT_EVENT_CLIENT_USAGE     (V4L2_EVENT_PRIVATE_START + 0x08E00000 + 1)
#define V4L2OUT_EVENT_CLIENT_USAGE_OLD (V4L2_EVENT_PRIVATE_START)
struct v4l2out_event_client_usage {
	__u32 count;
};

/* Upper bound on /dev/video* nodes looked at by a label scan. */
#define V4L2OUT_MAX_NODES 256
#define V4L2OUT_DEV_DIR "/dev"
#define V4L2OUT_BYID_DIR "/dev/v4l/by-id"
#define V4L2OUT_SYSFS_DIR "/sys/class/video4linux"

struct v4l2out {
	int fd;
	struct v4l2out_cfg cfg;
	struct v4l2out_info info;
	uint32_t type;                  /* V4L2_BUF_TYPE_VIDEO_OUTPUT */
	int streaming;
	int consumers;
	uint8_t *buf;                   /* one picture at the device's stride, allocated once */
	struct outfmt_range from_limited, from_full;
};

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static uint32_t fourcc_of(enum outfmt fmt)
{
	switch (fmt) {
	case OUTFMT_I420: return V4L2_PIX_FMT_YUV420;
	case OUTFMT_YUYV: return V4L2_PIX_FMT_YUYV;
	case OUTFMT_NV12: return V4L2_PIX_FMT_NV12;
	}
	return 0;
}

static void fourcc_str(uint32_t f, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((f >> (8 * i)) & 0xff);

		out[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[4] = 0;
}

/* NUL-terminated copy of a fixed-size QUERYCAP string. */
static void capstr(char *dst, size_t dstlen, const __u8 *src, size_t srclen)
{
	size_t n = strnlen((const char *)src, srclen);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int is_loopback(const struct v4l2_capability *cap)
{
	return !strncmp((const char *)cap->driver, V4L2OUT_DRIVER, sizeof(cap->driver));
}

/* The label as the driver stores it (char[32]). */
static int label_matches(const struct v4l2_capability *cap, const char *label)
{
	char card[V4L2OUT_CARD_MAX + 1];
	size_t n = strlen(label);

	capstr(card, sizeof(card), cap->card, sizeof(cap->card));
	if (n > V4L2OUT_CARD_MAX)
		n = V4L2OUT_CARD_MAX;
	return strlen(card) == n && !strncmp(card, label, n);
}

/* QUERYCAP on a node without disturbing it; -errno from open or the ioctl. */
static int query_node(const char *path, struct v4l2_capability *cap)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	memset(cap, 0, sizeof(*cap));
	r = xioctl(fd, VIDIOC_QUERYCAP, cap);
	close(fd);
	return r < 0 ? r : 0;
}

/* sysfs "name" is the card label: lets the scan skip real cameras without opening them.
 * 1 = may match (or unknown), 0 = certainly not. */
static int sysfs_may_match(unsigned nr, const char *label)
{
	char p[64], name[64];
	FILE *f;
	size_t n, ln = strlen(label);

	snprintf(p, sizeof(p), V4L2OUT_SYSFS_DIR "/video%u/name", nr);
	f = fopen(p, "re");
	if (!f)
		return 1;
	n = fread(name, 1, sizeof(name) - 1, f);
	fclose(f);
	name[n] = 0;
	name[strcspn(name, "\n")] = 0;
	if (ln > V4L2OUT_CARD_MAX)
		ln = V4L2OUT_CARD_MAX;
	return strlen(name) == ln && !strncmp(name, label, ln);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

int v4l2out_find_label(const char *label, char *path, size_t pathlen, char *err, size_t errlen)
{
	struct v4l2_capability cap;
	unsigned nodes[V4L2OUT_MAX_NODES], nn = 0, denied = 0, found = 0;
	char p[PATH_MAX], first[64] = "";
	DIR *d;
	struct dirent *de;

	if (!label || !*label) {
		seterr(err, errlen, "v4l2: empty device label");
		return -EINVAL;
	}
	/* udev link from v4l2loopback ≥ 0.13's rules; a label with '/' cannot be one. */
	if (!strchr(label, '/') && (size_t)snprintf(p, sizeof(p), V4L2OUT_BYID_DIR
				     "/v4l2loopback-%s-video", label) < sizeof(p)) {
		char real[PATH_MAX];

		if (realpath(p, real) && query_node(real, &cap) == 0 && is_loopback(&cap) &&
		    label_matches(&cap, label)) {
			if ((size_t)snprintf(path, pathlen, "%s", real) >= pathlen) {
				seterr(err, errlen, "v4l2: path of label \"%s\" too long", label);
				return -ENAMETOOLONG;
			}
			return 0;
		}
	}

	d = opendir(V4L2OUT_DEV_DIR);
	if (!d) {
		int r = -errno;

		seterr(err, errlen, "v4l2: cannot list " V4L2OUT_DEV_DIR ": %s", strerror(-r));
		return r;
	}
	while ((de = readdir(d)) && nn < V4L2OUT_MAX_NODES) {
		unsigned nr;
		int used = 0;

		if (sscanf(de->d_name, "video%u%n", &nr, &used) == 1 && de->d_name[used] == 0 &&
		    used > 5)
			nodes[nn++] = nr;
	}
	closedir(d);
	qsort(nodes, nn, sizeof(nodes[0]), cmp_uint);

	for (unsigned i = 0; i < nn; i++) {
		char node[64];
		int r;

		if (!sysfs_may_match(nodes[i], label))
			continue;
		snprintf(node, sizeof(node), V4L2OUT_DEV_DIR "/video%u", nodes[i]);
		r = query_node(node, &cap);
		if (r == -EACCES || r == -EPERM) {
			denied++;
			continue;
		}
		if (r < 0 || !is_loopback(&cap) || !label_matches(&cap, label))
			continue;
		if (++found == 1) {
			snprintf(first, sizeof(first), "%s", node);
		} else {
			/* Two devices with one label: picking one could show camera A as camera B. */
			seterr(err, errlen, "v4l2: label \"%s\" matches both %s and %s: give each "
			       "loopback its own card_label or use the path", label, first, node);
			return -ENOTUNIQ;
		}
	}
	if (found) {
		if ((size_t)snprintf(path, pathlen, "%s", first) >= pathlen) {
			seterr(err, errlen, "v4l2: path of label \"%s\" too long", label);
			return -ENAMETOOLONG;
		}
		return 0;
	}
	if (denied) {
		seterr(err, errlen, "v4l2: no v4l2loopback device labelled \"%s\" found; %u video "
		       "node(s) could not be opened (permission denied: is the user in group video?)",
		       label, denied);
		return -EACCES;
	}
	seterr(err, errlen, "v4l2: no v4l2loopback device labelled \"%s\" (looked at %u /dev/video* "
	       "node(s)); load the module with card_label=\"%s\"", label, nn, label);
	return -ENODEV;
}

/* The id of the "keep_format" control, found by name (the id is driver-private). */
static int find_keep_format(int fd, uint32_t *id)
{
	struct v4l2_query_ext_ctrl q;

	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
		if (!strncmp(q.name, "keep_format", sizeof(q.name))) {
			*id = q.id;
			return 0;
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return -ENOENT;
}

/* 1 if keep_format was on and is now off, 0 if it was off or absent, -errno. */
static int clear_keep_format(int fd)
{
	struct v4l2_control c;
	uint32_t id;
	int r;

	if (find_keep_format(fd, &id) < 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.id = id;
	if (xioctl(fd, VIDIOC_G_CTRL, &c) == 0 && c.value == 0)
		return 0;
	c.id = id;
	c.value = 0;
	r = xioctl(fd, VIDIOC_S_CTRL, &c);
	return r < 0 ? r : 1;
}

static int set_format(struct v4l2out *v, const char *path, char *err, size_t errlen)
{
	const struct v4l2out_cfg *c = &v->cfg;
	struct v4l2_format f;
	uint32_t want = fourcc_of(c->fmt);
	char fcc[5], got[5];
	int r;

	fourcc_str(want, fcc);
	memset(&f, 0, sizeof(f));
	f.type = v->type;
	f.fmt.pix.width = (uint32_t)c->width;
	f.fmt.pix.height = (uint32_t)c->height;
	f.fmt.pix.pixelformat = want;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	f.fmt.pix.bytesperline = (uint32_t)outfmt_min_stride(c->fmt, c->width);
	f.fmt.pix.sizeimage = (uint32_t)outfmt_image_size(c->fmt, f.fmt.pix.bytesperline, c->height);
	/* HD camera streams are BT.709; SD ones BT.601 (the usual default by size). */
	f.fmt.pix.colorspace = c->height >= 720 ? V4L2_COLORSPACE_REC709 : V4L2_COLORSPACE_SMPTE170M;
	f.fmt.pix.ycbcr_enc = V4L2_YCBCR_ENC_DEFAULT;
	f.fmt.pix.xfer_func = V4L2_XFER_FUNC_DEFAULT;
	f.fmt.pix.quantization = c->full_range ? V4L2_QUANTIZATION_FULL_RANGE
					       : V4L2_QUANTIZATION_LIM_RANGE;

	r = xioctl(v->fd, VIDIOC_S_FMT, &f);
	if (r == -EBUSY) {
		seterr(err, errlen, "%s: VIDIOC_S_FMT(OUTPUT %s %dx%d) refused: device busy (another "
		       "producer is writing to it, or a consumer holds buffers of another format)",
		       path, fcc, c->width, c->height);
		return r;
	}
	if (r == -EINVAL) {
		seterr(err, errlen, "%s: VIDIOC_S_FMT(OUTPUT %s %dx%d) refused (EINVAL): size above "
		       "the module's max_width/max_height, or the device lost its output capability "
		       "(v4l2loopback 0.12.7 after a producer that never called STREAMON: reload the "
		       "module)", path, fcc, c->width, c->height);
		return r;
	}
	if (r < 0) {
		seterr(err, errlen, "%s: VIDIOC_S_FMT(OUTPUT %s %dx%d): %s", path, fcc, c->width,
		       c->height, strerror(-r));
		return r;
	}
	if (f.fmt.pix.pixelformat != want || f.fmt.pix.width != (uint32_t)c->width ||
	    f.fmt.pix.height != (uint32_t)c->height) {
		/* 0.12.7 answers a pinned device (keep_format, or a producer still streaming)
		 * with the old format instead of an error. */
		fourcc_str(f.fmt.pix.pixelformat, got);
		seterr(err, errlen, "%s: asked for %s %dx%d, the device kept %s %ux%u (keep_format "
		       "on, or another producer holds it)", path, fcc, c->width, c->height, got,
		       f.fmt.pix.width, f.fmt.pix.height);
		return -EBUSY;
	}

	/* The stride that counts is the one the driver reports now. */
	memset(&f, 0, sizeof(f));
	f.type = v->type;
	r = xioctl(v->fd, VIDIOC_G_FMT, &f);
	if (r < 0) {
		seterr(err, errlen, "%s: VIDIOC_G_FMT(OUTPUT): %s", path, strerror(-r));
		return r;
	}
	if (f.fmt.pix.pixelformat != want || f.fmt.pix.width != (uint32_t)c->width ||
	    f.fmt.pix.height != (uint32_t)c->height) {
		fourcc_str(f.fmt.pix.pixelformat, got);
		seterr(err, errlen, "%s: format did not stick: G_FMT says %s %ux%u", path, got,
		       f.fmt.pix.width, f.fmt.pix.height);
		return -EINVAL;
	}
	v->info.bytesperline = f.fmt.pix.bytesperline;
	v->info.sizeimage = f.fmt.pix.sizeimage;
	if (v->info.bytesperline < outfmt_min_stride(c->fmt, c->width) ||
	    v->info.bytesperline > 4 * outfmt_min_stride(c->fmt, c->width))
		v->info.frame_bytes = 0;
	else
		v->info.frame_bytes = outfmt_image_size(c->fmt, v->info.bytesperline, c->height);
	/* sizeimage may be page-rounded (0.12.7) but never smaller than the picture. */
	if (!v->info.frame_bytes || (v->info.sizeimage && v->info.frame_bytes > v->info.sizeimage)) {
		seterr(err, errlen, "%s: unusable geometry from G_FMT: bytesperline %u sizeimage %u "
		       "for %s %dx%d", path, v->info.bytesperline, v->info.sizeimage, fcc, c->width,
		       c->height);
		return -EINVAL;
	}
	return 0;
}

static void set_rate(struct v4l2out *v)
{
	struct v4l2_streamparm p;

	memset(&p, 0, sizeof(p));
	p.type = v->type;
	p.parm.output.timeperframe.numerator = 1;
	p.parm.output.timeperframe.denominator = (uint32_t)v->cfg.fps;
	/* What consumers see in G_PARM / ENUM_FRAMEINTERVALS; not fatal if refused. */
	v->info.parm_ok = xioctl(v->fd, VIDIOC_S_PARM, &p) == 0;
}

static void subscribe_usage(struct v4l2out *v)
{
	static const uint32_t ids[] = { V4L2OUT_EVENT_CLIENT_USAGE, V4L2OUT_EVENT_CLIENT_USAGE_OLD };
	struct v4l2_event_subscription s;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.type = ids[i];
		/* The current state arrives at once: a consumer already streaming is noticed. */
		s.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
		if (xioctl(v->fd, VIDIOC_SUBSCRIBE_EVENT, &s) == 0) {
			v->info.usage_event = ids[i];
			return;
		}
	}
	v->info.usage_event = 0;
}

/* open + QUERYCAP + driver check. */
static int open_node(struct v4l2out *v, const char *path, char *err, size_t errlen)
{
	struct v4l2_capability cap;
	int r;

	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		r = -errno;
		seterr(err, errlen, "%s: cannot open: %s%s", path, strerror(-r),
		       r == -EACCES ? " (is the user in group video?)" :
		       r == -EBUSY ? " (max_openers reached?)" : "");
		return r;
	}
	memset(&cap, 0, sizeof(cap));
	r = xioctl(v->fd, VIDIOC_QUERYCAP, &cap);
	if (r < 0) {
		seterr(err, errlen, "%s: not a V4L2 device (VIDIOC_QUERYCAP: %s)", path, strerror(-r));
		return r == -EINVAL ? -ENOTTY : r;
	}
	capstr(v->info.card, sizeof(v->info.card), cap.card, sizeof(cap.card));
	v->info.version = cap.version;
	if (!is_loopback(&cap)) {
		char drv[sizeof(cap.driver) + 1];

		/* Never write into a real camera or a codec node (it can hang). */
		capstr(drv, sizeof(drv), cap.driver, sizeof(cap.driver));
		seterr(err, errlen, "%s is \"%s\" (driver \"%s\"), not a v4l2loopback device: "
		       "refusing to write to it", path, v->info.card, drv);
		return -ENODEV;
	}
	/* Deliberately no check for V4L2_CAP_VIDEO_OUTPUT: with exclusive_caps and keep_format a
	 * loopback keeps announcing CAPTURE after its last producer; S_FMT tells the truth. */
	return 0;
}

static int valid_cfg(const struct v4l2out_cfg *c, char *err, size_t errlen)
{
	if (!c || !fourcc_of(c->fmt)) {
		seterr(err, errlen, "v4l2: unknown output pixel format");
		return -EINVAL;
	}
	if (c->width <= 0 || c->height <= 0 || c->width % 2 || c->height % 2 ||
	    c->width > HUB_MAX_DIM || c->height > HUB_MAX_DIM) {
		seterr(err, errlen, "v4l2: output size %dx%d must be even and at most %d", c->width,
		       c->height, HUB_MAX_DIM);
		return -EINVAL;
	}
	if (c->fps < 1 || c->fps > V4L2OUT_MAX_FPS) {
		seterr(err, errlen, "v4l2: fps %d outside 1..%d", c->fps, V4L2OUT_MAX_FPS);
		return -EINVAL;
	}
	return 0;
}

int v4l2out_open(struct v4l2out **out, const char *spec, const struct v4l2out_cfg *cfg,
		 char *err, size_t errlen)
{
	struct v4l2out *v;
	struct stat st;
	char path[256];
	int r, type;

	*out = NULL;
	r = valid_cfg(cfg, err, errlen);
	if (r < 0)
		return r;
	if (!spec || !*spec) {
		seterr(err, errlen, "v4l2: empty device");
		return -EINVAL;
	}
	if (!strncmp(spec, V4L2OUT_LABEL_PREFIX, strlen(V4L2OUT_LABEL_PREFIX))) {
		r = v4l2out_find_label(spec + strlen(V4L2OUT_LABEL_PREFIX), path, sizeof(path), err,
				       errlen);
		if (r < 0)
			return r;
	} else if ((size_t)snprintf(path, sizeof(path), "%s", spec) >= sizeof(path)) {
		seterr(err, errlen, "v4l2: device path too long");
		return -ENAMETOOLONG;
	}

	if (stat(path, &st) < 0) {
		r = -errno;
		if (r == -ENOENT)
			seterr(err, errlen, "%s: no such device (is the v4l2loopback module loaded, "
			       "with video_nr= for this number?)", path);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISCHR(st.st_mode)) {
		seterr(err, errlen, "%s: not a V4L2 device (%s); use a file sink for raw output", path,
		       S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode) ? "a directory" :
		       S_ISFIFO(st.st_mode) ? "a FIFO" : "not a character device");
		return -ENOTTY;
	}

	v = calloc(1, sizeof(*v));
	if (!v) {
		seterr(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	v->fd = -1;
	v->cfg = *cfg;
	v->type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	v->consumers = -1;
	snprintf(v->info.path, sizeof(v->info.path), "%s", path);

	for (int attempt = 0;; attempt++) {
		r = open_node(v, path, err, errlen);
		if (r < 0)
			goto fail;
		r = set_format(v, path, err, errlen);
		if (r == 0)
			break;
		/* An earlier producer may have left keep_format on, pinning its format.  Clear it,
		 * then reopen: the driver drops a pinned format only when its last opener leaves. */
		if (attempt > 0 || (r != -EBUSY && r != -EINVAL) || clear_keep_format(v->fd) != 1)
			goto fail;
		v->info.keep_format_cleared = 1;
		close(v->fd);
		v->fd = -1;
	}
	set_rate(v);
	subscribe_usage(v);
	if (v->info.usage_event)
		v->consumers = 0;

	v->buf = calloc(1, v->info.frame_bytes);
	if (!v->buf) {
		seterr(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto fail;
	}
	outfmt_range_init(&v->from_limited, 0, cfg->full_range);
	outfmt_range_init(&v->from_full, 1, cfg->full_range);

	/* Before the first write: 0.12.7 otherwise never makes us a WRITER and the device loses
	 * its OUTPUT capability when we close (v4l2loopback#470). */
	type = (int)v->type;
	r = xioctl(v->fd, VIDIOC_STREAMON, &type);
	if (r < 0) {
		seterr(err, errlen, "%s: VIDIOC_STREAMON(OUTPUT): %s", path, strerror(-r));
		goto fail;
	}
	v->streaming = 1;
	if (err && errlen)
		err[0] = 0;   /* a first attempt may have left a reason */
	*out = v;
	return 0;
fail:
	v4l2out_close(v);
	return r;
}

int v4l2out_write(struct v4l2out *v, const struct frame *f)
{
	const struct outfmt_range *range;
	const uint8_t *p;
	ssize_t n;

	if (!f || !f->data || f->width != v->cfg.width || f->height != v->cfg.height ||
	    f->size < (size_t)f->width * (size_t)f->height * 3 / 2)
		return -EINVAL;
	range = f->full_range ? &v->from_full : &v->from_limited;
	if (v->cfg.fmt == OUTFMT_I420 && range->identity &&
	    v->info.bytesperline == (uint32_t)v->cfg.width) {
		p = f->data;   /* already the device's layout: no copy */
	} else {
		long r = outfmt_pack(v->cfg.fmt, f->data, f->width, f->height, v->buf,
				     v->info.bytesperline, v->info.frame_bytes, range);
		if (r < 0)
			return (int)r;
		p = v->buf;
	}
	/* The exact picture: sizeimage may be page-rounded and would become bytesused. */
	do
		n = write(v->fd, p, v->info.frame_bytes);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == v->info.frame_bytes ? 0 : -EIO;
}

const struct v4l2out_info *v4l2out_info(const struct v4l2out *v) { return &v->info; }
int v4l2out_fd(const struct v4l2out *v) { return v->fd; }

int v4l2out_consumers(struct v4l2out *v)
{
	if (!v->info.usage_event)
		return -1;
	/* poll first: VIDIOC_DQEVENT would block on our blocking fd when nothing is pending. */
	for (;;) {
		struct pollfd pfd = { .fd = v->fd, .events = POLLPRI };
		struct v4l2_event ev;

		if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLPRI))
			break;
		memset(&ev, 0, sizeof(ev));
		if (xioctl(v->fd, VIDIOC_DQEVENT, &ev) < 0)
			break;
		if (ev.type == v->info.usage_event) {
			struct v4l2out_event_client_usage u;

			memcpy(&u, ev.u.data, sizeof(u));
			v->consumers = u.count > INT_MAX ? INT_MAX : (int)u.count;
		}
		if (!ev.pending)
			break;
	}
	return v->consumers;
}

void v4l2out_close(struct v4l2out *v)
{
	if (!v)
		return;
	if (v->fd >= 0) {
		if (v->streaming) {
			int type = (int)v->type;

			xioctl(v->fd, VIDIOC_STREAMOFF, &type);
		}
		close(v->fd);
	}
	free(v->buf);
	free(v);
}
