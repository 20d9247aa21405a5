/* The shared MPEG-TS output: one muxer (no decoding) fed from the tap while anybody reads,
 * writing into one byte ring that every /stream.ts viewer reads at its own pace, and to
 * output.udp when set.  A new viewer starts at the newest keyframe (the muxer starts from the
 * pre-roll's last keyframe, so the first one gets a picture at once); a reader more than
 * max_lag behind the writer, or about to be overwritten, is dropped: nothing waits for it and
 * it holds no memory of its own.  Muxing costs the same for 1 or 100 viewers. */
#ifndef CB_RECORD_TSOUT_H
#define CB_RECORD_TSOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tap;
struct status;
struct tsout;
struct ts_reader;

#define TSOUT_RING_BYTES (8u << 20)
#define TSOUT_MAX_LAG_US (10ull * 1000000u)   /* default max_lag */

/* udp: "udp://HOST:PORT" or NULL/"" (err says what is wrong with it).  0 or a negative
 * errno. */
int tsout_start(struct tsout **out, struct tap *tap, const char *udp, struct status *st,
		char *err, size_t errlen);
void tsout_stop(struct tsout *t);
/* fn(ctx) runs on the muxer thread after new bytes (wake suspended readers); NULL clears it
 * (returns once no call is running). */
void tsout_set_notify(struct tsout *t, void (*fn)(void *ctx), void *ctx);

int tsout_reader_open(struct tsout *t, struct ts_reader **out);
/* Copies up to max bytes: > 0 bytes, 0 = nothing yet (wait for the notify), -EPIPE = over
 * (stopping), -ENOBUFS = dropped for falling too far behind (and so on after). */
ssize_t tsout_read(struct ts_reader *r, uint8_t *buf, size_t max);
void tsout_reader_close(struct ts_reader *r);
/* A reader further behind than this is dropped (default TSOUT_MAX_LAG_US; tests). */
void tsout_set_max_lag(struct tsout *t, uint64_t us);
/* Readers open; readers dropped for falling behind (so far); AUs muxed. */
void tsout_counts(struct tsout *t, int *readers, uint64_t *dropped, uint64_t *aus);

#endif
