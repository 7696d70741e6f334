/*
 * Reports to koker: one record a line, `kind<TAB>time<TAB>field<TAB>field...`, the time in
 * CLOCK_MONOTONIC nanoseconds (Node's process.hrtime reads the same clock, so koker lines each
 * step up with its own and a step lasts until the next record). Tabs, newlines and backslashes
 * inside fields are escaped (\t \n \\), so any path can travel. Each record is one write(2), so
 * the monitor's and the container's records never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "koker-init.h"

static int channel = -1;
static int failure = -1;

void report_open(int fd) { channel = fd; }

void report_failures_to(int fd) { failure = fd; }

static size_t put(char *buf, size_t at, size_t cap, const char *field) {
    for (const char *c = field; *c && at + 2 < cap; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\\') {
            buf[at++] = '\\';
            buf[at++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : '\\';
        } else {
            buf[at++] = *c;
        }
    }
    return at;
}

void report(const char *kind, ...) {
    char buf[8192];
    size_t at = put(buf, 0, sizeof buf - 1, kind);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    at += (size_t)snprintf(buf + at, 32, "\t%lld", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    va_list ap;
    va_start(ap, kind);
    for (const char *field; (field = va_arg(ap, const char *)) != NULL;) {
        buf[at++] = '\t';
        at = put(buf, at, sizeof buf - 1, field);
    }
    va_end(ap);
    buf[at++] = '\n';
    if (channel < 0) return;
    for (size_t done = 0; done < at;) {
        ssize_t n = write(channel, buf + done, at - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; /* koker is gone: nobody to tell */
        done += (size_t)n;
    }
}

void fail(const char *what, const char *syscall, int err, const char *detail) {
    const char *name = err ? strerrorname_np(err) : "0";
    /* After an OCI runtime's handoff nobody reads the channel: the caller's stderr does. */
    if (channel < 0)
        fprintf(stderr, "koker-init: %s: %s: %s%s%s\n", what, syscall, err ? strerror(err) : "failed",
                detail && *detail ? ": " : "", detail ? detail : "");
    report("error", what, syscall, name ? name : fmt("%d", err), detail ? detail : "", (const char *)NULL);
}

void fail_exit(int code) {
    /* One byte on the exec pipe: the monitor then knows the command never started. */
    char byte = 1;
    if (failure >= 0 && write(failure, &byte, 1) < 0) { /* our exit tells it as well */
    }
    _exit(code);
}

void die(const char *what, const char *syscall, int err, const char *detail) {
    fail(what, syscall, err, detail);
    fail_exit(EXIT_ENGINE);
}

const char *fmt(const char *format, ...) {
    static char ring[8][4096];
    static int next;
    char *buf = ring[next++ % 8];
    va_list ap;
    va_start(ap, format);
    vsnprintf(buf, sizeof ring[0], format, ap);
    va_end(ap);
    return buf;
}
