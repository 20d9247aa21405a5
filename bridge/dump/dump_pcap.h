/* pcap / pcapng input (libpcap): Ethernet (+VLAN), Linux SLL/SLL2, raw IP, BSD loopback;
 * IPv4 and IPv6.  TCP payloads are reassembled per direction by sequence number (partial
 * captures tolerated: a gap is reported and decoding resyncs at the next BC magic); UDP
 * payloads that carry a BcUdp magic are decoded as BcUdp datagrams. */
#ifndef CB_DUMP_PCAP_H
#define CB_DUMP_PCAP_H

#include "dump/dump.h"

#define DUMP_TCP_FLOWS      64           /* TCP connections tracked (LRU evicted) */
#define DUMP_TCP_OOO_SEGS   64           /* out-of-order segments held per direction */
#define DUMP_TCP_OOO_BYTES  (2u << 20)   /* … and their bytes */
#define DUMP_TCP_HOLD_SECS  2.0          /* a hole not filled within this is a capture gap */

/* Reads the files as one capture.  0, or a negative errno when a file cannot be opened or
 * read (reported). */
int dump_pcap_files(struct dump *d, char *const *files, int n);

#endif
