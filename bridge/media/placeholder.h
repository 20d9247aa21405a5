/* The card shown while the camera is offline, asleep, connecting or refusing the password:
 * the camera name and the state in large text on a dark background (or on a darkened
 * image), drawn with an embedded bitmap font into a hub frame. */
#ifndef CB_MEDIA_PLACEHOLDER_H
#define CB_MEDIA_PLACEHOLDER_H

#include <stdint.h>

#include "hub/hub.h"

/* Luma of the plain background: dark grey, and deliberately not marker black (16) so the
 * card never reads as frame marker 0. */
#define PH_BG_Y 64

/* Renders into f (packed I420, f->width × f->height, even, ≥ 32×16).  background: NULL, or a
 * packed I420 picture of the same size (img_load) shown darkened behind the text.
 * Sets f->placeholder = 1, f->marker = -1, f->full_range = 0.  Returns 0 or -EINVAL. */
int ph_render(struct frame *f, const char *camera_name, const char *state,
	      const uint8_t *background);

#endif
