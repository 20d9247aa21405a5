#include "http/http_cameras.h"
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "http/http_text.h"
#include "util/rundir.h"
#include "util/sbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAMS_PREFIX     "/api/v1/cameras/"
#define CAMS_TEXT_MAX   (256 * 1024)
#define CAMS_URL_MAX    4096
#define CAMS_QARGS_MAX  64      /* query arguments carried over by a redirect */
#define INDEX_MARK      "<!--cameras-->"

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

/* The host part of a Host header ("name", "name:port", "[v6]", "[v6]:port") when it is a
 * plain name or address; else "". */
static void host_only(const char *h, char *out, size_t n)
{
	size_t len = 0;

	out[0] = 0;
	if (!h)
		return;
	if (h[0] == '[') {
		len = strspn(h + 1, "0123456789abcdefABCDEF:.");
		if (h[1 + len] != ']')
			return;
		len += 2;
	} else {
		while (host_char(h[len]))
			len++;
	}
	if (!len || len >= n || (h[len] && (h[len] != ':' ||
					    strspn(h + len + 1, "0123456789") != strlen(h + len + 1))))
		return;
	memcpy(out, h, len);
	out[len] = 0;
}

/* Percent-encodes all but the unreserved characters (and '/' in a path). */
static void add_encoded(struct sbuf *b, const char *s, size_t len, int slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (host_char((char)c) || c == '_' || c == '~' || (slash && c == '/'))
			sbuf_add(b, &c, 1);
		else
			sbuf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* b's text into out (n bytes): 0 or -ENOSPC. */
static int sbuf_out(struct sbuf *b, char *out, size_t n)
{
	int r = b->err || b->len + 1 > n ? -ENOSPC : 0;

	if (!r)
		memcpy(out, sbuf_str(b), b->len + 1);
	sbuf_free(b);
	return r;
}

int http_cameras_url(const char *base, const char *host, const char *path, char *out, size_t n)
{
	static const char scheme[] = "http://";
	char h[256];
	const char *auth, *port;
	struct sbuf b;

	if (strncmp(base, scheme, sizeof(scheme) - 1))
		return -EINVAL;
	auth = base + sizeof(scheme) - 1;
	port = auth[0] == '[' ? strstr(auth, "]:") : strrchr(auth, ':');
	if (!port || port == auth)
		return -EINVAL;
	if (auth[0] == '[')
		port++;
	if (strspn(port + 1, "0123456789") != strlen(port + 1) || !port[1] || strlen(port) > 6)
		return -EINVAL;
	sbuf_init(&b, n);
	sbuf_add(&b, base, (size_t)(port - base));
	if (!strncmp(auth, "0.0.0.0:", 8) || !strncmp(auth, "[::]:", 5)) {
		host_only(host, h, sizeof(h));
		b.len = sizeof(scheme) - 1;
		sbuf_printf(&b, "%s", h[0] ? h : "127.0.0.1");
	}
	sbuf_printf(&b, "%s", port);
	add_encoded(&b, path, strlen(path), 1);
	return sbuf_out(&b, out, n);
}

int http_cameras_query(char *url, size_t n, const struct http_qarg *q, size_t nq)
{
	struct sbuf b;

	sbuf_init(&b, n);
	sbuf_printf(&b, "%s", url);
	for (size_t i = 0; i < nq; i++) {
		sbuf_add(&b, i ? "&" : "?", 1);
		add_encoded(&b, q[i].key, q[i].klen, 0);
		if (q[i].value) {
			sbuf_add(&b, "=", 1);
			add_encoded(&b, q[i].value, q[i].vlen, 0);
		}
	}
	return sbuf_out(&b, url, n);
}

struct qargs {
	struct http_qarg a[CAMS_QARGS_MAX];
	size_t n;
	int over;
};

static enum MHD_Result add_qarg(void *cls, enum MHD_ValueKind kind, const char *key,
				size_t klen, const char *value, size_t vlen)
{
	struct qargs *q = cls;

	(void)kind;
	if (q->n == CAMS_QARGS_MAX) {
		q->over = 1;
		return MHD_NO;
	}
	q->a[q->n++] = (struct http_qarg){ .key = key, .klen = klen, .value = value,
					   .vlen = value ? vlen : 0 };
	return MHD_YES;
}

/* NAME out of /api/v1/cameras/NAME[/…]; 0 or -EINVAL. */
static int route_name(const char *url, char *name, size_t n)
{
	size_t len;

	if (strncmp(url, CAMS_PREFIX, sizeof(CAMS_PREFIX) - 1))
		return -EINVAL;
	url += sizeof(CAMS_PREFIX) - 1;
	len = strcspn(url, "/");
	if (!len || len >= n)
		return -EINVAL;
	memcpy(name, url, len);
	name[len] = 0;
	return rundir_name_ok(name) ? 0 : -EINVAL;
}

int http_cameras_is_other(const struct http_server *s, const char *url)
{
	char name[64];

	return s->run_dir[0] && route_name(url, name, sizeof(name)) == 0 &&
	       strcmp(name, s->camera);
}

enum MHD_Result http_cameras_redirect(struct http_server *s, struct MHD_Connection *conn,
				      const char *url)
{
	struct rundir_cam c;
	struct qargs *q;
	char name[64], *loc;
	int r;

	if (route_name(url, name, sizeof(name)) ||
	    rundir_find(s->run_dir, name, (int64_t)time(NULL), &c) || !c.http[0])
		return http_reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
	loc = malloc(CAMS_URL_MAX);
	q = calloc(1, sizeof(*q));
	if (!loc || !q) {
		free(loc);
		free(q);
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "out of memory\n");
	}
	/* The query goes along (?width=, ?since=…): MHD hands it decoded, in order. */
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, add_qarg, q);
	r = q->over ? -E2BIG : http_cameras_url(c.http, MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST), url, loc, CAMS_URL_MAX);
	if (!r)
		r = http_cameras_query(loc, CAMS_URL_MAX, q->a, q->n);
	free(q);
	struct MHD_Response *resp = r ? NULL : MHD_create_response_from_buffer(
		0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
	free(loc);
	if (r == -EINVAL)
		return http_reply_text(conn, MHD_HTTP_BAD_GATEWAY, "text/plain",
				       "that camera's address is not usable\n");
	if (r == -E2BIG || r == -ENOSPC)
		return http_reply_text(conn, MHD_HTTP_URI_TOO_LONG, "text/plain",
				       "the query is too long to pass on\n");
	if (!resp)
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "cannot build the redirect\n");
	return http_queue(conn, MHD_HTTP_TEMPORARY_REDIRECT, resp, "text/plain");
}

/* The live cameras (malloc'd, *n of them) with their URLs as the client sees them. */
static struct rundir_cam *load(struct http_server *s, struct MHD_Connection *conn, int *n)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	struct rundir_cam *all = calloc(RUNDIR_MAX_CAMERAS, sizeof(*all));

	*n = 0;
	if (!all || !s->run_dir[0])
		return all;
	*n = rundir_list(s->run_dir, (int64_t)time(NULL), all, RUNDIR_MAX_CAMERAS);
	if (*n < 0)
		*n = 0;
	for (int i = 0; i < *n; i++) {
		char u[sizeof(all[i].http)];
		if (!all[i].http[0] || http_cameras_url(all[i].http, host, "", u, sizeof(u)))
			u[0] = 0;
		memcpy(all[i].http, u, sizeof(u));
	}
	return all;
}

enum MHD_Result http_cameras_json(struct http_server *s, struct MHD_Connection *conn)
{
	struct sbuf b;
	int n;
	struct rundir_cam *all = load(s, conn, &n);

	if (!all)
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "out of memory\n");
	sbuf_init(&b, CAMS_TEXT_MAX);
	sbuf_printf(&b, "{\"cameras\":[");
	for (int i = 0; i < n; i++) {
		const struct rundir_cam *c = &all[i];
		sbuf_printf(&b, "%s{\"name\":", i ? "," : "");
		http_json_str(&b, c->name, sizeof(c->name));
		sbuf_printf(&b, ",\"url\":");
		http_json_str(&b, c->http, sizeof(c->http));
		sbuf_printf(&b, ",\"device\":");
		http_json_str(&b, c->device, sizeof(c->device));
		sbuf_printf(&b, ",\"state\":");
		http_json_str(&b, c->state, sizeof(c->state));
		sbuf_printf(&b, ",\"pid\":%ld,\"updated\":%lld,\"self\":%s}", c->pid,
			    (long long)c->updated, strcmp(c->name, s->camera) ? "false" : "true");
	}
	sbuf_printf(&b, "]}\n");
	free(all);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "application/json", &b);
}

/* Markup, then a value escaped for it. */
static void lit_html(struct sbuf *b, const char *markup, const char *value)
{
	sbuf_printf(b, "%s", markup);
	http_html_escape(b, value);
}

/* The table the page's script keeps up to date; rendered here so it works without script. */
static void cameras_table(struct sbuf *b, const struct rundir_cam *all, int n)
{
	sbuf_printf(b, "<h2>Cameras on this machine</h2>\n<table id=\"cams\">\n");
	for (int i = 0; i < n; i++) {
		const struct rundir_cam *c = &all[i];
		lit_html(b, "<tr data-cam=\"", c->name);
		lit_html(b, "\"><td>", "");
		if (c->http[0]) {
			lit_html(b, "<a href=\"", c->http);
			lit_html(b, "/\"><img class=\"thumb\" width=\"160\" alt=\"\" src=\"", c->http);
			lit_html(b, "/snapshot.jpg?width=320\"></a>", "");
		}
		lit_html(b, "</td><td><a href=\"", c->http);
		lit_html(b, "/\">", c->name);
		lit_html(b, "</a></td><td class=\"state\">", c->state);
		lit_html(b, "</td><td>", c->device);
		lit_html(b, "</td></tr>\n", "");
	}
	sbuf_printf(b, "</table>\n");
}

enum MHD_Result http_cameras_index(struct http_server *s, struct MHD_Connection *conn)
{
	const char *mark = strstr(http_index_html, INDEX_MARK);
	struct sbuf b;
	int n;
	struct rundir_cam *all;

	if (!mark || !s->run_dir[0])
		return http_reply_text(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				       http_index_html);
	if (!(all = load(s, conn, &n)))
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "out of memory\n");
	sbuf_init(&b, CAMS_TEXT_MAX);
	sbuf_add(&b, http_index_html, (size_t)(mark - http_index_html));
	cameras_table(&b, all, n);
	sbuf_printf(&b, "%s", mark + sizeof(INDEX_MARK) - 1);
	free(all);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
}
