/*
 * Kernel parameters of the container, written by its first process after pivot_root, while
 * /proc/sys is still writable and the process still has its capabilities: `--sysctl` values
 * (koker checked them against Docker's allow-list of namespaced ones) and `--oom-score-adj`.
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

void op_sysctl(const char *name, const char *value) {
    /* net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward (a name may use / already). */
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/%s", name);
    if (n < 0 || (size_t)n >= sizeof path) die("set sysctl", "parse", ENAMETOOLONG, name);
    for (char *c = path + strlen("/proc/sys/"); *c; c++)
        if (*c == '.') *c = '/';
    step("Set sysctl", "name", name, "value", value);
    write_value("set sysctl", path, value);
}

void op_oom_score_adj(const char *value) {
    step("Set oom_score_adj", "value", value);
    write_value("set oom_score_adj", "/proc/self/oom_score_adj", value);
}
