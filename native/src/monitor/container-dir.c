/* The container's directory (--dir): where the lock, the log and the exit record live. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "monitor.h"

static const char *dir;

void container_dir_set(const char *value) { dir = value; }
const char *container_dir(void) { return dir; }

int path_in_dir(char *out, size_t size, const char *name) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int open_in_dir(const char *name, int flags, mode_t mode) {
    char path[PATH_MAX];
    if (path_in_dir(path, sizeof path, name) < 0) fail("path too long: %s/%s", dir, name);
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail("open %s: %s", path, strerror(errno));
    return fd;
}
