/* The V4L2 loopback sink: cam-bridge is the producer of a v4l2loopback device that OBS, Zoom
 * and browsers read as a webcam.
 *
 * v4l2out_open() follows the producer sequence that works on v4l2loopback 0.12.7 … 0.15:
 * QUERYCAP (refuse anything that is not driver "v4l2 loopback"), S_FMT(OUTPUT) (if refused or
 * answered with another format, clear a left-over keep_format, reopen and retry once), G_FMT
 * (the stride), S_PARM(1/fps), subscribe to the
 * client-usage event, and STREAMON(OUTPUT) before any write (0.12.7 loses the device's OUTPUT
 * capability after a producer that only wrote).  Each frame is then written as exactly the
 * unpadded picture computed from G_FMT's bytesperline — never sizeimage, which 0.12.7 rounds up
 * to a page and consumers then reject.
 *
 * Keep the sink open for the life of the process: camera errors are the placeholder's job.
 * Close only at shutdown.  Not thread-safe: one video thread owns it. */
#ifndef CB_OUT_V4L2OUT_H
#define CB_OUT_V4L2OUT_H

#include <stddef.h>
#include <stdint.h>

#include "sink/outfmt.h"

struct frame;
struct v4l2out;

#define V4L2OUT_DRIVER "v4l2 loopback"
#define V4L2OUT_LABEL_PREFIX "label:"
/* v4l2loopback stores card_label in char[32]. */
#define V4L2OUT_CARD_MAX 31
#define V4L2OUT_MAX_FPS 1000

struct v4l2out_cfg {
	enum outfmt fmt;
	int width, height;     /* even */
	int fps;               /* 1..V4L2OUT_MAX_FPS */
	int full_range;        /* announce full-range YUV (frames of the other range are converted) */
};

/* What open found and did, for the caller to log once. */
struct v4l2out_info {
	char path[256];        /* device node actually opened */
	char card[33];         /* card label */
	uint32_t version;      /* driver version (KERNEL_VERSION(0,12,7) = 0x000c07) */
	uint32_t bytesperline; /* from G_FMT */
	uint32_t sizeimage;    /* from G_FMT, for the record only */
	size_t frame_bytes;    /* bytes written per frame */
	int keep_format_cleared;  /* S_FMT was refused until keep_format was set to 0 */
	int parm_ok;           /* S_PARM accepted the frame rate */
	uint32_t usage_event;  /* client-usage event subscribed, 0 = driver lacks it */
};

/* spec: a device path ("/dev/video40", "/dev/v4l/by-id/…") or "label:NAME".
 * Returns 0 or -errno; `err` (may be NULL) gets a one-line reason naming the device:
 *   -ENOENT   no such path
 *   -ENOTTY   not a V4L2 device (regular file, /dev/null, …)
 *   -ENODEV   a V4L2 device of another driver (refused), or no device with that label
 *   -EACCES   permission denied (group video), also when a label scan could not open a node
 *   -EBUSY    format refused or not taken: another producer holds the device
 *   -EINVAL   bad configuration or format not accepted */
int v4l2out_open(struct v4l2out **out, const char *spec, const struct v4l2out_cfg *cfg,
		 char *err, size_t errlen);
/* Finds the v4l2loopback node whose card label is `label` (truncated like the driver does):
 * /dev/v4l/by-id/v4l2loopback-<label>-video first, then every /dev/video*.  0 and the path,
 * -ENODEV (none), -ENOTUNIQ (several), -EACCES, -EINVAL (bad label). */
int v4l2out_find_label(const char *label, char *path, size_t pathlen, char *err, size_t errlen);

/* Writes one frame (cfg size); 0 or -errno (-ENODEV: module unloaded; caller decides). */
int v4l2out_write(struct v4l2out *v, const struct frame *f);
const struct v4l2out_info *v4l2out_info(const struct v4l2out *v);
/* The device fd, for poll(POLLPRI): client-usage events. */
int v4l2out_fd(const struct v4l2out *v);
/* Drains pending client-usage events (never blocks) and returns the number of consumers
 * streaming from the device, or -1 if the driver cannot tell (v4l2loopback < 0.13: then treat
 * wake = on-demand as always). */
int v4l2out_consumers(struct v4l2out *v);
/* STREAMOFF and close (shutdown only). */
void v4l2out_close(struct v4l2out *v);

#endif
