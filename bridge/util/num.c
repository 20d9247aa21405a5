#include "util/num.h"

#include <errno.h>
#include <limits.h>

int num_parse(const char *s, size_t n, long long min, long long max, long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (n && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		/* stop before the value can leave long long's range: no wrap at any width */
		if (v > ((unsigned long long)LLONG_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if ((neg ? -(long long)v : (long long)v) < min || (neg ? -(long long)v : (long long)v) > max)
		return -ERANGE;
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}
