/*
 * DIR/exit.json: how the program ended, written to a temporary file, fsynced (not with --no-sync), then renamed. The
 * temporary file is made, and its blocks allocated, when the monitor starts: when the container
 * has filled the disk since (with its log, say), the record is still written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

#define RESERVED 512

static int reserved_fd = -1;
static int sync_record = 1;

void exit_record_no_sync(void) { sync_record = 0; }

void exit_record_reserve(void) {
    char tmp[PATH_MAX];
    if (path_in_dir(tmp, sizeof tmp, ".exit.json.tmp") < 0) return;
    reserved_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (reserved_fd >= 0 && posix_fallocate(reserved_fd, 0, RESERVED) != 0) {
        /* No room even now: try again at the end. */
        close(reserved_fd);
        reserved_fd = -1;
    }
}

void write_exit_record(int status, pid_t pid, unsigned long long log_dropped) {
    char finished[TIMESTAMP_SIZE], text[RESERVED], tmp[PATH_MAX], final[PATH_MAX];
    format_now(finished, sizeof finished);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int n = snprintf(text, sizeof text,
                     "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"pid\":%d,\"logDropped\":%llu}\n", code,
                     sig, finished, (int)pid, log_dropped);
    if (path_in_dir(tmp, sizeof tmp, ".exit.json.tmp") < 0 || path_in_dir(final, sizeof final, "exit.json") < 0) return;
    int fd = reserved_fd >= 0 ? reserved_fd : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf(stderr, "koker-monitor: open %s: %s\n", tmp, strerror(errno));
        return;
    }
    if (pwrite(fd, text, (size_t)n, 0) != n || ftruncate(fd, n) < 0)
        fprintf(stderr, "koker-monitor: write %s: %s\n", tmp, strerror(errno));
    if (sync_record) fsync(fd);
    close(fd);
    if (rename(tmp, final) < 0) fprintf(stderr, "koker-monitor: rename %s: %s\n", final, strerror(errno));
    int dfd = sync_record ? open(container_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}
