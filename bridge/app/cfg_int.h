/* cam-bridge configuration, inside view: the key table every part derives from, and the
 * diagnostics collector.  Only bridge/app/cfg_*.c include this.
 *
 *   cfg_keys.c    the key table (type, default, range, check, help) and cfg_defaults
 *   cfg_value.c   value checks and text → value (integers through util/num.h)
 *   cfg_diag.c    errors as "file:line: key: message", warnings
 *   cfg_load.c    libconfig files: types, unknown keys with "did you mean", @include
 *   cfg_secret.c  passwords: files, systemd credentials, precedence, permission warnings
 *   cfg_finish.c  resolving and cross-checks after all values are in
 *   cfg_cli.c     the command line, --check-config, reload
 *   cfg_print.c   --help, cfg_dump, the reload diff
 */
#ifndef CB_APP_CFG_INT_H
#define CB_APP_CFG_INT_H

#include <stddef.h>

#include "app/cfg.h"

enum ktype { K_STR, K_INT, K_BOOL, K_ENUM, K_STRLIST, K_INTLIST };

#define KF_SECRET   0x01        /* never printed */
#define KF_EVEN     0x02        /* must be even */
#define KF_ZERO_OK  0x04        /* 0 allowed besides min..max */
#define KF_REQUIRED 0x08
#define KF_URL      0x10        /* a URL that may hold a password: printed redacted */
#define KF_PORT9999 0x20        /* "host" in a list means "host:9999" */

struct enum_val {
	const char *name;
	int val;
};

typedef int (*cfg_check_fn)(const char *v, char *msg, size_t n);

struct key {
	const char *path;           /* "group.key" or "key" */
	enum ktype type;
	size_t off, size;           /* STR: buffer; lists: one element */
	size_t off_n;               /* lists: the count */
	int max_n;                  /* lists: capacity */
	long long min, max;         /* INT and INTLIST */
	const struct enum_val *ev;  /* ENUM */
	cfg_check_fn check;         /* STR and STRLIST entries */
	unsigned flags;
	const char *def;            /* default as command-line text (lists comma-separated) */
	const char *alias;          /* short long option, or NULL */
	const char *arg;            /* for --help */
	const char *help;
};

extern const struct key cfg_keys[];
extern const int cfg_nkeys;

int cfg_key_index(const char *path);   /* -1 if unknown */

static inline void *cfg_kptr(const struct cfg *c, const struct key *k)
{
	return (char *)c + k->off;
}

static inline int *cfg_kcount(const struct cfg *c, const struct key *k)
{
	return (int *)((char *)c + k->off_n);
}

const char *cfg_enum_name(const struct enum_val *ev, int v);

/* ---- cfg_value.c ---- */
int cfg_bad(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_has_ctrl(const char *v);
int cfg_check_text(const char *v, char *msg, size_t n);
int cfg_check_name(const char *v, char *msg, size_t n);
int cfg_check_source(const char *v, char *msg, size_t n);
int cfg_check_uid(const char *v, char *msg, size_t n);
int cfg_check_iface(const char *v, char *msg, size_t n);
int cfg_check_hostport(const char *v, char *msg, size_t n);
int cfg_check_device(const char *v, char *msg, size_t n);
int cfg_check_hwaccel(const char *v, char *msg, size_t n);
int cfg_check_listen(const char *v, char *msg, size_t n);
int cfg_check_program(const char *v, char *msg, size_t n);
int cfg_check_host(const char *v, char *msg, size_t n);
int cfg_check_topic(const char *v, char *msg, size_t n);
int cfg_check_alarm_types(const char *v, char *msg, size_t n);
/* "motion, people" → a bit per enum ev_type (alarm types only); "" → 0.  0 or -EINVAL. */
int cfg_parse_alarm_types(const char *v, unsigned *mask, char *msg, size_t n);
int cfg_parse_listen(const char *v, int *enabled, char *addr, size_t addrlen, int *port,
		     char *msg, size_t n);
/* Decimal integer, optional surrounding blanks: 0 or -EINVAL (not a number) / -ERANGE. */
int cfg_parse_ll(const char *s, long long *v);
/* Typed setters: check, then store.  0 or -EINVAL with msg filled. */
int cfg_set_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n);
int cfg_set_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n);
int cfg_list_add_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n);
int cfg_list_add_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n);
/* A value as the command line writes it (lists comma-separated). */
int cfg_set_text(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n);

/* ---- cfg_diag.c ---- */
struct diag {
	FILE *out;              /* print every error and warning here, or NULL */
	struct cfg_err *err;    /* first error */
	int n;
};

void cfg_diag_add(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "file:line: key: message" for where key ki was set. */
void cfg_key_error(struct diag *d, const struct cfg *c, int ki, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "file:line: " / "command line: " / "file: " for where key ki was set. */
void cfg_where(const struct cfg *c, int ki, char *buf, size_t n);
void cfg_warn(struct cfg *c, struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cfg_file_index(struct cfg *c, const char *file);
void cfg_scopy(char *dst, size_t n, const char *src);

/* ---- cfg_load.c ---- */
int cfg_load_diag(struct cfg *c, const char *path, struct diag *d);

/* ---- cfg_secret.c ---- */
void cfg_secret_perms(struct cfg *c, struct diag *d, int ki, const char *file, int line);
void cfg_warn_readable(struct cfg *c, struct diag *d, const char *key, const char *file);
/* First of URL, inline, file, credential wins; out holds the inline value on entry. */
void cfg_resolve_password(struct cfg *c, struct diag *d, const char *what, int url_has,
			  const char *url_pw, char *out, size_t outlen, int ki_file,
			  const char *cred, enum cfg_pw_source *src);

/* ---- cfg_finish.c ---- */
int cfg_finish_diag(struct cfg *c, struct diag *d);

/* ---- cfg_print.c ---- */
/* quoted=1 for libconfig syntax, else the command-line form; secrets as "***". */
void cfg_fmt_value(const struct cfg *c, const struct key *k, int quoted, char *out, size_t n);

#endif
