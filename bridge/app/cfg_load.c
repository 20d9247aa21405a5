/* Loading a libconfig file: types, unknown keys (with "did you mean"), @include relative to the
 * including file, every error as file:line. */
#include "app/cfg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/rfile.h"

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number with a fraction";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "nothing";
}

/* A value from libconfig.  Type errors name the type found, never the value. */
static int set_setting(struct cfg *c, const struct key *k, const config_setting_t *s,
		       char *msg, size_t n)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		if (t != CONFIG_TYPE_STRING)
			return cfg_bad(msg, n, "expected a string in quotes, found %s", type_name(t));
		return cfg_set_str(c, k, config_setting_get_string(s), msg, n);
	case K_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return cfg_bad(msg, n, "expected an integer, found %s", type_name(t));
		return cfg_set_int(c, k, config_setting_get_int64(s), msg, n);
	case K_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return cfg_bad(msg, n, "expected true or false, found %s", type_name(t));
		*(int *)cfg_kptr(c, k) = config_setting_get_bool(s);
		return 0;
	case K_STRLIST:
	case K_INTLIST: {
		int len;

		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return cfg_bad(msg, n, "expected a list [ ... ], found %s", type_name(t));
		len = config_setting_length(s);
		*cfg_kcount(c, k) = 0;
		for (int i = 0; i < len; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			int et = config_setting_type(e);
			char m[200];

			if (k->type == K_STRLIST) {
				if (et != CONFIG_TYPE_STRING)
					return cfg_bad(msg, n, "entry %d: expected a string, found %s",
						   i + 1, type_name(et));
				if (cfg_list_add_str(c, k, config_setting_get_string(e), m, sizeof(m)))
					return cfg_bad(msg, n, "entry %d: %s", i + 1, m);
			} else {
				if (et != CONFIG_TYPE_INT && et != CONFIG_TYPE_INT64)
					return cfg_bad(msg, n, "entry %d: expected an integer, found %s",
						   i + 1, type_name(et));
				if (cfg_list_add_int(c, k, config_setting_get_int64(e), m, sizeof(m)))
					return cfg_bad(msg, n, "entry %d: %s", i + 1, m);
			}
		}
		return 0;
	}
	}
	return -EINVAL;
}

/* "did you mean": the closest known key within two edits. */
static int edit_distance(const char *a, const char *b)
{
	int prev[40], cur[40];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 40 || lb >= 40)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

static void unknown_key(struct diag *d, const char *file, int line, const char *path)
{
	const char *best = NULL;
	int bestd = 3;

	for (int i = 0; i < cfg_nkeys; i++) {
		int dist = edit_distance(path, cfg_keys[i].path);

		if (dist < bestd) {
			bestd = dist;
			best = cfg_keys[i].path;
		}
	}
	if (best)
		cfg_diag_add(d, "%s:%d: unknown setting '%.100s' (did you mean '%s'?)", file, line,
			 path, best);
	else
		cfg_diag_add(d, "%s:%d: unknown setting '%.100s'", file, line, path);
}

static int is_group_name(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < cfg_nkeys; i++)
		if (!strncmp(cfg_keys[i].path, name, n) && cfg_keys[i].path[n] == '.')
			return 1;
	return 0;
}

/* libconfig names an @included file as written: make it a path from here. */
static const char *src_file(const char *f, const char *path, const char *dir, char *buf,
			    size_t n)
{
	if (!f)
		return path;
	if (f[0] == '/' || !strcmp(f, path))
		return f;
	snprintf(buf, n, "%s/%s", dir, f);
	return buf;
}

static void apply_member(struct cfg *c, struct diag *d, const config_setting_t *s,
			 const char *path, const char *cfgpath, const char *dir)
{
	char fbuf[2 * CFG_PATH_MAX + 2];
	const char *file = src_file(config_setting_source_file(s), cfgpath, dir, fbuf,
				    sizeof(fbuf));
	int line = config_setting_source_line(s);
	int ki = cfg_key_index(path);
	char m[CFG_ERR_MAX - 64];

	if (ki < 0 && !strcmp(path, "output.keep_open")) {
		/* Was documented, never read: the device always stays open.  Old files still load. */
		cfg_warn(c, d, "%s:%d: output.keep_open is no longer used (the device always stays "
			 "open, showing the card while the camera is away): remove it", file, line);
		return;
	}
	if (ki < 0) {
		unknown_key(d, file, line, path);
		return;
	}
	if (set_setting(c, &cfg_keys[ki], s, m, sizeof(m))) {
		cfg_diag_add(d, "%s:%d: %s: %s", file, line, path, m);
		c->origin[ki].invalid = 1;
		return;
	}
	c->origin[ki].src = 1;
	c->origin[ki].file = (unsigned char)cfg_file_index(c, file);
	c->origin[ki].line = line;
	if (cfg_keys[ki].flags & (KF_SECRET | KF_URL))
		cfg_secret_perms(c, d, ki, file, line);
}

/* CFG_FILE_MAX bytes of text without NUL (libconfig would stop reading there). */
static int read_conf(const char *path, char **text, size_t *len)
{
	int r = rfile_read(path, CFG_FILE_MAX, text, len);

	if (r == 0 && memchr(*text, '\0', *len)) {
		free(*text);
		return -EILSEQ;
	}
	return r;
}

static const char *conf_strerror(int r, char *msg, size_t n)
{
	if (r == -EFBIG)
		snprintf(msg, n, "larger than %d bytes: not a configuration file", CFG_FILE_MAX);
	else if (r == -EILSEQ)
		snprintf(msg, n, "holds a NUL byte: not a configuration file");
	else if (r == -EISDIR || r == -RFILE_ENOTREG)
		snprintf(msg, n, "%s", rfile_strerror(r));
	else
		snprintf(msg, n, "cannot open: %s", strerror(-r));
	return msg;
}

/* libconfig 1.5 opens @include files itself (blocking, unbounded): check each one the text
 * names the way read_conf would before libconfig gets to it.  A file that does not exist is
 * left to libconfig, which reports it with its line. */
static int check_includes(struct diag *d, const char *file, const char *text,
			  const char *dir, int depth)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *eol = p + strcspn(p, "\n"), *q = p + strspn(p, " \t");
		char name[CFG_PATH_MAX + 1], full[2 * CFG_PATH_MAX + 2];
		size_t n = 0;
		char *sub, m[96];
		size_t sublen;
		int r;

		p = *eol ? eol + 1 : eol;
		if (strncmp(q, "@include", 8) || (q[8] != ' ' && q[8] != '\t'))
			continue;
		q += 8 + strspn(q + 8, " \t");
		if (*q++ != '"')
			continue;
		for (; q < eol && *q != '"' && n < sizeof(name) - 1; q++)
			name[n++] = *q == '\\' && q + 1 < eol ? *++q : *q;
		name[n] = '\0';
		if (name[0] == '/')
			snprintf(full, sizeof(full), "%s", name);
		else
			snprintf(full, sizeof(full), "%s/%s", dir, name);
		if (depth >= CFG_INCLUDE_DEPTH) {
			cfg_diag_add(d, "%s:%d: @include nested deeper than %d", file, line,
				     CFG_INCLUDE_DEPTH);
			return -ELOOP;
		}
		r = read_conf(full, &sub, &sublen);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			cfg_diag_add(d, "%s:%d: @include \"%.200s\": %s", file, line, name,
				     conf_strerror(r, m, sizeof(m)));
			return r;
		}
		r = check_includes(d, full, sub, dir, depth + 1);
		free(sub);
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_load_diag(struct cfg *c, const char *path, struct diag *d)
{
	config_t lc;
	config_setting_t *root;
	char dir[CFG_PATH_MAX + 1];
	char *slash;
	char *text;
	size_t len;
	int r, n0 = d->n;

	if (strlen(path) > CFG_PATH_MAX) {
		cfg_diag_add(d, "%.100s...: path longer than %d bytes", path, CFG_PATH_MAX);
		return -ENAMETOOLONG;
	}
	/* Read here, not by libconfig: a FIFO or a huge file is refused before it can block or
	 * cost minutes of parsing, and an I/O error gets its errno. */
	r = read_conf(path, &text, &len);
	if (r < 0) {
		char m[96];

		cfg_diag_add(d, "%s: %s", path, conf_strerror(r, m, sizeof(m)));
		return r;
	}
	/* @include "x" is relative to the including file's folder. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");

	r = check_includes(d, path, text, dir, 0);
	if (r < 0) {
		free(text);
		return r;
	}

	config_init(&lc);
	config_set_include_dir(&lc, dir);
	r = config_read_string(&lc, text);
	free(text);
	if (!r) {
		char fbuf[2 * CFG_PATH_MAX + 2];
		const char *ef = config_error_file(&lc);

		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO && !ef)
			cfg_diag_add(d, "%s: %s", path, config_error_text(&lc));
		else
			cfg_diag_add(d, "%s:%d: %s", src_file(ef, path, dir, fbuf, sizeof(fbuf)),
				 config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return -EINVAL;
	}
	cfg_file_index(c, path);
	root = config_root_setting(&lc);
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);

		if (is_group_name(name)) {
			if (!config_setting_is_group(s)) {
				char fbuf[2 * CFG_PATH_MAX + 2];

				cfg_diag_add(d, "%s:%d: %s: expected a group %s { ... }, found %s",
					 src_file(config_setting_source_file(s), path, dir,
						  fbuf, sizeof(fbuf)),
					 config_setting_source_line(s), name,
					 name, type_name(config_setting_type(s)));
				continue;
			}
			for (int j = 0; j < config_setting_length(s); j++) {
				const config_setting_t *m = config_setting_get_elem(s, (unsigned)j);
				char kp[160];

				snprintf(kp, sizeof(kp), "%.40s.%.100s", name,
					 config_setting_name(m));
				apply_member(c, d, m, kp, path, dir);
			}
		} else {
			apply_member(c, d, s, name, path, dir);
		}
	}
	config_destroy(&lc);
	return d->n > n0 ? -EINVAL : 0;
}

int cfg_load_file(struct cfg *c, const char *path, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	if (!c->config_path[0])
		snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	return cfg_load_diag(c, path, &d);
}

int cfg_load(const char *path, struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	cfg_defaults(c);
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	cfg_load_diag(c, path, &d);
	if (c->n_files > 0)
		cfg_finish_diag(c, &d);
	return d.n ? -EINVAL : 0;
}

int cfg_check(const char *path, FILE *out)
{
	struct cfg *c = malloc(sizeof(*c));
	struct diag d = { .out = out };

	if (!c) {
		fprintf(out, "%s: out of memory\n", path);
		return 1;
	}
	cfg_defaults(c);
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	/* After a syntax error there is no tree to check further (n_files stays 0). */
	cfg_load_diag(c, path, &d);
	if (c->n_files > 0)
		cfg_finish_diag(c, &d);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return d.n ? 1 : 0;
}

