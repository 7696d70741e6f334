/* Timestamps for the log and the exit record; the monotonic clock for the loop's timers. */
#include <stdio.h>
#include <time.h>
#include "monitor.h"

/* RFC 3339 with nanoseconds, UTC: 2024-05-01T10:00:00.123456789Z (30 characters). */
void format_now(char *out, size_t size) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%09ldZ", now.tv_nsec);
}

int64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
