/* The live source's audio: a quiet 440 Hz tone encoded to AAC-LC (libavcodec's native "aac"
 * encoder), 16 kHz mono, ADTS-framed like the Argus 2's ("ff f1 60 40 …"). */
#ifndef CB_SIM_AAC_H
#define CB_SIM_AAC_H

#include <stddef.h>
#include <stdint.h>

#define SIM_AAC_RATE   16000
#define SIM_AAC_FRAME  1024      /* samples per AAC frame */
#define SIM_ADTS_HDR   7

struct sim_aac;

/* 0 or negative errno (-ENOSYS without an AAC encoder). */
int sim_aac_open(struct sim_aac **out);
void sim_aac_free(struct sim_aac *a);
/* Encodes the next 1024 samples: 1 = *adts and *len set (valid until the next call), 0 = the
 * encoder is still priming, < 0 error. */
int sim_aac_next(struct sim_aac *a, const uint8_t **adts, size_t *len);
/* The 7-byte ADTS header for an AAC-LC frame of `payload` bytes (16 kHz mono). */
void sim_adts_header(uint8_t h[SIM_ADTS_HDR], size_t payload);

#endif
