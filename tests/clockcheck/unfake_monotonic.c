/*
 * Loaded before libfaketime by `make test-clock` (tests/clockcheck/run).
 *
 * The clock check moves the wall clock with libfaketime and leaves the monotonic clocks alone
 * (FAKETIME_DONT_FAKE_MONOTONIC=1): Python's timed lock waits (sem_clockwait) and the GIL's
 * condition variables use CLOCK_MONOTONIC, which libfaketime 0.9.10 does not translate, so with
 * a faked monotonic clock every timed wait overshoots by the whole offset. libfaketime still
 * rewrites clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which is what Python's time.sleep()
 * calls, into a negative deadline (EINVAL). This passes sleeps on the clocks libfaketime does not
 * fake straight to the kernel, and hands the rest to libfaketime.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int unfaked(clockid_t clock_id)
{
    return clock_id == CLOCK_MONOTONIC || clock_id == CLOCK_MONOTONIC_RAW ||
           clock_id == CLOCK_BOOTTIME || clock_id == CLOCK_MONOTONIC_COARSE;
}

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    static int (*next)(clockid_t, int, const struct timespec *, struct timespec *);
    if (unfaked(clock_id)) {
        /* the raw syscall returns -1 and sets errno; clock_nanosleep returns the error */
        if (syscall(SYS_clock_nanosleep, clock_id, flags, req, rem) == 0)
            return 0;
        return errno;
    }
    if (!next)
        next = dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock_id, flags, req, rem);
}
