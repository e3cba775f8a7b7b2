/* t_time: clocks and sleeping.
 * Checks: CLOCK_MONOTONIC never goes backwards over 1000 calls and
 * advances; CLOCK_REALTIME advances (its absolute value is not checked);
 * nsec fields are in range; clock_getres works; nanosleep(20 ms) takes at
 * least 20 ms by the monotonic clock (and not absurdly long);
 * clock_nanosleep relative; gettimeofday and time() advance; a bad
 * nanosleep argument gives EINVAL. */
#include "check.h"
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ns(&t);
}

int main(void)
{
    struct timespec a, b, r;

    /* Monotonic over 1000 calls. */
    int backwards = 0, badns = 0;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime(CLOCK_MONOTONIC)");
    struct timespec first = a;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ns(&b) < ns(&a))
            backwards++;
        if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000L)
            badns++;
        a = b;
    }
    CHECK(backwards == 0, "CLOCK_MONOTONIC never went backwards in 1000 calls (%d times)", backwards);
    CHECK(badns == 0, "tv_nsec always in [0, 1e9)");
    /* It must also advance: spin (bounded) until it does. */
    long long t0 = ns(&first), t1 = t0;
    for (int i = 0; i < 10000000 && t1 == t0; i++)
        t1 = mono_ns();
    CHECK(t1 > t0, "CLOCK_MONOTONIC advances");
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0 && ns(&r) > 0 && ns(&r) <= 10000000, "clock_getres(CLOCK_MONOTONIC) is in (0, 10 ms]");

    /* Realtime advances. */
    CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0, "clock_gettime(CLOCK_REALTIME)");
    CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L, "CLOCK_REALTIME tv_nsec in range");
    struct timespec d = { 0, 5 * 1000000L };
    nanosleep(&d, NULL);
    CHECK(clock_gettime(CLOCK_REALTIME, &b) == 0 && ns(&b) > ns(&a), "CLOCK_REALTIME advances over a 5 ms sleep");

    /* nanosleep(20 ms). */
    long long s0 = mono_ns();
    struct timespec req = { 0, 20 * 1000000L }, rem = { 7, 7 };
    int rc = nanosleep(&req, &rem);
    long long s1 = mono_ns();
    long long el = s1 - s0;
    CHECK(rc == 0, "nanosleep(20 ms) returns 0");
    CHECK(el >= 20 * 1000000LL, "nanosleep(20 ms) took at least 20 ms");
    CHECK(el < 1000 * 1000000LL, "nanosleep(20 ms) took less than 1 s");

    /* clock_nanosleep, relative. */
    s0 = mono_ns();
    req.tv_sec = 0;
    req.tv_nsec = 10 * 1000000L;
    rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    el = mono_ns() - s0;
    CHECK(rc == 0 && el >= 10 * 1000000LL, "clock_nanosleep(MONOTONIC, 10 ms) took at least 10 ms");

    /* Zero sleep returns at once. */
    req.tv_sec = 0;
    req.tv_nsec = 0;
    CHECK(nanosleep(&req, NULL) == 0, "nanosleep(0) returns 0");

    /* Bad argument. */
    req.tv_sec = 0;
    req.tv_nsec = 1000000000L;
    errno = 0;
    CHECK(nanosleep(&req, NULL) == -1 && errno == EINVAL, "nanosleep with tv_nsec = 1e9 gives EINVAL");

    /* gettimeofday. */
    struct timeval tv0, tv1;
    CHECK(gettimeofday(&tv0, NULL) == 0, "gettimeofday");
    CHECK(tv0.tv_usec >= 0 && tv0.tv_usec < 1000000, "tv_usec in range");
    d.tv_sec = 0;
    d.tv_nsec = 3 * 1000000L;
    nanosleep(&d, NULL);
    gettimeofday(&tv1, NULL);
    long long u0 = tv0.tv_sec * 1000000LL + tv0.tv_usec, u1 = tv1.tv_sec * 1000000LL + tv1.tv_usec;
    CHECK(u1 > u0, "gettimeofday advances over a 3 ms sleep");
    CHECK(u1 - u0 >= 3000, "and by at least 3 ms");

    /* time() agrees with CLOCK_REALTIME to within 2 s. */
    time_t tt = time(NULL);
    clock_gettime(CLOCK_REALTIME, &a);
    long long diff = (long long)a.tv_sec - (long long)tt;
    CHECK(tt != (time_t)-1 && diff >= 0 && diff <= 2, "time() agrees with CLOCK_REALTIME");

    return check_done("t_time");
}
