/* Diagnostics: every error as "file:line: key: message" (or "command line: ..."), counted, the
 * first kept for the caller, all printed for --check-config; warnings kept for the caller. */
#include "app/cfg_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cfg_diag_add(struct diag *d, const char *fmt, ...)
{
	char line[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->out)
		fprintf(d->out, "%s\n", line);
	if (d->err && d->n == 0)
		snprintf(d->err->msg, sizeof(d->err->msg), "%s", line);
	d->n++;
	if (d->err)
		d->err->count = d->n;
}

/* strlcpy: truncation is intended (paths in messages). */
void cfg_scopy(char *dst, size_t n, const char *src)
{
	size_t len = 0;

	while (len + 1 < n && src[len])
		len++;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int cfg_file_index(struct cfg *c, const char *file)
{
	for (int i = 0; i < c->n_files; i++)
		if (!strcmp(c->files[i], file))
			return i;
	if (c->n_files >= CFG_MAX_FILES)
		return 0;
	cfg_scopy(c->files[c->n_files], sizeof(c->files[0]), file);
	return c->n_files++;
}

/* "file:line: " / "command line: " / "file: " for where key ki was set. */
void cfg_where(const struct cfg *c, int ki, char *buf, size_t n)
{
	const struct cfg_origin *o = &c->origin[ki];

	if (o->src == 1)
		snprintf(buf, n, "%s:%d: ", c->files[o->file], o->line);
	else if (o->src == 2)
		snprintf(buf, n, "command line: ");
	else if (c->config_path[0] && n > 3) {
		cfg_scopy(buf, n - 2, c->config_path);
		strcat(buf, ": ");
	}
	else
		buf[0] = '\0';
}

void cfg_key_error(struct diag *d, const struct cfg *c, int ki, const char *fmt, ...)
{
	char w[CFG_PATH_MAX + 32], m[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	cfg_where(c, ki, w, sizeof(w));
	cfg_diag_add(d, "%s%s: %s", w, cfg_keys[ki].path, m);
}

void cfg_warn(struct cfg *c, struct diag *d, const char *fmt, ...)
{
	char m[CFG_WARNING_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (d && d->out)
		fprintf(d->out, "warning: %s\n", m);
	if (c->n_warnings < CFG_MAX_WARNINGS)
		snprintf(c->warnings[c->n_warnings++], CFG_WARNING_MAX + 1, "%s", m);
}

