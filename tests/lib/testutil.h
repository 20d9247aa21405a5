/* Helpers shared by the unit tests. */
#ifndef CB_TESTUTIL_H
#define CB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Absolute path of ../shared/conformance/<rel> (relative to the repository), or NULL when the
 * conformance folder is absent.  Static buffer: copy it if you need two at once. */
const char *tu_conformance_path(const char *rel);
/* Reads a whole file (≤ 64 MiB) into a malloc'd buffer; NULL on error. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Reads a conformance file; calls cmocka's skip() (which does not return) when the folder is
 * absent, fails the test when the file is missing. */
uint8_t *tu_read_conformance(const char *rel, size_t *len);
/* Parses "f0 de bc 0a …" hex (spaces/newlines ignored) into a malloc'd buffer. */
uint8_t *tu_hex(const char *hex, size_t *len);

#endif
