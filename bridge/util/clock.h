/* Clocks.  Protocol state machines never read these directly: they take "now" as an argument
 * so tests can drive them with a fake clock. */
#ifndef CB_UTIL_CLOCK_H
#define CB_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t clock_mono_us(void);
uint64_t clock_mono_ms(void);
uint64_t clock_real_us(void);
/* Sleep for `us` microseconds (restarts after signals). */
void clock_sleep_us(uint64_t us);
/* CLOCK_MONOTONIC `ms` milliseconds from now, for pthread_cond_timedwait on a condition
 * variable set to that clock. */
struct timespec clock_mono_deadline(unsigned ms);

#endif
