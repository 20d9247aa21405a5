/* What the bridge knows about its camera and its outputs, for the status page, metrics and
 * sd_notify.  Writers (session, video, http threads) update fields under the lock with the
 * helpers below; readers take a consistent copy with status_snapshot(). */
#ifndef CB_OUT_STATUS_H
#define CB_OUT_STATUS_H

#include <pthread.h>
#include <stdint.h>

enum cam_state {
	CAM_CONNECTING = 0,
	CAM_STREAMING,
	CAM_SLEEPING,
	CAM_OFFLINE,
	CAM_AUTH_FAILED,
};
const char *cam_state_name(enum cam_state s);

/* Upper bounds (seconds) of the decode-time histogram buckets; +Inf is implicit. */
#define STATUS_DECODE_BUCKETS 8
extern const double status_decode_bucket_le[STATUS_DECODE_BUCKETS];

struct cam_status {
	char name[64];
	char source[16];           /* "bc-udp", "bc-tcp", "bc-p2p", "url" — never the URL itself */
	enum cam_state state;
	char model[64];
	char firmware[64];
	char uid[40];
	int battery_percent;       /* -1 = unknown */
	char charge_status[32];    /* as the camera says: "charging", "none", … ; "" = unknown */
	int stream_width, stream_height;
	char codec[8];             /* "h264", "h265", "" */
	char hwaccel[16];          /* "none", "vaapi", … */
	char decode_error[160];    /* why the stream cannot be decoded, "" = it can */
	int out_width, out_height, out_fps;
	char out_format[8];        /* "i420", "yuyv", "nv12" */
	double fps_in, fps_out;    /* measured over the last few seconds */
	double bitrate_bps;        /* compressed video in */
	uint64_t frames_in;        /* access units received */
	uint64_t frames_decoded;
	uint64_t frames_dropped;   /* not shown: loss, waiting for I-frame, decode errors */
	uint64_t frames_out;       /* writes to the output (camera frames, repeats, placeholders) */
	uint64_t frames_skipped;   /* decoded but superseded by a newer picture before the output
				    * rate (fps) allowed a write: the camera is faster than fps */
	uint64_t frames_out_dropped; /* writes the output could not take (FIFO reader too slow) */
	uint64_t bytes_in;
	uint64_t audio_frames_in;  /* AAC frames received (passed on to recordings, /stream.ts) */
	uint64_t packets_lost;
	uint64_t packets_retransmitted;
	uint64_t reconnects;
	uint64_t motion_events;
	uint64_t decode_count;
	double decode_seconds_sum;
	uint64_t decode_buckets[STATUS_DECODE_BUCKETS]; /* cumulative counts, Prometheus style */
	int http_clients;
	int v4l2_clients;          /* -1 = unknown (driver without the client-usage event) */
	uint64_t started_mono_us;
	uint64_t last_frame_mono_us; /* last camera frame written, 0 = none yet */
	/* recording (record/rec.c) and MPEG-TS viewers (/stream.ts) */
	int rec_enabled;           /* record.dir is set */
	int rec_active;            /* a clip is being written */
	char rec_clip[160];        /* its path relative to record.dir */
	char rec_error[160];       /* why recording does not work now, "" = it does */
	uint64_t rec_clips;        /* clips closed */
	uint64_t rec_dropped;      /* access units the recorder could not keep up with */
	int ts_viewers;
};

struct status {
	pthread_mutex_t lock;
	struct cam_status s;
};

void status_init(struct status *st, const char *name);
void status_destroy(struct status *st);
void status_snapshot(struct status *st, struct cam_status *out);
void status_set_state(struct status *st, enum cam_state state);
void status_add_decode_time(struct status *st, double seconds);

/* Update several fields at once, under the lock; the fields are reached through `cs`:
 * STATUS_UPDATE(st, cs->battery_percent = 80; cs->reconnects++;) */
#define STATUS_UPDATE(st, ...) do { \
	struct status *status_st_ = (st); \
	pthread_mutex_lock(&status_st_->lock); \
	{ struct cam_status *cs = &status_st_->s; __VA_ARGS__ } \
	pthread_mutex_unlock(&status_st_->lock); \
} while (0)

#endif
