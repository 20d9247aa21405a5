#include "dump/dump.h"

#include <stdarg.h>
#include <string.h>

void dump_init(struct dump *d, const struct dump_opts *o)
{
	memset(d, 0, sizeof(*d));
	d->o = *o;
	d->out = stdout;
	jw_init(&d->jw);
	jw_init(&d->ejw);
	sbuf_init(&d->scratch, DUMP_MAX_STR + 64);
}

void dump_free(struct dump *d)
{
	jw_free(&d->jw);
	jw_free(&d->ejw);
	sbuf_free(&d->scratch);
}

void dump_file_add(struct dump *d, uint64_t start, const char *name)
{
	if (d->n_files && d->files[d->n_files - 1].start == start)
		d->n_files--;               /* an empty file: the next one starts at the same offset */
	if (d->n_files < DUMP_MAX_FILES)
		d->files[d->n_files++] = (struct dump_file_span){ start, name };
}

const char *dump_file_at(const struct dump *d, uint64_t off)
{
	const char *name = NULL;

	for (unsigned i = 0; i < d->n_files && d->files[i].start <= off; i++)
		name = d->files[i].name;
	return name;
}

static void where(struct dump *d, struct jw *j, uint64_t off, const struct dump_where *w)
{
	jw_u64(j, "offset", off);
	if (w && w->has_conn)
		jw_i64(j, "connection_id", w->conn_id);
	if (w && w->pcap) {
		jw_u64(j, "packet", w->packet);
		jw_dbl(j, "time", w->time, 6);
		if (w->proto)
			jw_str(j, "proto", w->proto);
		if (w->src)
			jw_str(j, "src", w->src);
		if (w->dst)
			jw_str(j, "dst", w->dst);
	} else if (d->n_files > 1 && !(w && w->has_conn)) {
		const char *f = dump_file_at(d, off);
		if (f)
			jw_str(j, "file", f);
	}
}

void dump_item_begin(struct dump *d, const char *type, uint64_t off, const struct dump_where *w)
{
	jw_begin(&d->jw);
	jw_str(&d->jw, "type", type);
	where(d, &d->jw, off, w);
}

void dump_item_end(struct dump *d)
{
	d->items++;
	if (jw_end(&d->jw, d->out) < 0)
		d->errors++;
}

__attribute__((format(printf, 5, 0)))
static void diag(struct dump *d, const char *type, uint64_t off, const struct dump_where *w,
		 const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	jw_begin(&d->ejw);
	jw_str(&d->ejw, "type", type);
	where(d, &d->ejw, off, w);
	jw_str(&d->ejw, "message", msg);
	fflush(d->out);             /* keep stdout and stderr in order on a shared terminal */
	jw_end(&d->ejw, stderr);
}

void dump_error(struct dump *d, uint64_t off, const struct dump_where *w, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	diag(d, "error", off, w, fmt, ap);
	va_end(ap);
}

void dump_warning(struct dump *d, uint64_t off, const struct dump_where *w, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	diag(d, "warning", off, w, fmt, ap);
	va_end(ap);
}
