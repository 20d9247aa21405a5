/* The one integer parser for text from the configuration and the command line: decimal,
 * bounded, never wrapping (strtoul and sscanf("%u") wrap 4294967936 to 640). */
#ifndef CB_UTIL_NUM_H
#define CB_UTIL_NUM_H

#include <stddef.h>

/* Parses exactly s[0..n): an optional '-', then 1 to 19 digits; nothing else (no blanks, no
 * '+', no base prefix).  0 with *out in min..max, -EINVAL when it is not such a number,
 * -ERANGE when it is one outside min..max (*out untouched either way). */
int num_parse(const char *s, size_t n, long long min, long long max, long long *out);

#endif
