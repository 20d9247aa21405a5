/* The XML inside BcUdp discovery/control packets: <P2P><KIND>fields…</KIND></P2P>.
 * One struct with optional fields (a `has` bit each) serves every message kind of BAICHUAN.md
 * §7.2 and §8.  Parsing is lenient (any field under any kind, any order and whitespace);
 * building is strict (only the fields the kind defines, in the order real peers send them,
 * and the kind's mandatory fields must be set). */
#ifndef CB_BC_BCUDP_XML_H
#define CB_BC_BCUDP_XML_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bcudp_pkt.h"
#include "util/sbuf.h"

enum bcudp_kind {
	BCUDP_K_UNKNOWN = 0,
	BCUDP_K_C2D_S, BCUDP_K_C2D_C, BCUDP_K_D2C_C_R, BCUDP_K_C2D_T, BCUDP_K_D2C_T,
	BCUDP_K_C2D_A, BCUDP_K_D2C_CFM, BCUDP_K_C2D_HB, BCUDP_K_D2C_HB, BCUDP_K_C2D_DISC,
	BCUDP_K_D2C_DISC, BCUDP_K_R2C_DISC,
	BCUDP_K_C2M_Q, BCUDP_K_M2C_Q_R, BCUDP_K_C2R_C, BCUDP_K_R2C_C_R, BCUDP_K_R2C_T,
	BCUDP_K_C2R_CFM, BCUDP_K_C2R_HB,
	BCUDP_K_COUNT
};

enum bcudp_field {
	BCUDP_F_UID, BCUDP_F_CLI, BCUDP_F_TO, BCUDP_F_CID, BCUDP_F_DID, BCUDP_F_SID,
	BCUDP_F_MTU, BCUDP_F_DEBUG, BCUDP_F_P, BCUDP_F_CONN, BCUDP_F_RSP, BCUDP_F_TIMER,
	BCUDP_F_TIME_R, BCUDP_F_REG, BCUDP_F_RELAY, BCUDP_F_LOG, BCUDP_F_T, BCUDP_F_DEV,
	BCUDP_F_DMAP, BCUDP_F_RELAYT, BCUDP_F_NAT, BCUDP_F_AC, BCUDP_F_FAMILY, BCUDP_F_R,
	BCUDP_F_VER,
	BCUDP_F_COUNT
};
#define BCUDP_HAS(f) (1u << (f))

#define BCUDP_STR_MAX 64     /* uid, debug, p, conn, nat (incl. NUL) */
#define BCUDP_IP_MAX  64

/* <x><ip>…</ip><port>…</port></x> */
struct bcudp_ep {
	char ip[BCUDP_IP_MAX];
	int32_t port;
	uint8_t has_ip, has_port;
};

/* <timer><def/><hb/><hbt/></timer>, milliseconds (assumed) */
struct bcudp_timer {
	int32_t def, hb, hbt;
	uint8_t has_def, has_hb, has_hbt;
};

struct bcudp_msg {
	enum bcudp_kind kind;
	char name[24];               /* element name as received (useful when kind is UNKNOWN) */
	uint32_t has;                /* BCUDP_HAS(BCUDP_F_*) bits */
	char uid[BCUDP_STR_MAX];
	struct bcudp_ep cli;         /* C2D_C: port only; C2R_C: ip + port */
	struct bcudp_ep to;          /* C2D_S: port only */
	int32_t cid, did;            /* signed: negative values occur */
	uint32_t sid;
	int32_t mtu;
	char debug[BCUDP_STR_MAX];   /* "0", "false", "251658240" … kept verbatim */
	char p[BCUDP_STR_MAX];       /* "MAC" / "WIN" */
	char conn[BCUDP_STR_MAX];    /* "local" / "map" / "relay" */
	int32_t rsp;
	struct bcudp_timer timer;
	int32_t time_r;
	struct bcudp_ep reg, relay, log, t, dev, dmap, relayt;
	char nat[BCUDP_STR_MAX];
	int64_t ac;
	int32_t family, r, ver;
};

/* Build flags */
#define BCUDP_XML_CAMERA 1u          /* newline after every tag, like real cameras */

void bcudp_msg_init(struct bcudp_msg *m, enum bcudp_kind kind);
const char *bcudp_kind_name(enum bcudp_kind k);
enum bcudp_kind bcudp_kind_from_name(const char *name);
const char *bcudp_field_name(enum bcudp_field f);
/* Fields a kind may carry (returned) and must carry (*required, may be NULL) as has-masks. */
uint32_t bcudp_kind_fields(enum bcudp_kind k, uint32_t *required);

/* Appends the XML to out.  -EINVAL when a mandatory field is missing, a field the kind does
 * not define is set, or the kind is UNKNOWN; else out->err. */
int bcudp_msg_build(const struct bcudp_msg *m, unsigned flags, struct sbuf *out);
/* Parses plaintext XML.  0, -EBADMSG (not XML, root not <P2P>, no child), -EINVAL (a number
 * field that is not a 32-bit integer), -E2BIG (a string over its limit); e names the field.
 * An unknown kind parses with kind BCUDP_K_UNKNOWN and name set. */
int bcudp_msg_parse(const void *xml, size_t len, struct bcudp_msg *m, struct bcudp_err *e);

/* Whole discovery datagram: build the XML, encrypt with tid, add the checksum.  Returns the
 * datagram length or a negative errno (-ENOSPC when cap is too small). */
int bcudp_msg_encode(const struct bcudp_msg *m, unsigned flags, uint32_t tid, uint8_t *out,
		     size_t cap);
/* Checks the checksum, decrypts and parses a discovery packet. */
int bcudp_msg_decode(const struct bcudp_pkt *p, struct bcudp_msg *m, struct bcudp_err *e);

#endif
