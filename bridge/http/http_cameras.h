/* Every camera of the machine (bridge/http/http_cameras.c): the list on `/`, /api/v1/cameras,
 * and /api/v1/cameras/OTHER…[?query] answered 307 to OTHER's bridge (same path and query),
 * from the run directory's descriptors (util/rundir.h). */
#ifndef CB_HTTP_CAMERAS_H
#define CB_HTTP_CAMERAS_H

#include <microhttpd.h>
#include <stddef.h>

struct http_server;

/* The URL of `path` on the bridge whose base is `base` ("http://ADDR:PORT"), as a client that
 * reached us with Host `host` can follow it: a wildcard ADDR (0.0.0.0, [::]) becomes the host
 * part of `host` (or 127.0.0.1 when it is absent or not a plain host name / address), and the
 * path is percent-encoded.  0, -EINVAL (bad base), -ENOSPC. */
int http_cameras_url(const char *base, const char *host, const char *path, char *out, size_t n);

/* One query argument as MHD hands it (decoded; value NULL for a bare "?flag"). */
struct http_qarg {
	const char *key, *value;
	size_t klen, vlen;
};

/* Appends "?k=v&…" to the NUL-terminated url (n bytes), each key and value percent-encoded
 * (all but the unreserved characters), in order.  0 or -ENOSPC (url unchanged). */
int http_cameras_query(char *url, size_t n, const struct http_qarg *q, size_t nq);

/* 1 when `url` is /api/v1/cameras/NAME… for a NAME other than ours (caller: http_cameras_redirect). */
int http_cameras_is_other(const struct http_server *s, const char *url);
enum MHD_Result http_cameras_redirect(struct http_server *s, struct MHD_Connection *conn,
				      const char *url);
enum MHD_Result http_cameras_json(struct http_server *s, struct MHD_Connection *conn);
/* The index page with the table of cameras filled in. */
enum MHD_Result http_cameras_index(struct http_server *s, struct MHD_Connection *conn);

#endif
