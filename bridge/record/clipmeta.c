/* The clip sidecar HHMMSS.json: one flat JSON object written by the recorder.  It is read
 * back as hostile input (the folder may be shared): bounded size, only the known keys of
 * the expected types are taken, anything malformed makes the whole sidecar "unknown". */
#include "record/clipdir.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tok {
	const char *p, *end;
};

static void ws(struct tok *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
		t->p++;
}

static int eat(struct tok *t, char c)
{
	ws(t);
	if (t->p < t->end && *t->p == c) {
		t->p++;
		return 1;
	}
	return 0;
}

/* A string into out (truncated to n-1; escapes other than \" and \\ make it unusable but
 * are skipped correctly).  0, or -EINVAL. */
static int str(struct tok *t, char *out, size_t n)
{
	size_t o = 0;

	if (!eat(t, '"'))
		return -EINVAL;
	while (t->p < t->end && *t->p != '"') {
		char c = *t->p++;
		if ((unsigned char)c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			if (t->p >= t->end)
				return -EINVAL;
			c = *t->p++;
			if (c == 'u') {
				if (t->end - t->p < 4)
					return -EINVAL;
				t->p += 4;
				c = '?';
			} else if (c != '"' && c != '\\' && c != '/') {
				c = '?';
			}
		}
		if (o + 1 < n)
			out[o++] = c;
	}
	if (n)
		out[o] = 0;
	return eat(t, '"') ? 0 : -EINVAL;
}

static int number(struct tok *t, double *v)
{
	char buf[40], *e;
	size_t n = 0;

	ws(t);
	while (t->p + n < t->end && n < sizeof(buf) - 1 && strchr("+-.eE0123456789", t->p[n]))
		n++;
	if (!n)
		return -EINVAL;
	memcpy(buf, t->p, n);
	buf[n] = 0;
	*v = strtod(buf, &e);
	if (*e || !isfinite(*v))
		return -EINVAL;
	t->p += n;
	return 0;
}

static int word(struct tok *t, const char *w)
{
	size_t n = strlen(w);

	ws(t);
	if ((size_t)(t->end - t->p) < n || memcmp(t->p, w, n))
		return 0;
	t->p += n;
	return 1;
}

static void meta_unknown(struct clip_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->start = -1;
	m->duration = -1;
	m->size = -1;
}

static int value(struct tok *t, const char *key, struct clip_meta *m)
{
	char s[sizeof(m->trigger)];
	double v;

	ws(t);
	if (t->p >= t->end)
		return -EINVAL;
	if (*t->p == '"') {
		if (str(t, s, sizeof(s)) < 0)
			return -EINVAL;
		if (!strcmp(key, "trigger"))
			memcpy(m->trigger, s, sizeof(s));
		return 0;
	}
	if (word(t, "true")) {
		if (!strcmp(key, "open"))
			m->open = 1;
		return 0;
	}
	if (word(t, "false") || word(t, "null"))
		return 0;
	if (number(t, &v) < 0)
		return -EINVAL;    /* nested objects and arrays are not part of the layout */
	if (!strcmp(key, "start") && v >= 0 && v < 1e12)
		m->start = (int64_t)v;
	else if (!strcmp(key, "duration") && v >= 0 && v < 1e9)
		m->duration = v;
	else if (!strcmp(key, "size") && v >= 0 && v < 1e18)
		m->size = (int64_t)v;
	return 0;
}

int clip_meta_parse(const char *buf, size_t len, struct clip_meta *m)
{
	struct tok t = { buf, buf + len };
	char key[32];

	meta_unknown(m);
	if (!eat(&t, '{'))
		return -EINVAL;
	if (!eat(&t, '}')) {
		do {
			if (str(&t, key, sizeof(key)) < 0 || !eat(&t, ':') || value(&t, key, m) < 0)
				goto bad;
		} while (eat(&t, ','));
		if (!eat(&t, '}'))
			goto bad;
	}
	ws(&t);
	if (t.p == t.end)
		return 0;
bad:
	meta_unknown(m);
	return -EINVAL;
}

int clip_meta_read(int namefd, const struct clip *c, struct clip_meta *m)
{
	char buf[CLIP_META_MAX];
	uint64_t size;
	size_t got = 0;
	int fd;

	meta_unknown(m);
	if (!(c->parts & 1u << CLIP_JSON))
		return -ENOENT;
	if ((fd = clipdir_open_part(namefd, c->day, c->hms, CLIP_JSON, &size)) < 0)
		return fd;
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got == sizeof(buf))
		return -EFBIG;
	return clip_meta_parse(buf, got, m);
}
