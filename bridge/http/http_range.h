/* The Range request header (RFC 9110 14.2), for serving files to <video>: one range of
 * bytes only.  Anything else (several ranges, other units, bad syntax) is ignored, which the
 * RFC allows: the whole file is sent. */
#ifndef CB_HTTP_RANGE_H
#define CB_HTTP_RANGE_H

#include <stdint.h>

/* For a file of `size` bytes: 0 = send it whole (no header, or one to ignore); 1 = send
 * `*len` bytes from `*first` (206); -ERANGE = unsatisfiable (416). */
int http_range_parse(const char *hdr, uint64_t size, uint64_t *first, uint64_t *len);

#endif
