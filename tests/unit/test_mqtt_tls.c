/* MQTT's TLS context (event/mqtt_tls.c), with a CA, a broker and a client certificate made
 * here with OpenSSL: bad PEM files are refused naming the file and what is wrong (a FIFO
 * without hanging, an encrypted key without a prompt), and real handshakes over a socket
 * pair against a server of the test's: the right CA and name pass, a wrong CA or a wrong
 * name fail with the reason recorded for the log line; a client certificate reaches the
 * server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "event/mqtt_tls.h"
#include "tu_cfg.h"

static char dir[64];
static EVP_PKEY *ca_key, *other_key, *broker_key, *client_key;
static X509 *ca, *other, *broker, *client;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key named cn, signed by issuer (a CA when NULL: self-signed). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *san)
{
	static long serial = 1;
	X509 *x = X509_new();

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	if (!issuer) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	if (san)
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static const char *path(const char *name)
{
	static char p[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* name: the certificates given, then key (encrypted with pass when not NULL). */
static void write_pem(const char *name, X509 *c1, X509 *c2, EVP_PKEY *key, const char *pass)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	if (c1)
		assert_int_equal(PEM_write_X509(f, c1), 1);
	if (c2)
		assert_int_equal(PEM_write_X509(f, c2), 1);
	if (key)
		assert_int_equal(PEM_write_PrivateKey(f, key, pass ? EVP_aes_128_cbc() : NULL,
						      (unsigned char *)pass, pass ? (int)strlen(pass) : 0,
						      NULL, NULL), 1);
	fclose(f);
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_mqtt_tls-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	ca_key = EVP_EC_gen("P-256");
	other_key = EVP_EC_gen("P-256");
	broker_key = EVP_EC_gen("P-256");
	client_key = EVP_EC_gen("P-256");
	ca = make_cert("test CA", ca_key, NULL, NULL, NULL);
	other = make_cert("other CA", other_key, NULL, NULL, NULL);
	broker = make_cert("broker", broker_key, ca, ca_key, "IP:127.0.0.1,DNS:broker.lan");
	client = make_cert("client", client_key, ca, ca_key, NULL);
	write_pem("ca.pem", ca, NULL, NULL, NULL);
	write_pem("other.pem", other, NULL, NULL, NULL);
	write_pem("both.pem", other, ca, NULL, NULL);
	write_pem("client.pem", client, NULL, NULL, NULL);
	write_pem("client.key", NULL, NULL, client_key, NULL);
	write_pem("client-enc.key", NULL, NULL, client_key, "passphrase");
	write_pem("other.key", NULL, NULL, other_key, NULL);
	write_text("notpem.pem", "hello\n");
	write_text("empty.pem", "");
	write_pem("broken.pem", ca, NULL, NULL, NULL);
	{
		FILE *f = fopen(path("broken.pem"), "a");

		fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", f);
		fclose(f);
	}
	return mkfifo(path("fifo.pem"), 0600);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	X509_free(ca);
	X509_free(other);
	X509_free(broker);
	X509_free(client);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(broker_key);
	EVP_PKEY_free(client_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* mqtt_tls_ctx_new for host 127.0.0.1 and these files; the context is freed on success. */
static int try_files(const char *ca_file, const char *cert, const char *key,
		     enum mqtt_tls_file *which, char *msg, size_t n)
{
	struct mqtt_tls_opts o = {
		.host = "127.0.0.1", .ca_file = ca_file, .cert_file = cert, .key_file = key,
	};
	SSL_CTX *ctx = NULL;
	int r = mqtt_tls_ctx_new(&o, NULL, &ctx, which, msg, n);

	assert_true(r < 0 ? ctx == NULL : ctx != NULL);
	SSL_CTX_free(ctx);
	assert_int_equal(ERR_peek_error(), 0);   /* nothing left for the next user */
	return r;
}

static void expect_refused(const char *ca_file, const char *cert, const char *key,
			   enum mqtt_tls_file want, const char *file, const char *why)
{
	enum mqtt_tls_file which;
	char msg[600];

	assert_true(try_files(ca_file, cert, key, &which, msg, sizeof(msg)) < 0);
	assert_int_equal(which, want);
	tu_assert_contains(msg, file);
	tu_assert_contains(msg, why);
}

static void test_files(void **state)
{
	enum mqtt_tls_file which;
	char msg[600];

	(void)state;
	tu_deadline(20);   /* a FIFO opened blocking, or a passphrase prompt, would hang */
	assert_int_equal(try_files(path("ca.pem"), NULL, NULL, &which, msg, sizeof(msg)), 0);
	assert_int_equal(try_files(path("both.pem"), path("client.pem"), path("client.key"),
				   &which, msg, sizeof(msg)), 0);
	assert_int_equal(try_files(NULL, NULL, NULL, &which, msg, sizeof(msg)), 0);

	expect_refused(path("missing.pem"), NULL, NULL, MQTT_TLS_CA, path("missing.pem"),
		       "No such file");
	expect_refused(path("notpem.pem"), NULL, NULL, MQTT_TLS_CA, path("notpem.pem"),
		       "no PEM certificate");
	expect_refused(path("empty.pem"), NULL, NULL, MQTT_TLS_CA, path("empty.pem"),
		       "no PEM certificate");
	expect_refused(path("broken.pem"), NULL, NULL, MQTT_TLS_CA, path("broken.pem"),
		       "certificate 2: ");
	expect_refused(path("fifo.pem"), NULL, NULL, MQTT_TLS_CA, path("fifo.pem"),
		       "not a regular file");
	expect_refused(dir, NULL, NULL, MQTT_TLS_CA, dir, "directory");
	expect_refused(path("ca.pem"), path("notpem.pem"), path("client.key"), MQTT_TLS_CERT,
		       path("notpem.pem"), "no PEM certificate");
	expect_refused(path("ca.pem"), path("client.pem"), path("client-enc.key"), MQTT_TLS_KEY,
		       path("client-enc.key"), "an encrypted key is not supported");
	expect_refused(path("ca.pem"), path("client.pem"), path("other.key"), MQTT_TLS_KEY,
		       path("other.key"), "not the private key of the certificate in");
	expect_refused(path("ca.pem"), path("client.pem"), path("fifo.pem"), MQTT_TLS_KEY,
		       path("fifo.pem"), "not a regular file");
	/* half a client certificate */
	assert_true(try_files(path("ca.pem"), path("client.pem"), NULL, &which, msg,
			      sizeof(msg)) < 0);
	tu_deadline(0);
}

static int step(SSL *s, int *done)
{
	int r, e;

	if (*done)
		return 0;
	r = SSL_do_handshake(s);
	if (r == 1) {
		*done = 1;
		return 0;
	}
	e = SSL_get_error(s, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* A TLS server of ours with the broker's certificate (wanting a client certificate from
 * the test CA when want_client), and a client with our context for host and ca_file.
 * 0 when both ends finished the handshake; *fail as the client recorded it. */
static int handshake(const char *host, const char *ca_file, int want_client,
		     struct mqtt_tls_fail *fail, X509 **peer)
{
	struct mqtt_tls_opts o = {
		.host = host, .ca_file = ca_file,
		.cert_file = want_client ? path("client.pem") : NULL,
		.key_file = want_client ? path("client.key") : NULL,
	};
	enum mqtt_tls_file which;
	SSL_CTX *cctx, *sctx = SSL_CTX_new(TLS_server_method());
	SSL *c, *s;
	char msg[600];
	int sv[2], cdone = 0, sdone = 0, bad = 0;

	memset(fail, 0, sizeof(*fail));
	assert_int_equal(mqtt_tls_ctx_new(&o, fail, &cctx, &which, msg, sizeof(msg)), 0);
	assert_non_null(sctx);
	assert_int_equal(SSL_CTX_use_certificate(sctx, broker), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sctx, broker_key), 1);
	if (want_client) {
		X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), ca);
		SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	SSL_set_fd(c, sv[0]);
	SSL_set_fd(s, sv[1]);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 1000 && !bad && !(cdone && sdone); i++)
		bad = step(c, &cdone) < 0 || step(s, &sdone) < 0;
	if (peer)
		*peer = SSL_get1_peer_certificate(s);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	close(sv[0]);
	close(sv[1]);
	ERR_clear_error();
	return cdone && sdone ? 0 : -1;
}

static void expect_fail(const char *host, const char *ca_file, long err, const char *text)
{
	struct mqtt_tls_fail f;
	char s[300];

	assert_int_equal(handshake(host, ca_file, 0, &f, NULL), -1);
	assert_int_equal(f.err, err);
	assert_int_equal(f.depth, 0);
	mqtt_tls_fail_str(&f, s, sizeof(s));
	tu_assert_contains(s, text);
	tu_assert_contains(s, "the broker's certificate /CN=broker");
}

static void test_handshake(void **state)
{
	struct mqtt_tls_fail f;
	X509 *peer = NULL;
	char cn[64] = "";

	(void)state;
	assert_int_equal(handshake("127.0.0.1", path("ca.pem"), 0, &f, NULL), 0);
	assert_int_equal(f.err, 0);
	assert_int_equal(handshake("broker.lan", path("both.pem"), 0, &f, NULL), 0);
	assert_int_equal(f.err, 0);

	expect_fail("127.0.0.1", path("other.pem"), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
		    "unable to get local issuer certificate");
	expect_fail("127.0.0.2", path("ca.pem"), X509_V_ERR_IP_ADDRESS_MISMATCH,
		    "IP address mismatch");
	expect_fail("mqtt.lan", path("ca.pem"), X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
	/* not a prefix match, and no wildcard of ours */
	expect_fail("broker.lan.evil", path("ca.pem"), X509_V_ERR_HOSTNAME_MISMATCH,
		    "hostname mismatch");

	/* a server that wants a client certificate gets ours */
	assert_int_equal(handshake("127.0.0.1", path("ca.pem"), 1, &f, &peer), 0);
	assert_non_null(peer);
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "client");
	X509_free(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_handshake),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
