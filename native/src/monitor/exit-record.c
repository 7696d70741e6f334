/* DIR/exit.json: how the program ended, written to a temporary file, fsynced, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

void write_exit_record(int status, pid_t pid) {
    char finished[TIMESTAMP_SIZE], text[256], tmp[PATH_MAX], final[PATH_MAX];
    format_now(finished, sizeof finished);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int n = snprintf(text, sizeof text, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"pid\":%d}\n", code, sig,
                     finished, (int)pid);
    if (path_in_dir(tmp, sizeof tmp, ".exit.json.tmp") < 0 || path_in_dir(final, sizeof final, "exit.json") < 0) return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf(stderr, "koker-monitor: open %s: %s\n", tmp, strerror(errno));
        return;
    }
    struct iovec v = {text, (size_t)n};
    if (write_all(fd, &v, 1) < 0) fprintf(stderr, "koker-monitor: write %s: %s\n", tmp, strerror(errno));
    fsync(fd);
    close(fd);
    if (rename(tmp, final) < 0) fprintf(stderr, "koker-monitor: rename %s: %s\n", final, strerror(errno));
    int dfd = open(container_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}
