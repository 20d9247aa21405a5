/* Helpers shared by the configuration tests (test_cfg*.c). */
#ifndef CB_TU_CFG_H
#define CB_TU_CFG_H

#include <sys/types.h>

#include "app/cfg.h"

#define SECRET "Zebra-S3cret-42"
#define EXAMPLE "config/camera.conf.example"

#define ARGV(...) ((char *[]){ "cam-bridge", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "cam-bridge", __VA_ARGS__ }) / sizeof(char *)))
#define FROM_ARGS(c, e, ...) cfg_from_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), c, e)

/* camera.source and output.device, nothing else. */
extern const char tu_cfg_minimal[];
/* A credentials folder a test made (removed by tu_cfg_teardown with its two files), or "". */
extern char tu_cfg_tmp_dir[64];

/* A temporary /tmp/test_cfg-XXXXXX.conf with content and mode, removed after the test. */
char *tu_tmp_file(const char *content, mode_t mode);
/* cmocka setup/teardown: no $CREDENTIALS_DIRECTORY; remove the temporary files. */
int tu_cfg_setup(void **state);
int tu_cfg_teardown(void **state);
/* cfg_check's output as a malloc'd string. */
char *tu_cfg_check_output(const char *path, int *rc);
void tu_assert_contains(const char *hay, const char *needle);
/* Fails when SECRET (or part of it) shows in s. */
void tu_assert_no_secret(const char *s);
int tu_count_lines(const char *s);
/* A FIFO in /tmp (removed by tu_cfg_teardown) that nobody writes: opening it blocking hangs. */
char *tu_fifo(void);
/* Ends the test binary with a message (a failure) if it is still running after seconds: a
 * read that blocks would otherwise hang the test forever.  0 disarms. */
void tu_deadline(unsigned seconds);

#endif
