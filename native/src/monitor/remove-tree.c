/*
 * Removal of the directories koker moved aside when it settled a container itself (an attached
 * `run --rm`): the monitor removes them once koker has let go, so neither koker's user nor a Node
 * process of its own waits for the files. The files are the container's (its writable layer):
 * every step is relative to the directory's fd, a symlink is removed and never followed, and a
 * directory of another filesystem (a mount) is never entered. What it cannot remove is reported;
 * the monitor then leaves it to koker's cleanup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor.h"

/* Deeper trees are left to koker's cleanup: each level holds a descriptor. */
#define MAX_DEPTH 128
/* Entries removed while a directory is read may hide others from that read: read it again. */
#define MAX_PASSES 4

static int empty_directory(int fd, dev_t dev, int depth);

/* One entry of the directory `dfd`: 0 once it is gone. */
static int remove_entry(int dfd, const char *name, dev_t dev, int depth) {
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR) return -1;
    if (depth >= MAX_DEPTH) {
        errno = ELOOP;
        return -1;
    }
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    struct stat st;
    int result = fstat(fd, &st);
    if (result == 0 && st.st_dev != dev) {
        errno = EXDEV;
        result = -1;
    }
    if (result == 0) result = empty_directory(fd, dev, depth + 1);
    close(fd);
    if (result == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) result = -1;
    return result;
}

/* Removes everything in the directory `fd` (borrowed). */
static int empty_directory(int fd, dev_t dev, int depth) {
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        int copy = dup(fd);
        DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;
        if (!dir) {
            if (copy >= 0) close(copy);
            return -1;
        }
        rewinddir(dir);
        int seen = 0, failed = 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
            seen = 1;
            if (remove_entry(fd, entry->d_name, dev, depth) < 0) failed = errno ? errno : EIO;
        }
        closedir(dir);
        if (failed) {
            errno = failed;
            return -1;
        }
        if (!seen) return 0;
    }
    errno = ENOTEMPTY;
    return -1;
}

int remove_tree(const char *path) {
    if (path[0] != '/' || strcmp(path, "/") == 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    struct stat st;
    int result = fstat(fd, &st);
    if (result == 0) result = empty_directory(fd, st.st_dev, 0);
    close(fd);
    if (result == 0 && rmdir(path) < 0 && errno != ENOENT) result = -1;
    return result;
}
