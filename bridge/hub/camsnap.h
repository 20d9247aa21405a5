/* The camera's own still (msg 109), asked for by the HTTP sidecar and fetched by the source
 * thread that holds the camera session: a mailbox for one request at a time.  Created by main,
 * it outlives the source (restarted on reload) and the HTTP server. */
#ifndef CB_HUB_CAMSNAP_H
#define CB_HUB_CAMSNAP_H

#include <stddef.h>
#include <stdint.h>

struct camsnap;

int camsnap_new(struct camsnap **out);
void camsnap_free(struct camsnap *c);

/* Asker (HTTP): waits up to timeout_ms for the camera's JPEG; *jpeg is malloc'd (caller
 * frees).  0, -EBUSY (another ask is in progress), -ETIMEDOUT, -ECANCELED (camsnap_cancel),
 * or the source's error (-EIO: the camera refused or sent garbage, -ECONNRESET, …). */
int camsnap_get(struct camsnap *c, unsigned timeout_ms, uint8_t **jpeg, size_t *len);
/* Ends every wait with -ECANCELED, now and from now on (server stopping). */
void camsnap_cancel(struct camsnap *c);
/* Undoes camsnap_cancel (a new server starts after a reload). */
void camsnap_resume(struct camsnap *c);

/* Source: 1 when an ask is waiting (it is now the source's to answer), else 0. */
int camsnap_take(struct camsnap *c);
/* Source: the answer to what it took (copied); ignored if the asker gave up meanwhile. */
void camsnap_deliver(struct camsnap *c, int err, const uint8_t *jpeg, size_t len);

#endif
