/* Helpers of the HTTP sidecar tests (tests/unit/test_http*.c): a hub fed by a producer thread
 * with marked pictures, the server under test, and clients (curl(1) and raw sockets). */
#ifndef CB_HTTPTEST_H
#define CB_HTTPTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/status.h"

#define W 320
#define H 240
#define CAM "Front"
/* Attackers connect from this loopback address, honest clients from 127.0.0.1. */
#define HT_ATTACKER "127.0.0.2"

struct ht_fx {
	struct hub *hub;
	struct status st;
	struct http_server *srv;
	int port;
	pthread_t prod;
	int prod_running;
	int prod_stop;            /* atomic */
	int fps;
	uint32_t counter;        /* next marker */
	uint64_t published;       /* atomic */
};

/* Buffered reader over a socket. */
struct ht_rd {
	int fd;
	uint8_t buf[65536];
	size_t pos, len;
};

/* An MJPEG viewer on a raw socket. */
struct ht_viewer {
	int port;
	const char *path;
	int want;                 /* parts to read */
	int got;
	int64_t markers[256];
	int failed;
	char why[160];
	uint64_t t_end;
};

/* The server with `extra` options (NULL: defaults fit for most tests) on 127.0.0.1:0. */
struct ht_fx *ht_fx_new(const struct http_opts *extra);
void ht_fx_free(struct ht_fx *x);
/* Publishes one W×H picture carrying marker x->counter (then counter++). */
void ht_publish(struct ht_fx *x);
void ht_start_producer(struct ht_fx *x, int fps);
void ht_stop_producer(struct ht_fx *x);

/* curl: returns the HTTP status; the body goes to *body (malloc'd), headers to *hdrs. */
int ht_curl(int port, const char *path, const char *extra, uint8_t **body, size_t *blen,
	    char **hdrs);
/* TCP to 127.0.0.1:port (5 s send/receive timeouts); from `src` when not NULL. -1 on error. */
int ht_connect(int port);
int ht_connect_from(int port, const char *src);
int ht_send_all(int fd, const void *p, size_t n);
/* GET `path` on a fresh connection; returns the status code (or -1 when the server closed or
 * did not answer within timeout_ms) and the time to the status line in *us. */
int ht_get_timed(int port, const char *path, int timeout_ms, uint64_t *us);
/* 1 when the server closed `fd` (EOF or reset) within timeout_ms, reading and dropping
 * whatever it sent before. */
int ht_wait_closed(int fd, int timeout_ms);

int ht_rd_line(struct ht_rd *r, char *out, size_t max);
int ht_rd_exact(struct ht_rd *r, uint8_t *out, size_t n);

/* Luma of a JPEG and its size; NULL when it does not decode. */
uint8_t *ht_jpeg_luma(const uint8_t *j, size_t n, int *w, int *h);
/* The marker drawn in a JPEG, -2 when it does not decode. */
int64_t ht_jpeg_marker(const uint8_t *j, size_t n, int *w, int *h);

int ht_stream_open(struct ht_rd *r, int port, const char *path, char *ctype, size_t ctlen);
/* Reads one part; 0 ok, else sets why. */
int ht_stream_part(struct ht_rd *r, int64_t *marker, char *why, size_t wl);
/* Thread body: reads v->want parts. */
void *ht_viewer_main(void *arg);
void ht_check_viewer(const struct ht_viewer *v);
int ht_count_distinct(const struct ht_viewer *v);

#endif
