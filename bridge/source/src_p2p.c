/* P2P by UID (BAICHUAN.md §8).  Placeholder until the P2P client lands. */
#include "source/src_impl.h"

#include <errno.h>

int src_p2p_find(struct src *s, struct bcsess *ss)
{
	(void)s;
	(void)ss;
	return -ENOSYS;
}
