/* Building responses (bridge/http/http_resp.c): used by every route, uses none of them. */
#ifndef CB_HTTP_RESP_H
#define CB_HTTP_RESP_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf;

/* Cache-Control: no-store and nosniff, on every response. */
void http_common_headers(struct MHD_Response *r);
/* Queues `r` (NULL: MHD_NO) with its Content-Type and the common headers, and drops our
 * reference to it. */
enum MHD_Result http_queue(struct MHD_Connection *conn, unsigned code, struct MHD_Response *r,
			   const char *type);
enum MHD_Result http_reply_text(struct MHD_Connection *conn, unsigned code, const char *type,
				const char *text);
/* Hands the sbuf's memory to MHD (500 when the sbuf ran out of memory). */
enum MHD_Result http_reply_sbuf(struct MHD_Connection *conn, unsigned code, const char *type,
				struct sbuf *b);
/* A plain-text reply from a string that outlives the response, with one extra header. */
enum MHD_Result http_reply_static(struct MHD_Connection *conn, unsigned code, const char *text,
				  const char *header, const char *value);
/* Seconds since the epoch for a CLOCK_MONOTONIC time, as "1712345678.123456". */
void http_timestamp(uint64_t mono_us, char *buf, size_t len);
/* Appends s escaped for HTML text and attribute values; control characters are left out. */
struct sbuf;
void http_html_escape(struct sbuf *b, const char *s);

#endif
