/* Secrets: password files and systemd credentials, which source wins, and warnings about
 * readable files.  Errors name the file, never the content. */
#include "app/cfg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rfile.h"

/* An inline secret in a file that group/other can read earns a warning. */
void cfg_secret_perms(struct cfg *c, struct diag *d, int ki, const char *file, int line)
{
	const struct key *k = &cfg_keys[ki];
	const char *v = cfg_kptr(c, k);
	struct stat st;

	if (!*v)
		return;
	if (!(k->flags & KF_SECRET)) {
		char red[URL_MAX_LEN + 1];

		/* camera.source: only when it holds a password */
		if (url_redact(v, red, sizeof(red)) == 0 && !strcmp(red, v))
			return;
	}
	if (stat(file, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		cfg_warn(c, d, "%s:%d: %s holds a password but %s is readable by group/other "
		     "(mode %04o): chmod 600 it, or use a password_file or a systemd credential",
		     file, line, k->path, file, (unsigned)(st.st_mode & 07777));
}

/* A file holding a secret (password, private key) that group/other can read earns a
 * warning naming the key. */
void cfg_warn_readable(struct cfg *c, struct diag *d, const char *key, const char *file)
{
	struct stat st;

	if (stat(file, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		cfg_warn(c, d, "%s: %s is readable by group/other (mode %04o): chmod 600 it", key,
			 file, (unsigned)(st.st_mode & 07777));
}

/* Reads a one-line secret (a trailing newline is dropped).  Errors name the file, never the
 * content. */
static int read_secret(const char *path, char *out, size_t outlen, char *msg, size_t n)
{
	char buf[URL_PASS_MAX + 3];
	size_t size, len = 0;
	ssize_t r;
	int fd = rfile_open(path, URL_PASS_MAX + 2, &size);   /* + "\r\n" */

	if (fd == -EFBIG)
		return cfg_bad(msg, n, "'%.200s': password longer than %d bytes", path,
			       URL_PASS_MAX);
	if (fd == -EISDIR || fd == -RFILE_ENOTREG)
		return cfg_bad(msg, n, "'%.200s': %s", path, rfile_strerror(fd));
	if (fd < 0)
		return cfg_bad(msg, n, "cannot open '%.200s': %s", path, strerror(-fd));
	while ((r = read(fd, buf + len, sizeof(buf) - len)) > 0 || (r < 0 && errno == EINTR))
		len += r > 0 ? (size_t)r : 0;
	close(fd);
	if (r < 0)
		return cfg_bad(msg, n, "cannot read '%.200s': %s", path, strerror(errno));
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	if (len == 0)
		return cfg_bad(msg, n, "'%.200s' is empty", path);
	if (len >= outlen || len > URL_PASS_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return cfg_bad(msg, n, "'%.200s': password longer than %d bytes", path, URL_PASS_MAX);
	}
	if (memchr(buf, '\n', len) || memchr(buf, '\0', len)) {
		explicit_bzero(buf, sizeof(buf));
		return cfg_bad(msg, n, "'%.200s': password must be one line of text", path);
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* An empty credential counts as none: the unit passes SetCredential=password:\n so that it
 * starts when no password file exists (systemd refuses an empty value).  Anything that is not
 * a small regular file is not blank: read_secret then says what is wrong with it. */
static int secret_file_blank(const char *path)
{
	char buf[4];
	size_t size;
	ssize_t r;
	int fd = rfile_open(path, 2, &size);

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r == 0 || (r == 1 && buf[0] == '\n') || (r == 2 && buf[0] == '\r' && buf[1] == '\n');
}

static const char *pw_source_desc(enum cfg_pw_source s)
{
	switch (s) {
	case CFG_PW_URL: return "password in the URL";
	case CFG_PW_INLINE: return "inline password";
	case CFG_PW_FILE: return "password_file";
	case CFG_PW_CREDENTIAL: return "systemd credential";
	case CFG_PW_NONE: break;
	}
	return "no password";
}

const char *cfg_pw_source_name(enum cfg_pw_source s)
{
	switch (s) {
	case CFG_PW_URL: return "url";
	case CFG_PW_INLINE: return "inline";
	case CFG_PW_FILE: return "file";
	case CFG_PW_CREDENTIAL: return "credential";
	case CFG_PW_NONE: break;
	}
	return "none";
}

void cfg_resolve_password(struct cfg *c, struct diag *d, const char *what, int url_has,
			  const char *url_pw, char *out, size_t outlen, int ki_file,
			  const char *cred, enum cfg_pw_source *src)
{
	const char *file = cfg_kptr(c, &cfg_keys[ki_file]);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char credpath[CFG_PATH_MAX + 1] = "";
	enum cfg_pw_source have[4];
	int nh = 0;
	char m[CFG_ERR_MAX - 64];

	if (dir && *dir) {
		snprintf(credpath, sizeof(credpath), "%s/%s", dir, cred);
		if (access(credpath, F_OK) != 0 || secret_file_blank(credpath))
			credpath[0] = '\0';
	}
	if (url_has)
		have[nh++] = CFG_PW_URL;
	if (*out)
		have[nh++] = CFG_PW_INLINE;
	if (*file)
		have[nh++] = CFG_PW_FILE;
	if (credpath[0])
		have[nh++] = CFG_PW_CREDENTIAL;
	*src = nh ? have[0] : CFG_PW_NONE;
	for (int i = 1; i < nh; i++)
		cfg_warn(c, d, "%s: using the %s, ignoring the %s", what, pw_source_desc(have[0]),
		     pw_source_desc(have[i]));
	switch (*src) {
	case CFG_PW_URL:
		snprintf(out, outlen, "%s", url_pw);
		break;
	case CFG_PW_FILE: {
		if (read_secret(file, out, outlen, m, sizeof(m))) {
			cfg_key_error(d, c, ki_file, "%s", m);
			break;
		}
		cfg_warn_readable(c, d, cfg_keys[ki_file].path, file);
		break;
	}
	case CFG_PW_CREDENTIAL:
		if (read_secret(credpath, out, outlen, m, sizeof(m)))
			cfg_diag_add(d, "credential %s: %s", cred, m);
		break;
	case CFG_PW_INLINE:
	case CFG_PW_NONE:
		break;
	}
}

