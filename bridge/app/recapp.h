/* The recording side of the bridge, set up from the configuration: the tap on the access
 * units (pre-roll), the recorder and the MPEG-TS output.  main.c starts and stops it. */
#ifndef CB_APP_RECAPP_H
#define CB_APP_RECAPP_H

struct cfg;
struct ev_bus;
struct hub;
struct status;
struct tap;
struct rec;
struct tsout;

struct recapp {
	struct tap *tap;
	struct rec *rec;          /* NULL when record.dir is empty */
	struct tsout *ts;         /* the shared MPEG-TS muxer (/stream.ts, output.udp) */
};

/* 0, or a negative errno (logged). */
int recapp_start(struct recapp *ra, const struct cfg *c, struct hub *hub, struct ev_bus *ev,
		 struct status *st);
/* SIGUSR1: a clip, as for POST /api/v1/record. */
void recapp_signal(struct recapp *ra);
/* Before the hub and the bus go. */
void recapp_stop(struct recapp *ra);

#endif
