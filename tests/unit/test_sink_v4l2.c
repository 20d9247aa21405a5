/* The V4L2 loopback sink, as far as a machine without the module can test it: refusals with
 * clear messages.  The real-module behaviour is exercised inside the QEMU VM test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "sink/sink.h"
#include "sink/v4l2out.h"

static const struct v4l2out_cfg cfg = {
	.fmt = OUTFMT_I420, .width = 640, .height = 480, .fps = 30,
};

static void test_missing_path_enoent(void **state)
{
	struct v4l2out *v = (struct v4l2out *)&v;
	char err[512] = "";

	assert_int_equal(v4l2out_open(&v, "/dev/video-cam-bridge-test-missing", &cfg, err,
				      sizeof(err)), -ENOENT);
	assert_null(v);
	assert_non_null(strstr(err, "/dev/video-cam-bridge-test-missing"));
	assert_non_null(strstr(err, "no such device"));
}

static void test_regular_file_refused(void **state)
{
	struct v4l2out *v;
	char path[] = "/tmp/cb-v4l2-XXXXXX", err[512] = "";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(v4l2out_open(&v, path, &cfg, err, sizeof(err)), -ENOTTY);
	assert_null(v);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a V4L2 device"));
	{
		struct stat st;   /* and it was not touched */

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, 1);
	}
	unlink(path);
}

static void test_dev_null_refused(void **state)
{
	struct v4l2out *v;
	char err[512] = "";

	/* A character device that is not V4L2: QUERYCAP says ENOTTY. */
	assert_int_equal(v4l2out_open(&v, "/dev/null", &cfg, err, sizeof(err)), -ENOTTY);
	assert_null(v);
	assert_non_null(strstr(err, "/dev/null"));
	assert_non_null(strstr(err, "VIDIOC_QUERYCAP"));
}

static void test_fifo_refused(void **state)
{
	struct v4l2out *v;
	char dir[] = "/tmp/cb-v4l2-XXXXXX", path[64], err[512] = "";

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(v4l2out_open(&v, path, &cfg, err, sizeof(err)), -ENOTTY);
	assert_non_null(strstr(err, "FIFO"));
	unlink(path);
	rmdir(dir);
}

static void test_label_without_device(void **state)
{
	struct v4l2out *v;
	char err[512] = "", path[64];

	assert_int_equal(v4l2out_open(&v, "label:cam-bridge unit test no such label", &cfg, err,
				      sizeof(err)), -ENODEV);
	assert_null(v);
	assert_non_null(strstr(err, "cam-bridge unit test no such label"));
	assert_int_equal(v4l2out_find_label("x/../../etc", path, sizeof(path), err, sizeof(err)),
			 -ENODEV);
	assert_int_equal(v4l2out_find_label("", path, sizeof(path), err, sizeof(err)), -EINVAL);
	assert_int_equal(v4l2out_open(&v, "label:", &cfg, err, sizeof(err)), -EINVAL);
}

static void test_bad_config(void **state)
{
	struct v4l2out *v;
	char err[512] = "";
	struct v4l2out_cfg c = cfg;

	c.width = 641;
	assert_int_equal(v4l2out_open(&v, "/dev/null", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "641x480"));
	c = cfg;
	c.fps = 0;
	assert_int_equal(v4l2out_open(&v, "/dev/null", &c, err, sizeof(err)), -EINVAL);
	c = cfg;
	c.fmt = (enum outfmt)42;
	assert_int_equal(v4l2out_open(&v, "/dev/null", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(v4l2out_open(&v, "", &cfg, err, sizeof(err)), -EINVAL);
}

static void test_sink_dispatch(void **state)
{
	const char *path;
	struct sink *s;
	struct sink_cfg sc = { .fmt = OUTFMT_YUYV, .width = 640, .height = 480, .fps = 30 };
	char err[512] = "";

	assert_int_equal(sink_kind_of("label:Front door", &path), SINK_V4L2);
	assert_string_equal(path, "label:Front door");
	assert_int_equal(sink_kind_of("/dev/video40", &path), SINK_V4L2);   /* even if missing */
	assert_int_equal(sink_kind_of("v4l2:/tmp/x", &path), SINK_V4L2);
	assert_string_equal(path, "/tmp/x");
	assert_int_equal(sink_kind_of("file:/dev/video40", &path), SINK_FILE);
	assert_string_equal(path, "/dev/video40");
	assert_int_equal(sink_kind_of("/dev/null", &path), SINK_FILE);
	assert_int_equal(sink_kind_of("/tmp/out.yuv", &path), SINK_FILE);
	assert_int_equal(sink_kind_of("-", &path), SINK_FILE);

	/* A missing /dev/videoN is a missing device, never a new file in /dev. */
	assert_int_equal(sink_open(&s, "/dev/video-cam-bridge-test-missing", &sc, err, sizeof(err)),
			 -ENOENT);
	assert_null(s);
	assert_int_equal(access("/dev/video-cam-bridge-test-missing", F_OK), -1);
	assert_int_equal(sink_open(&s, "v4l2:/dev/null", &sc, err, sizeof(err)), -ENOTTY);
	assert_int_equal(sink_open(&s, "label:cam-bridge unit test no such label", &sc, err,
				   sizeof(err)), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_path_enoent),
		cmocka_unit_test(test_regular_file_refused),
		cmocka_unit_test(test_dev_null_refused),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_label_without_device),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_sink_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
