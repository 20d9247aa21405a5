/* A JSON Lines writer: one object per line, strings escaped for hostile input (control
 * characters as \u00XX, invalid UTF-8 as U+FFFD). */
#ifndef CB_DUMP_JSON_H
#define CB_DUMP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/sbuf.h"

struct jw {
	struct sbuf b;
	bool comma;                 /* a value precedes: the next key needs "," */
	int depth;
};

void jw_init(struct jw *j);
void jw_free(struct jw *j);
/* Starts a new line: "{". */
void jw_begin(struct jw *j);
/* Ends it: "}" + newline, writes it to f, resets.  Returns 0 or -EIO / the buffer's error. */
int jw_end(struct jw *j, FILE *f);

void jw_key(struct jw *j, const char *key);
void jw_obj(struct jw *j, const char *key);    /* key: {  (key NULL inside an array) */
void jw_obj_end(struct jw *j);
void jw_arr(struct jw *j, const char *key);
void jw_arr_end(struct jw *j);

void jw_str(struct jw *j, const char *key, const char *s);
/* Bytes as a JSON string (any bytes: escaped, invalid UTF-8 replaced). */
void jw_strn(struct jw *j, const char *key, const void *s, size_t len);
void jw_u64(struct jw *j, const char *key, uint64_t v);
void jw_i64(struct jw *j, const char *key, int64_t v);
void jw_dbl(struct jw *j, const char *key, double v, int decimals);
void jw_bool(struct jw *j, const char *key, bool v);
void jw_null(struct jw *j, const char *key);
/* Bytes as a lower-case hex string. */
void jw_hex(struct jw *j, const char *key, const void *s, size_t len);
/* printf-formatted string value. */
void jw_strf(struct jw *j, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends s (len bytes) escaped, without quotes, to b. */
void json_escape(struct sbuf *b, const uint8_t *s, size_t len);

#endif
