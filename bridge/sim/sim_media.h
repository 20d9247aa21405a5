/* Media sources of the simulated camera, one per stream (main, sub): a thread that produces
 * access units in real time — the live test pattern (tpenc, frame marker = counter) or an
 * Annex-B file in a loop — into a small ring the event loop drains (eventfd wake-up).  The
 * thread is created on the first resume and then only paused/resumed, so the loop never
 * waits for an encoder.  A full ring drops the picture and forces the next one to be a
 * keyframe, as a camera's encoder does when its output cannot drain. */
#ifndef CB_SIM_MEDIA_H
#define CB_SIM_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim_cfg.h"

#define SIM_SRC_RING 16

enum sim_au_kind { SIM_AU_VIDEO, SIM_AU_AAC };

struct sim_au {
	enum sim_au_kind kind;
	uint32_t counter;           /* video: frame counter (the live source's marker) */
	int keyframe;
	uint64_t t_us;              /* monotonic capture time */
	const uint8_t *data;        /* Annex-B AU / ADTS frame; valid until the next pop */
	size_t len;
};

struct sim_src;

/* Opens the source for stream idx (the file is loaded and checked here, the encoder in the
 * thread).  notify_fd: an eventfd written after each AU.  0 or negative errno. */
int sim_src_new(const struct sim_cfg *cfg, int idx, int notify_fd, struct sim_src **out);
void sim_src_free(struct sim_src *s);
/* 1 if the stream is H.265. */
int sim_src_h265(const struct sim_src *s);
/* Start producing (first call creates the thread); the next picture is a keyframe. */
int sim_src_resume(struct sim_src *s);
void sim_src_pause(struct sim_src *s);
void sim_src_force_keyframe(struct sim_src *s);
/* 1 = *au filled (valid until the next pop), 0 = nothing pending. */
int sim_src_pop(struct sim_src *s, struct sim_au *au);
/* Pictures dropped because the ring was full; encoder errors (the thread stops on one). */
uint64_t sim_src_dropped(const struct sim_src *s);
int sim_src_error(const struct sim_src *s);

#endif
