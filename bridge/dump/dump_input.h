/* Non-pcap input: several files read in a row as one byte stream of BC messages, BcUdp
 * datagrams (back to back) or BcMedia packets; and the input-type detection. */
#ifndef CB_DUMP_INPUT_H
#define CB_DUMP_INPUT_H

#include "dump/dump.h"

enum dump_type { DUMP_T_AUTO = 0, DUMP_T_BC, DUMP_T_BCUDP, DUMP_T_MEDIA, DUMP_T_PCAP };

/* "bc", "bcudp", "media", "pcap" → type; DUMP_T_AUTO for an unknown name. */
enum dump_type dump_type_from_name(const char *name);
const char *dump_type_name(enum dump_type t);
/* The type from the first bytes (n ≥ 4 needed), DUMP_T_AUTO if unknown. */
enum dump_type dump_detect(const uint8_t *p, size_t n);

/* Reads the files as one stream of type t (not pcap).  0, or -EIO when a file cannot be
 * read (reported). */
int dump_stream_files(struct dump *d, enum dump_type t, char *const *files, int n);

/* --marker FILE WxH FORMAT: one counter per line (json: {"type":"marker",…} lines).
 * Exit status: 0, 1 (size not a multiple of the frame size), 2 (bad arguments / I/O). */
int dump_marker(const char *path, const char *size, const char *format, bool json);

#endif
