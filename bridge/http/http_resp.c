/* Responses every route builds the same way: common headers, text and buffer replies, and the
 * wall-clock timestamp of a frame.  Called by the router, the stream and the snapshots; it
 * calls none of them. */
#include "http/http_resp.h"
#include "util/clock.h"
#include "util/sbuf.h"

#include <stdio.h>
#include <string.h>

void http_timestamp(uint64_t mono_us, char *buf, size_t len)
{
	uint64_t now_m = clock_mono_us(), now_r = clock_real_us();
	uint64_t age = now_m > mono_us ? now_m - mono_us : 0;
	uint64_t t = now_r > age ? now_r - age : 0;

	snprintf(buf, len, "%llu.%06llu", (unsigned long long)(t / 1000000u),
		 (unsigned long long)(t % 1000000u));
}

void http_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, no-store, must-revalidate");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

enum MHD_Result http_queue(struct MHD_Connection *conn, unsigned code, struct MHD_Response *r,
			   const char *type)
{
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	http_common_headers(r);
	enum MHD_Result ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_reply_text(struct MHD_Connection *conn, unsigned code, const char *type,
				const char *text)
{
	return http_queue(conn, code, MHD_create_response_from_buffer(strlen(text), (void *)text,
								      MHD_RESPMEM_MUST_COPY), type);
}

enum MHD_Result http_reply_sbuf(struct MHD_Connection *conn, unsigned code, const char *type,
				struct sbuf *b)
{
	if (b->err) {
		sbuf_free(b);
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "out of memory\n");
	}
	/* MUST_FREE hands the sbuf's memory to MHD. */
	struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data,
								 MHD_RESPMEM_MUST_FREE);
	if (!r)
		sbuf_free(b);
	return http_queue(conn, code, r, type);
}

enum MHD_Result http_reply_static(struct MHD_Connection *conn, unsigned code, const char *text,
				  const char *header, const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	if (r)
		MHD_add_response_header(r, header, value);
	return http_queue(conn, code, r, "text/plain");
}

void http_html_escape(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sbuf_printf(b, "&lt;"); break;
		case '>': sbuf_printf(b, "&gt;"); break;
		case '&': sbuf_printf(b, "&amp;"); break;
		case '"': sbuf_printf(b, "&quot;"); break;
		case '\'': sbuf_printf(b, "&#39;"); break;
		default:
			if ((unsigned char)*s >= 0x20)
				sbuf_add(b, s, 1);
		}
	}
}
