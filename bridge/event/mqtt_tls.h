/* The TLS client context for MQTT, built by us rather than by libmosquitto (handed over with
 * MOSQ_OPT_SSL_CTX): the PEM files are read through rfile (bounded, never blocking on a FIFO,
 * never prompting for a passphrase), the broker's name is checked by OpenSSL itself, and a
 * failed certificate check is recorded so that the one log line can say what was wrong
 * instead of libmosquitto's "A TLS error occurred". */
#ifndef CB_EVENT_MQTT_TLS_H
#define CB_EVENT_MQTT_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#define MQTT_TLS_FILE_MAX (1024 * 1024)   /* a PEM file; Debian's whole CA bundle is ~220 KB */

struct mqtt_tls_opts {
	const char *host;       /* the broker's name or address its certificate must carry */
	const char *ca_file;    /* NULL or "": the system CA certificates */
	const char *cert_file;  /* client certificate (chain), PEM; NULL or "": none */
	const char *key_file;   /* its private key, PEM, not encrypted */
};

/* The first certificate check that failed in a handshake; err 0 = none. */
struct mqtt_tls_fail {
	long err;               /* X509_V_ERR_* */
	int depth;              /* 0: the broker's own certificate */
	char subject[160];
};

enum mqtt_tls_file { MQTT_TLS_CA = 1, MQTT_TLS_CERT, MQTT_TLS_KEY };

/* A new client context (TLS 1.2 or later, peer and host name verified).  fail (may be NULL)
 * must outlive the context: handshakes record into it.  0, or a negative errno with *which
 * set to the file at fault and msg saying what is wrong with it. */
int mqtt_tls_ctx_new(const struct mqtt_tls_opts *o, struct mqtt_tls_fail *fail, SSL_CTX **out,
		     enum mqtt_tls_file *which, char *msg, size_t n);

/* "self-signed certificate in certificate chain (the broker's certificate, CN = x)" */
void mqtt_tls_fail_str(const struct mqtt_tls_fail *f, char *out, size_t n);

#endif
