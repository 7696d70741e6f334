/*
 * What a new user or time namespace needs from outside before the container's process goes on:
 * the user namespace's uid and gid maps, written by the monitor into /proc/PID/ while the child
 * waits on its sync pipe (runc's order), and the time namespace's clock offsets, which can only
 * be written before any process is in it, so the monitor unshares it and the child is born in
 * it. A time namespace cannot be asked of clone(2) (CLONE_NEWTIME shares CSIGNAL's bits).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "koker-init.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void write_file(const char *what, const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(what, "open", errno, path);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t)len) {
        int err = errno;
        close(fd);
        die(what, "write", err, fmt("%s: %s", path, value));
    }
    close(fd);
}

void user_maps_write(pid_t pid, const char *uid_map, const char *gid_map) {
    /* setgroups stays "allow": the maps are written by root of the parent namespace, as runc. */
    step("Write uid_map", "pid", fmt("%d", pid), "map", uid_map);
    write_file("map user ids", fmt("/proc/%d/uid_map", pid), uid_map);
    step("Write gid_map", "pid", fmt("%d", pid), "map", gid_map);
    write_file("map group ids", fmt("/proc/%d/gid_map", pid), gid_map);
}

void user_become_root(void) {
    /* The process kept the host's ids through the clone: root of the new namespace now. */
    step("Become root of the user namespace");
    if (setresgid(0, 0, 0) < 0) die("become root of the user namespace", "setresgid", errno, "0");
    if (setresuid(0, 0, 0) < 0) die("become root of the user namespace", "setresuid", errno, "0");
}

int time_namespace_prepare(void) {
    /* Opened now: after a join, /proc/self may no longer be this process's /proc. */
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("prepare the time namespace", "open", errno, "/proc/self/timens_offsets");
    return fd;
}

void time_namespace_make(int offsets_fd, const char *offsets) {
    step("Call syscall unshare CLONE_NEWTIME");
    if (unshare(CLONE_NEWTIME) < 0) die("make the time namespace", "unshare", errno, "CLONE_NEWTIME");
    step("Write timens_offsets", "offsets", offsets);
    size_t len = strlen(offsets);
    if (write(offsets_fd, offsets, len) != (ssize_t)len)
        die("set the clock offsets", "write", errno, fmt("/proc/self/timens_offsets: %s", offsets));
    close(offsets_fd);
}
