/*
 * The container's output as log records, one per line, in the container's directory:
 *
 *   json-file  container-json.log, Docker's json-file format (what `docker logs` and Docker's tools
 *              read): {"log":"text\n","stream":"stdout","time":"<RFC 3339 UTC, ns>"}; a fragment
 *              continued by the next record of its stream has no final \n in "log".
 *   local      container.log, the CRI format: `<time> <stdout|stderr> <F|P> <text>`, P marking a
 *              fragment continued by the next record of that stream.
 *   none       nothing is written.
 *
 * One file keeps the order across streams; nothing is buffered. With a maximum size, the file is
 * rotated before a record would pass it: NAME -> NAME.1 -> ... -> NAME.<max-file - 1>, the oldest
 * dropped (a rename over it); with one file it is truncated. A record that cannot be written (a
 * full disk) is dropped and counted, the file cut back to its last whole record; the next record
 * that fits is preceded by one saying how many were dropped. The container never waits on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor.h"

static enum log_driver driver = LOG_LOCAL;
static unsigned long long max_size; /* 0: unbounded */
static unsigned max_files = 1;
static int log_fd = -1;
static unsigned long long log_size; /* our own offset: we are the file's only writer */
static unsigned long long dropped, unreported;

/* A record: the text of one read at most (CHUNK), each byte escaped to 6 at worst, plus framing. */
static char record[OUTPUT_CHUNK * 6 + 256];

int log_configure(const char *name, unsigned long long size, unsigned files) {
    if (strcmp(name, "json-file") == 0) driver = LOG_JSON_FILE;
    else if (strcmp(name, "local") == 0) driver = LOG_LOCAL;
    else if (strcmp(name, "none") == 0) driver = LOG_NONE;
    else return -1;
    max_size = size;
    max_files = files > 0 ? files : 1;
    return 0;
}

static const char *file_name(void) { return driver == LOG_JSON_FILE ? "container-json.log" : "container.log"; }

void log_open(void) {
    if (driver == LOG_NONE) return;
    log_fd = open_in_dir(file_name(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    struct stat st;
    log_size = fstat(log_fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

void log_close(void) {
    if (log_fd >= 0) close(log_fd);
    log_fd = -1;
}

unsigned long long log_dropped(void) { return dropped; }

/* NAME.{i} -> NAME.{i+1}, NAME -> NAME.1, then a new NAME; renames need no free space. */
static void rotate(void) {
    if (max_files <= 1) {
        if (ftruncate(log_fd, 0) == 0) log_size = 0;
        return;
    }
    char from[PATH_MAX], to[PATH_MAX], name[64];
    for (unsigned i = max_files - 1; i >= 1; i--) {
        snprintf(name, sizeof name, "%s.%u", file_name(), i);
        if (path_in_dir(to, sizeof to, name) < 0) return;
        if (i == 1) {
            if (path_in_dir(from, sizeof from, file_name()) < 0) return;
        } else {
            snprintf(name, sizeof name, "%s.%u", file_name(), i - 1);
            if (path_in_dir(from, sizeof from, name) < 0) return;
        }
        if (rename(from, to) < 0 && errno != ENOENT)
            fprintf(stderr, "koker-monitor: rotate %s: %s\n", from, strerror(errno));
    }
    int fd = open(from, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        /* The old file is renamed away but still ours: keep writing to it rather than to nothing. */
        fprintf(stderr, "koker-monitor: open %s: %s\n", from, strerror(errno));
        return;
    }
    close(log_fd);
    log_fd = fd;
    log_size = 0;
}

/* Appends one record whole, or nothing: 0, or -1 (the file cut back to where it was). */
static int append(const char *data, size_t length) {
    if (max_size > 0 && log_size > 0 && log_size + length > max_size) rotate();
    struct iovec v = {(void *)data, length};
    if (write_all(log_fd, &v, 1) < 0) {
        if (ftruncate(log_fd, (off_t)log_size) < 0) { /* nothing better to do */
        }
        return -1;
    }
    log_size += length;
    return 0;
}

static size_t escape_json(char *out, const char *data, size_t length) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c == '\r') {
            out[n++] = '\\';
            out[n++] = 'r';
        } else if (c == '\t') {
            out[n++] = '\\';
            out[n++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[c >> 4];
            out[n + 5] = hex[c & 15];
            n += 6;
        } else {
            out[n++] = (char)c;
        }
    }
    return n;
}

/* One record of `length` bytes of text (a whole line with `complete`, else a fragment). */
static size_t format_record(const char *stamp, const char *stream, const char *text, size_t length, int complete) {
    size_t n;
    if (driver == LOG_JSON_FILE) {
        n = (size_t)snprintf(record, sizeof record, "{\"log\":\"");
        n += escape_json(record + n, text, length);
        n += (size_t)snprintf(record + n, sizeof record - n, "%s\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                              complete ? "\\n" : "", stream, stamp);
    } else {
        n = (size_t)snprintf(record, sizeof record, "%s %s %s ", stamp, stream, complete ? "F" : "P");
        memcpy(record + n, text, length);
        n += length;
        record[n++] = '\n';
    }
    return n;
}

static void report_dropped(const char *stamp) {
    char text[160];
    int length = snprintf(text, sizeof text, "koker: %llu log records dropped (no space left for the log)", unreported);
    if (append(record, format_record(stamp, "stderr", text, (size_t)length, 1)) == 0) unreported = 0;
}

/* One record per line of `data`; a trailing fragment without newline is a P record. */
void log_chunk(const char *stream, const char *data, size_t length) {
    if (log_fd < 0) return;
    char stamp[TIMESTAMP_SIZE];
    format_now(stamp, sizeof stamp);
    size_t start = 0;
    while (start < length) {
        const char *newline = memchr(data + start, '\n', length - start);
        size_t end = newline ? (size_t)(newline - data) : length;
        if (unreported > 0) report_dropped(stamp);
        if (unreported > 0 ||
            append(record, format_record(stamp, stream, data + start, end - start, newline != NULL)) < 0) {
            dropped++;
            unreported++;
        }
        start = newline ? end + 1 : length;
    }
}
