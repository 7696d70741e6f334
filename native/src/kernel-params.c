/*
 * `--oom-score-adj`, written by the container's first process after pivot_root while it still
 * has its capabilities (lowering the score takes CAP_SYS_RESOURCE); its children inherit it.
 * (`--sysctl` values go through main.c's `sysctl` op.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "koker-init.h"

static void write_value(const char *what, const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die(what, "open", errno, path);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t)len) {
        int err = errno;
        close(fd);
        die(what, "write", err, path);
    }
    close(fd);
}

void op_oom_score_adj(const char *value) {
    step("Set oom_score_adj", "value", value);
    write_value("set oom_score_adj", "/proc/self/oom_score_adj", value);
}
