/*
 * The container's output in DIR/container.log, in the CRI log format, one record per line:
 * `<RFC 3339 UTC time> <stdout|stderr> <F|P> <text>`, P marking a fragment continued by the
 * next record of that stream. One file keeps the order across streams; nothing is buffered.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "monitor.h"

static int log_fd = -1;

void log_open(void) { log_fd = open_in_dir("container.log", O_WRONLY | O_CREAT | O_APPEND, 0600); }

void log_close(void) {
    if (log_fd >= 0) close(log_fd);
    log_fd = -1;
}

/* One record per line of `data`; a trailing fragment without newline is a P record. */
void log_chunk(const char *stream, const char *data, size_t length) {
    char stamp[TIMESTAMP_SIZE];
    format_now(stamp, sizeof stamp);
    size_t start = 0;
    while (start < length) {
        const char *newline = memchr(data + start, '\n', length - start);
        size_t end = newline ? (size_t)(newline - data) : length;
        struct iovec parts[6] = {
            {stamp, strlen(stamp)},
            {(void *)" ", 1},
            {(void *)stream, strlen(stream)},
            {(void *)(newline ? " F " : " P "), 3},
            {(void *)(data + start), end - start},
            {(void *)"\n", 1},
        };
        (void)write_all(log_fd, parts, 6); /* a full disk loses log lines, never the container */
        start = newline ? end + 1 : length;
    }
}
