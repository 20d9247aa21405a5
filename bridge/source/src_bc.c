/* Baichuan sessions (UDP, TCP, P2P): filled in once the protocol library lands. */
#include "source/src_impl.h"

#include <errno.h>

int src_bc_run(struct src *s)
{
	(void)s;
	return -ENOSYS;
}
