/* The recordings of this camera over HTTP: the /recordings page, the files themselves with
 * range requests (what <video> needs), the JSON list and DELETE.  Only paths of the recording
 * layout are served, opened below record.dir/NAME without following any symlink (clipdir.c),
 * and only regular files. */
#include "http/http_internal.h"
#include "http/http_range.h"
#include "http/http_resp.h"
#include "http/http_text.h"
#include "record/clipdir.h"
#include "util/sbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Clips on the page and in the JSON list, the newest; the rest are counted as cut. */
#define HTTP_REC_LIST_MAX  500
#define HTTP_REC_TEXT_MAX  (2u << 20)

static const char page_pfx[] = "/recordings";
static const char api_pfx[] = "/api/v1/recordings";

/* "" for the list itself, the clip path after "PREFIX/", or NULL when url is not ours. */
static const char *under(const char *url, const char *pfx, size_t n)
{
	if (strncmp(url, pfx, n))
		return NULL;
	if (!url[n])
		return "";
	return url[n] == '/' ? url + n + 1 : NULL;
}

int http_recordings_route(const char *url)
{
	return under(url, page_pfx, sizeof(page_pfx) - 1) || under(url, api_pfx, sizeof(api_pfx) - 1);
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned code, const char *msg)
{
	return http_reply_text(conn, code, "text/plain", msg);
}

static const char *const part_type[CLIP_NPARTS] = { "video/mp4", "application/json",
						    "image/jpeg" };

static enum MHD_Result serve_file(struct http_server *s, struct MHD_Connection *conn,
				  const char *rel)
{
	char day[CLIP_DAY_LEN + 1], hms[CLIP_HMS_LEN + 1], cr[80];
	enum clip_part part;
	uint64_t size, first, len;
	unsigned code = MHD_HTTP_OK;
	int namefd, fd, r;

	if (clip_rel_parse(rel, day, hms, &part) < 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND,
			      "not a recording: paths are YYYY-MM-DD/HHMMSS.mp4|jpg|json\n");
	if ((namefd = clipdir_open(s->record_dir, s->camera)) < 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND, "no such recording\n");
	fd = clipdir_open_part(namefd, day, hms, part, &size);
	close(namefd);
	if (fd < 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND, "no such recording\n");
	/* If-Range would need validators we do not keep: send the whole file then. */
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE))
		range = NULL;
	r = http_range_parse(range, size, &first, &len);
	if (r < 0) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		static const char msg[] = "range not satisfiable\n";
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		if (resp) {
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
		}
		return http_queue(conn, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, "text/plain");
	}
	/* MHD owns fd from here (closed with the response). */
	struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, first);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (r == 1) {
		code = MHD_HTTP_PARTIAL_CONTENT;
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
			 first + len - 1, size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	return http_queue(conn, code, resp, part_type[part]);
}

/* The newest clips (those with a video), sorted; *cut when some were left out. */
static int list_clips(struct http_server *s, struct clip_list *l, int *namefd, int *cut)
{
	size_t k = 0;
	int r;

	*cut = 0;
	memset(l, 0, sizeof(*l));
	if ((*namefd = clipdir_open(s->record_dir, s->camera)) < 0)
		return *namefd == -ENOENT ? 0 : *namefd;
	if ((r = clipdir_scan(*namefd, HTTP_REC_LIST_MAX, 1, l)) < 0) {
		close(*namefd);
		*namefd = -1;
		return r;
	}
	clip_list_sort_newest(l);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].parts & 1u << CLIP_MP4)
			l->v[k++] = l->v[i];
	l->n = k;
	if (l->n > HTTP_REC_LIST_MAX || l->truncated) {
		*cut = 1;
		if (l->n > HTTP_REC_LIST_MAX)
			l->n = HTTP_REC_LIST_MAX;
	}
	return 0;
}

static const char page_head[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
"<title>cam-bridge recordings</title>\n"
"<style>\n"
"body{font-family:system-ui,sans-serif;margin:1em;background:#111;color:#ddd}\n"
"table{border-collapse:collapse;margin-top:1em}td,th{padding:4px 12px 4px 0;text-align:left;"
"vertical-align:top}\n"
"img.thumb{width:160px;background:#000;display:block}video{max-width:480px;background:#000}\n"
"a{color:#8cf}\n"
"</style></head><body>\n";

static void page_row(struct sbuf *b, int namefd, const struct clip *c)
{
	struct clip_meta m;
	char path[32];

	clip_meta_read(namefd, c, &m);
	snprintf(path, sizeof(path), "%s/%s", c->day, c->hms);
	sbuf_printf(b, "<tr id=\"c%s%s\"><td>%s %.2s:%.2s:%.2s</td><td>", c->day, c->hms, c->day,
		    c->hms, c->hms + 2, c->hms + 4);
	if (m.open)
		sbuf_printf(b, "recording");
	else if (m.duration >= 0)
		sbuf_printf(b, "%.1f s", m.duration);
	else
		sbuf_printf(b, "?");
	sbuf_printf(b, "</td><td>%.1f MB</td><td>", (double)c->size[CLIP_MP4] / 1e6);
	http_html_escape(b, m.trigger[0] ? m.trigger : "?");
	sbuf_printf(b, "</td><td>");
	if (c->parts & 1u << CLIP_JPG)
		sbuf_printf(b, "<img class=\"thumb\" src=\"recordings/%s.jpg\" alt=\"\">", path);
	sbuf_printf(b, "</td><td><video controls preload=\"none\" src=\"recordings/%s.mp4\">"
		    "</video><br><a href=\"recordings/%s.mp4\">%s.mp4</a></td></tr>\n", path, path,
		    path);
}

static enum MHD_Result serve_page(struct http_server *s, struct MHD_Connection *conn)
{
	struct clip_list l;
	struct sbuf b;
	int namefd = -1, cut, r = list_clips(s, &l, &namefd, &cut);

	sbuf_init(&b, HTTP_REC_TEXT_MAX);
	sbuf_add(&b, page_head, sizeof(page_head) - 1);
	sbuf_printf(&b, "<h1>");
	http_html_escape(&b, s->camera);
	sbuf_printf(&b, ": recordings</h1>\n<p><a href=\"./\">live view</a> &middot; "
		    "<a href=\"api/v1/recordings\">JSON</a></p>\n");
	if (r < 0) {
		sbuf_printf(&b, "<p>cannot read the recordings folder: %s</p>\n", strerror(-r));
	} else if (!l.n) {
		sbuf_printf(&b, "<p>No recordings yet.</p>\n");
	} else {
		sbuf_printf(&b, "<table><tr><th>Date</th><th>Duration</th><th>Size</th>"
			    "<th>Trigger</th><th>Thumbnail</th><th>Clip</th></tr>\n");
		for (size_t i = 0; i < l.n; i++)
			page_row(&b, namefd, &l.v[i]);
		sbuf_printf(&b, "</table>\n");
		if (cut)
			sbuf_printf(&b, "<p>Only the newest %zu clips are listed.</p>\n", l.n);
	}
	sbuf_printf(&b, "</body></html>\n");
	clip_list_free(&l);
	if (namefd >= 0)
		close(namefd);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
}

static void json_clip(struct sbuf *b, int namefd, const struct clip *c)
{
	struct clip_meta m;

	clip_meta_read(namefd, c, &m);
	sbuf_printf(b, "{\"path\":\"%s/%s.mp4\",\"thumbnail\":", c->day, c->hms);
	if (c->parts & 1u << CLIP_JPG)
		sbuf_printf(b, "\"%s/%s.jpg\"", c->day, c->hms);
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ",\"date\":\"%s %.2s:%.2s:%.2s\",\"size\":%" PRIu64 ",\"start\":", c->day,
		    c->hms, c->hms + 2, c->hms + 4, c->size[CLIP_MP4]);
	if (m.start >= 0)
		sbuf_printf(b, "%" PRId64, m.start);
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ",\"duration\":");
	if (m.duration >= 0)
		sbuf_printf(b, "%.3f", m.duration);
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ",\"trigger\":");
	if (m.trigger[0])
		http_json_str(b, m.trigger, sizeof(m.trigger));
	else
		sbuf_printf(b, "null");
	sbuf_printf(b, ",\"open\":%s,\"mtime\":%" PRId64 "}", m.open ? "true" : "false", c->mtime);
}

static enum MHD_Result serve_list(struct http_server *s, struct MHD_Connection *conn)
{
	struct clip_list l;
	struct sbuf b;
	int namefd = -1, cut, r = list_clips(s, &l, &namefd, &cut);

	if (r < 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "cannot read the recordings folder: %s\n", strerror(-r));
		return refuse(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
	}
	sbuf_init(&b, HTTP_REC_TEXT_MAX);
	sbuf_printf(&b, "{\"camera\":");
	http_json_str(&b, s->camera, sizeof(s->camera));
	sbuf_printf(&b, ",\"clips\":[");
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			sbuf_printf(&b, ",");
		json_clip(&b, namefd, &l.v[i]);
	}
	sbuf_printf(&b, "],\"truncated\":%s}\n", cut ? "true" : "false");
	clip_list_free(&l);
	if (namefd >= 0)
		close(namefd);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "application/json", &b);
}

static enum MHD_Result delete_clip(struct http_server *s, struct MHD_Connection *conn,
				   const char *rel)
{
	char day[CLIP_DAY_LEN + 1], hms[CLIP_HMS_LEN + 1], msg[160];
	enum clip_part part;
	struct clip c;
	uint64_t freed = 0;
	int namefd, r;

	/* Anyone who can reach the port could otherwise wipe the evidence. */
	if (!s->auth)
		return refuse(conn, MHD_HTTP_FORBIDDEN,
			      "deleting recordings needs HTTP authentication (http.user)\n");
	if (clip_rel_parse(rel, day, hms, &part) < 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND,
			      "not a recording: paths are YYYY-MM-DD/HHMMSS.mp4|jpg|json\n");
	if ((namefd = clipdir_open(s->record_dir, s->camera)) < 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND, "no such recording\n");
	if (clipdir_stat(namefd, day, hms, &c) < 0) {
		close(namefd);
		return refuse(conn, MHD_HTTP_NOT_FOUND, "no such recording\n");
	}
	if (clip_is_open(namefd, &c, (int64_t)time(NULL))) {
		close(namefd);
		return refuse(conn, MHD_HTTP_CONFLICT, "the clip is being recorded\n");
	}
	r = clipdir_remove(namefd, &c, &freed);
	close(namefd);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot remove %s/%s: %s\n", day, hms, strerror(-r));
		return refuse(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
	}
	snprintf(msg, sizeof(msg), "{\"removed\":\"%s/%s\",\"bytes\":%" PRIu64 "}\n", day, hms,
		 freed);
	return http_reply_text(conn, MHD_HTTP_OK, "application/json", msg);
}

enum MHD_Result http_recordings(struct http_server *s, struct MHD_Connection *conn,
				const char *url, const char *method)
{
	const char *page = under(url, page_pfx, sizeof(page_pfx) - 1);
	const char *api = under(url, api_pfx, sizeof(api_pfx) - 1);
	int del = !strcmp(method, MHD_HTTP_METHOD_DELETE);

	if (!s->record_dir)
		return refuse(conn, MHD_HTTP_NOT_FOUND, "recordings are off (record.dir is not set)\n");
	if (del)
		return api && *api ? delete_clip(s, conn, api)
				   : refuse(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "DELETE a clip\n");
	if (page)
		return *page ? serve_file(s, conn, page) : serve_page(s, conn);
	if (api && !*api)
		return serve_list(s, conn);
	return refuse(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}
