/* A Baichuan client session over either transport: TCP (port 9000) or the reliable BcUdp
 * stream (after local discovery or P2P).  Logs in with the strongest encryption both sides
 * support, starts the video stream, answers keep-alives, pings, and turns msg-3 media into
 * access units.  Synchronous: one thread drives it (the source thread, or a test client). */
#ifndef CB_SOURCE_BCSESS_H
#define CB_SOURCE_BCSESS_H

#include <netinet/in.h>
#include <stdint.h>

#include "bc/bc_devinfo.h"
#include "bc/bc_event.h"
#include "bc/bc_info.h"
#include "bc/bc_reader.h"
#include "bc/bcmedia.h"
#include "net/bcconn.h"
#include "util/sbuf.h"

#define BCSESS_PING_US        5000000u   /* msg 93 liveness check while streaming */
#define BCSESS_REPLY_US       5000000u   /* wait for a reply to a request */
/* While streaming a camera sends dozens of datagrams a second (media, acks): this long
 * without one and it is gone (restarted, out of range) — long before the transport's 10 s. */
#define BCSESS_STREAM_SILENCE_US 2000000u
#define BCSESS_MAX_DIM        16384      /* a stream info beyond this is not a camera */
#define BCSESS_MAX_MEDIA_ERRORS 64       /* bad media packets in a row before a reset */
#define BCSESS_SLICE_MS       50         /* how often a blocking wait checks keep_going */
#define BCSESS_SNAP_US        5000000u   /* the camera's JPEG (msg 109) must be complete by then */

/* The camera's own still (msg 109), fetched while the session runs. */
enum bcsess_snap_state { BCSESS_SNAP_IDLE, BCSESS_SNAP_WAIT, BCSESS_SNAP_RECV, BCSESS_SNAP_DONE,
			 BCSESS_SNAP_FAILED };

struct bcsess_media {
	/* Called for every complete video frame (Annex-B) and info packet. */
	void (*frame)(void *opaque, const struct bcmedia_pkt *pkt);
	/* Battery push (252) and alarm reports (33, after bcsess_request_alarms). */
	void (*battery)(void *opaque, int percent, const char *charge_status);
	void (*alarm)(void *opaque, const struct bc_alarm_list *l);
	void *opaque;
};

struct bcsess {
	/* transport: exactly one of tcp_fd / conn */
	int tcp_fd;
	int udp_fd;
	struct sockaddr_in peer;     /* UDP: the camera's session address */
	struct bcconn *conn;
	struct bc_reader rd;
	struct bc_crypto tx_crypto;  /* what we encrypt with (same key as rd.ctx.crypto) */
	struct sbuf out;             /* message being encoded */
	struct bcmedia_parser media;
	struct bcsess_media cb;
	unsigned enc;                /* negotiated encryption */
	uint16_t next_num;
	uint16_t video_num;          /* msg_num of the running msg-3 stream */
	int video_on;
	int substream;
	uint64_t last_rx_us, next_ping_us;
	uint64_t last_progress_us;   /* last decoded message (while streaming: video frame) */
	uint64_t read_timeout_us;
	/* Checked at least every BCSESS_SLICE_MS by every blocking step: 0 = give up now
	 * (-ECANCELED).  NULL = always go on. */
	int (*keep_going)(void *ctx);
	void *keep_going_ctx;
	uint16_t version_num;        /* msg_num of the VersionInfo request (answered async) */
	int version_pending;
	unsigned media_errors;       /* bad media packets since the last good one */
	size_t max_frame;
	struct bc_device_info devinfo;
	struct bc_stream_info_list streams;
	struct bc_version_info version;
	int have_version;
	int info_width, info_height, info_fps;
	char err[160];               /* why the last call failed (no secrets) */
	/* msg 109 (bcsess_snap_*) */
	enum bcsess_snap_state snap_state;
	uint16_t snap_num;           /* the request's msg_num */
	int snap_chunk_num;          /* msg_num the camera chose for the chunks, -1 = none yet */
	uint32_t snap_size;          /* announced pictureSize */
	uint64_t snap_deadline;
	struct sbuf snap;            /* the JPEG, once DONE */
	char snap_err[96];           /* why FAILED */
};

void bcsess_init(struct bcsess *s, size_t max_msg, size_t max_frame, unsigned read_timeout_ms);
void bcsess_free(struct bcsess *s);

/* TCP: connect to host:port within timeout_ms.  0 or -errno. */
int bcsess_connect_tcp(struct bcsess *s, const char *host, int port, unsigned timeout_ms);
/* UDP: adopt an fd whose discovery found `peer` with cid/did (the session socket).  The fd
 * belongs to the session even on failure (closed then). */
int bcsess_attach_udp(struct bcsess *s, int fd, const struct sockaddr_in *peer, int32_t cid,
		      int32_t did, uint32_t tid, unsigned mtu);

/* Login with the strongest encryption up to max_enc.  0, -EACCES (credentials refused),
 * -ETIMEDOUT, -EPROTO (unexpected answer), -ENOTSUP (camera chose an unsupported mode). */
int bcsess_login(struct bcsess *s, const char *user, const char *pass, unsigned max_enc);
/* Asks for VersionInfo (model, firmware) without waiting: the answer, if any, sets
 * have_version while later steps run.  Failure is not fatal. */
int bcsess_query_version(struct bcsess *s);
/* Asks the camera to push alarm reports (msg 31) without waiting: some cameras answer 400
 * and push nothing, which is not an error.  0 or -errno (send failed). */
int bcsess_request_alarms(struct bcsess *s);
/* Starts the main (0) or sub (1) stream.  0 or -errno. */
int bcsess_start_video(struct bcsess *s, int substream);
/* Stops the video stream (msg 4) without waiting for the answer; the session goes on (alarm
 * reports, keep-alives, pings).  0 or -errno. */
int bcsess_stop_video(struct bcsess *s);
/* Handles traffic for up to timeout_ms: media, keep-alives, pings.  0 = fine, -errno = the
 * session is dead (-ETIMEDOUT silence, -ECONNRESET camera disconnected, …). */
int bcsess_run(struct bcsess *s, unsigned timeout_ms);
/* What bcsess_run does with one datagram (UDP) or chunk of bytes (TCP) from the camera,
 * without a socket read: for tests and fuzzing.  0 or -errno as bcsess_run. */
int bcsess_input(struct bcsess *s, const uint8_t *buf, size_t len);
/* Asks for the camera's JPEG (snap_state must be IDLE).  The answer is taken by bcsess_run
 * meanwhile; 0 or -errno (sending failed: the session is dead). */
int bcsess_snap_start(struct bcsess *s);
/* The snapshot's state (FAILED once BCSESS_SNAP_US have passed); DONE: s->snap holds the
 * JPEG, FAILED: s->snap_err says why.  Both stay until bcsess_snap_reset. */
enum bcsess_snap_state bcsess_snap_poll(struct bcsess *s);
void bcsess_snap_reset(struct bcsess *s);
/* Stops video, logs out, and (UDP) disconnects; bounded to ~max_ms.  Never fails. */
void bcsess_close(struct bcsess *s, const char *user, const char *pass, unsigned max_ms);
/* Transport counters for the status page (UDP only; zeros for TCP). */
void bcsess_stats(const struct bcsess *s, uint64_t *lost, uint64_t *retrans);

#endif
