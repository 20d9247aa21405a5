/* Camera source URLs.
 *
 *   bc-udp://[USER[:PASS]@]HOST[:PORT][/main|/sub][?uid=UID][&iface=IF]...
 *       Battery cameras over Baichuan/UDP.  HOST is the camera's address, or `broadcast`
 *       (alias `*`) for broadcast discovery on the local networks: the camera that owns UID
 *       answers, so broadcast needs a UID (from ?uid= or camera.uid).  PORT narrows discovery
 *       to that one port (default: camera.discovery_ports, 2018 and 2015).  ?iface=IF
 *       (repeatable) sends discovery only on those interfaces (default: all).
 *   bc-tcp://[USER[:PASS]@]HOST[:PORT][/main|/sub]       PORT defaults to 9000.
 *   bc-p2p://[USER[:PASS]@]UID[/main|/sub]               looked up through the P2P servers.
 *   anything else (rtsp://, rtsps://, udp://, http(s)://, rtmp://, srt://, a file path):
 *       a libavformat source, kept verbatim.
 *
 * USER and PASS are percent-decoded ('@', ':', '/', '?', '#' and '%' in a password must be
 * written %40 %3A %2F %3F %23 %25).  HOST may be an IPv6 literal in brackets ([fe80::1%25eth0]).
 * Error messages name the part that is wrong and never contain the password.
 */
#ifndef CB_APP_URL_H
#define CB_APP_URL_H

#include <stddef.h>

#define URL_MAX_LEN      1023   /* whole source string */
#define URL_USER_MAX     63
#define URL_PASS_MAX     127
#define URL_HOST_MAX     255
#define URL_UID_MAX      63
#define URL_IFACE_MAX    15     /* IFNAMSIZ - 1 */
#define URL_MAX_IFACES   4
#define URL_BC_TCP_PORT  9000

enum url_kind { URL_BC_UDP, URL_BC_TCP, URL_BC_P2P, URL_AV };

struct url {
	enum url_kind kind;
	/* Baichuan kinds only: */
	int has_user, has_password;     /* present in the URL (they win over camera.user/password) */
	char user[URL_USER_MAX + 1];
	char password[URL_PASS_MAX + 1];
	char host[URL_HOST_MAX + 1];    /* no brackets; "" with broadcast; the UID for bc-p2p */
	int broadcast;                  /* bc-udp://…@broadcast */
	int port;                       /* 0 = not given (bc-tcp: set to 9000) */
	int stream;                     /* -1 = not given, 0 = /main, 1 = /sub */
	char uid[URL_UID_MAX + 1];      /* ?uid= (bc-udp), the host part (bc-p2p) */
	char iface[URL_MAX_IFACES][URL_IFACE_MAX + 1];
	int n_iface;
	/* URL_AV: */
	char av[URL_MAX_LEN + 1];       /* verbatim (may hold a password: url_redact before logging) */
	int av_is_path;                 /* no scheme: a file path */
};

/* Parses s into u.  Returns 0 or -EINVAL with a message in err (never containing the
 * password). */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

/* Writes s with the password of any `scheme://user:PASS@` and the value of password-like
 * query parameters (password, passwd, pass, pwd) replaced by "***".  Errs on the side of
 * hiding too much.  Returns 0, or -ENOSPC when out was too small (out then holds a truncated
 * redacted string, never a password). */
int url_redact(const char *s, char *out, size_t outlen);

/* Percent-encodes every byte outside RFC 3986 "unreserved" (for a userinfo).  Returns 0 or
 * -ENOSPC. */
int url_encode(const char *s, char *out, size_t outlen);

/* "bc-udp", "bc-tcp", "bc-p2p", "url". */
const char *url_kind_name(enum url_kind k);

#endif
