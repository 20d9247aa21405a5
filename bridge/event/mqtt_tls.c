/* MQTT's TLS client context (mqtt_tls.h). */
#include "event/mqtt_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/rfile.h"

__attribute__((format(printf, 4, 5)))
static int bad(char *msg, size_t n, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return err;
}

/* OpenSSL's reason for the last error, for a message. */
static const char *reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s ? s : "not PEM";
}

/* PEM reading stops with "no start line" when no block is left: the normal end. */
static int at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Never a passphrase: OpenSSL's default would ask on the terminal and block the thread. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mqtt_tls_fail *f = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	if (ok || !f || f->err)
		return ok;
	f->err = X509_STORE_CTX_get_error(x);
	f->depth = X509_STORE_CTX_get_error_depth(x);
	f->subject[0] = '\0';
	if (cert)   /* escapes what is not printable ASCII */
		X509_NAME_oneline(X509_get_subject_name(cert), f->subject, sizeof(f->subject));
	return ok;
}

/* path's bytes in a memory BIO over *buf (bounded, regular files only). */
static int open_pem(const char *path, char **buf, size_t *len, BIO **bio, char *msg, size_t n)
{
	int r = rfile_read(path, MQTT_TLS_FILE_MAX, buf, len);

	if (r < 0)
		return bad(msg, n, r, "%s: %s", path, rfile_strerror(r));
	*bio = BIO_new_mem_buf(*buf, (int)*len);
	if (!*bio) {
		free(*buf);
		return bad(msg, n, -ENOMEM, "%s: out of memory", path);
	}
	return 0;
}

static void close_pem(char *buf, size_t len, BIO *bio, int secret)
{
	BIO_free(bio);
	if (secret)
		explicit_bzero(buf, len);
	free(buf);
}

/* Every certificate of the file becomes a trust anchor. */
static int add_cas(SSL_CTX *ctx, BIO *b, const char *path, char *msg, size_t n)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509 *x;
	int count = 0;

	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		int ok = X509_STORE_add_cert(st, x);

		X509_free(x);
		if (!ok)
			return bad(msg, n, -EINVAL, "%s: certificate %d: %s", path, count + 1,
				   reason());
		count++;
	}
	if (!at_end())
		return bad(msg, n, -EINVAL, "%s: certificate %d: %s", path, count + 1, reason());
	if (!count)
		return bad(msg, n, -EINVAL, "%s: no PEM certificate (BEGIN CERTIFICATE) in it", path);
	ERR_clear_error();
	return 0;
}

/* The client's certificate, then any intermediate CA certificates after it. */
static int use_cert(SSL_CTX *ctx, BIO *b, const char *path, char *msg, size_t n)
{
	X509 *x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
	int ok;

	if (!x)
		return bad(msg, n, -EINVAL, "%s: no PEM certificate (BEGIN CERTIFICATE) in it", path);
	ok = SSL_CTX_use_certificate(ctx, x);
	X509_free(x);
	if (ok != 1)
		return bad(msg, n, -EINVAL, "%s: %s", path, reason());
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)))
		if (!SSL_CTX_add0_chain_cert(ctx, x)) {
			X509_free(x);
			return bad(msg, n, -EINVAL, "%s: chain certificate: %s", path, reason());
		}
	if (!at_end())
		return bad(msg, n, -EINVAL, "%s: chain certificate: %s", path, reason());
	ERR_clear_error();
	return 0;
}

static int use_key(SSL_CTX *ctx, BIO *b, const char *path, const char *cert_path, char *msg,
		   size_t n)
{
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	int ok;

	if (!k)
		return bad(msg, n, -EINVAL, "%s: no usable PEM private key in it (%s; an encrypted "
			   "key is not supported)", path, reason());
	ok = SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(k);
	if (!ok)
		return bad(msg, n, -EINVAL, "%s: not the private key of the certificate in %s",
			   path, cert_path);
	return 0;
}

/* The name the broker's certificate must carry: an address is matched against its IP
 * subjectAltNames, a name against its DNS ones (OpenSSL's check, RFC 6125). */
static int want_host(SSL_CTX *ctx, const char *host, char *msg, size_t n)
{
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
	unsigned char a[16];
	int ok;

	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(p, host);
	} else {
		X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		ok = X509_VERIFY_PARAM_set1_host(p, host, 0);
	}
	return ok == 1 ? 0 : bad(msg, n, -EINVAL, "'%.100s' cannot be checked against a "
				  "certificate", host);
}

/* One PEM file: read, handed to the step, scrubbed (a key) and freed. */
static int with_pem(SSL_CTX *ctx, const char *path, enum mqtt_tls_file which, const char *cert,
		    char *msg, size_t n)
{
	char *buf;
	size_t len;
	BIO *b;
	int r = open_pem(path, &buf, &len, &b, msg, n);

	if (r < 0)
		return r;
	ERR_clear_error();
	if (which == MQTT_TLS_CA)
		r = add_cas(ctx, b, path, msg, n);
	else if (which == MQTT_TLS_CERT)
		r = use_cert(ctx, b, path, msg, n);
	else
		r = use_key(ctx, b, path, cert, msg, n);
	close_pem(buf, len, b, which == MQTT_TLS_KEY);
	return r;
}

int mqtt_tls_ctx_new(const struct mqtt_tls_opts *o, struct mqtt_tls_fail *fail, SSL_CTX **out,
		     enum mqtt_tls_file *which, char *msg, size_t n)
{
	int has_ca = o->ca_file && o->ca_file[0], has_cert = o->cert_file && o->cert_file[0];
	int has_key = o->key_file && o->key_file[0];
	SSL_CTX *ctx;
	int r = 0;

	*out = NULL;
	*which = 0;
	msg[0] = '\0';
	if (!o->host || !o->host[0] || has_cert != has_key)
		return bad(msg, n, -EINVAL, "a client certificate needs both its file and its key");
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return bad(msg, n, -ENOMEM, "cannot create a TLS context: %s", reason());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_app_data(ctx, fail);
	if (has_ca) {
		*which = MQTT_TLS_CA;
		r = with_pem(ctx, o->ca_file, MQTT_TLS_CA, NULL, msg, n);
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		r = bad(msg, n, -EINVAL, "the system CA certificates: %s", reason());
	}
	if (!r && has_cert) {
		*which = MQTT_TLS_CERT;
		r = with_pem(ctx, o->cert_file, MQTT_TLS_CERT, NULL, msg, n);
		if (!r) {
			*which = MQTT_TLS_KEY;
			r = with_pem(ctx, o->key_file, MQTT_TLS_KEY, o->cert_file, msg, n);
		}
	}
	if (!r) {
		*which = 0;
		r = want_host(ctx, o->host, msg, n);
	}
	if (r < 0) {
		SSL_CTX_free(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

void mqtt_tls_fail_str(const struct mqtt_tls_fail *f, char *out, size_t n)
{
	char who[48];

	if (f->depth == 0)
		snprintf(who, sizeof(who), "the broker's certificate");
	else
		snprintf(who, sizeof(who), "certificate %d of the broker's chain", f->depth);
	snprintf(out, n, "%s (%s%s%s)", X509_verify_cert_error_string(f->err), who,
		 f->subject[0] ? " " : "", f->subject);
}
