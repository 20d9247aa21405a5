/* cam-bridge-dump: shared state of the decoder (options, output, counters) and the
 * "where did this come from" context every printed item carries. */
#ifndef CB_DUMP_H
#define CB_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dump/dump_json.h"

/* Limits a hostile input could push against (bounded memory whatever the input). */
#define DUMP_READ_CHUNK       65536        /* bytes read from a file at a time */
#define DUMP_MAX_STR          (1u << 20)   /* longest XML string printed (then "truncated") */
#define DUMP_MEDIA_SLOTS      2            /* BcMedia parsers per BC stream direction */
#define DUMP_MEM_BUDGET       (256u << 20) /* pcap: flows are evicted above this */

struct dump_opts {
	const char *password;       /* NULL = no AES key (never printed) */
	const char *nonce;          /* --nonce: AES assumed negotiated with it */
	bool show_secrets;          /* print <password> element text */
	bool quiet_media;           /* --no-media: BC binary payloads are not parsed as BcMedia */
	size_t max_msg;             /* BC header + body limit */
	size_t max_frame;           /* BcMedia payload_size limit */
};

/* Map from a stream offset to the file it came from (several files read as one stream). */
#define DUMP_MAX_FILES 4096
struct dump_file_span {
	uint64_t start;
	const char *name;
};

struct dump {
	struct dump_opts o;
	FILE *out;
	uint64_t items, errors, warnings;
	uint64_t packets, ignored, truncated;   /* pcap statistics for the summary */
	struct dump_file_span files[DUMP_MAX_FILES];
	unsigned n_files;
	struct jw jw;               /* the line being built (reused: no per-item allocation) */
	struct jw ejw;              /* the same for stderr */
	struct sbuf scratch;        /* XML being redacted before printing */
};

/* Where an item came from. */
struct dump_where {
	bool pcap;
	uint64_t packet;            /* pcap: 1-based packet number over all files */
	double time;                /* pcap: capture timestamp, seconds */
	const char *src, *dst;      /* pcap: "ip:port" */
	const char *proto;          /* pcap: "tcp" / "udp" */
	bool has_conn;              /* item of a BcUdp Data stream: offsets are in that stream */
	int32_t conn_id;
};

void dump_init(struct dump *d, const struct dump_opts *o);
void dump_free(struct dump *d);

/* Starts an item line {"type":type,"offset":off,...context} in d->jw. */
void dump_item_begin(struct dump *d, const char *type, uint64_t off, const struct dump_where *w);
/* Ends and prints it on stdout. */
void dump_item_end(struct dump *d);

/* {"type":"error"|"warning","offset":…,"message":…} on stderr; errors make the exit status 1. */
void dump_error(struct dump *d, uint64_t off, const struct dump_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void dump_warning(struct dump *d, uint64_t off, const struct dump_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* File spans for stream offsets (non-pcap input). */
void dump_file_add(struct dump *d, uint64_t start, const char *name);
const char *dump_file_at(const struct dump *d, uint64_t off);

#endif
