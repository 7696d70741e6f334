/*
 * The plan: NUL-terminated strings, read from koker until it closes its end. An op is a name
 * followed by a fixed number of strings (lists carry their length first). No JSON, no escapes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "koker-init.h"

static char *text;
static size_t size, at;

void plan_read(int fd) {
    size_t cap = 16384;
    text = malloc(cap);
    if (!text) die("read plan", "malloc", ENOMEM, "");
    for (;;) {
        if (size == cap) {
            /* Keep `text` until realloc succeeds: a failed realloc leaves the old block allocated. */
            char *grown = realloc(text, cap * 2);
            if (!grown) die("read plan", "realloc", ENOMEM, "");
            text = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, text + size, cap - size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read plan", "read", errno, "");
        if (n == 0) break;
        size += (size_t)n;
    }
    if (size == 0) die("read plan", "read", 0, "empty plan");
    if (text[size - 1] != '\0') die("read plan", "read", 0, "truncated plan");
}

int plan_done(void) { return at >= size; }

const char *plan_str(void) {
    if (at >= size) die("read plan", "parse", 0, "an op is missing arguments");
    const char *s = text + at;
    at += strlen(s) + 1;
    return s;
}

long long plan_num(void) {
    const char *s = plan_str();
    char *end;
    errno = 0;
    long long value = strtoll(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0') die("read plan", "parse", 0, fmt("not a number: %s", s));
    return value;
}

uint64_t plan_hex(void) {
    const char *s = plan_str();
    char *end;
    errno = 0;
    unsigned long long value = strtoull(s, &end, 16);
    if (errno || *s == '\0' || *end != '\0') die("read plan", "parse", 0, fmt("not hex: %s", s));
    return value;
}

char **plan_list(void) {
    long long n = plan_num();
    if (n < 0 || n > 65536) die("read plan", "parse", 0, "bad list length");
    char **list = calloc((size_t)n + 1, sizeof *list);
    if (!list) die("read plan", "calloc", ENOMEM, "");
    for (long long i = 0; i < n; i++) list[i] = (char *)plan_str();
    return list;
}
