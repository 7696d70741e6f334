/*
 * A path inside the container's root, walked one component at a time with O_PATH|O_NOFOLLOW
 * from the root's fd: where openat2 is missing (before Linux 5.6), and for the targets of the
 * user's mounts, where a symlink that climbs out of the root (`../../..`, or a `..` past `/`)
 * is an error rather than clamped to the root. Each step holds the fd of the directory it came
 * from, so a component swapped for a symlink while we walk (the race of CVE-2021-30465) is only
 * ever followed inside the root: `..` pops our own stack of fds, never the directory entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "koker-init.h"

#define MAX_DEPTH 256
#define MAX_LINKS 40

struct walk {
    int fds[MAX_DEPTH];
    int depth; /* fds[0] is the root (borrowed), fds[1..depth-1] ours */
    int links;
    int strict;
};

static void pop(struct walk *w) {
    if (w->depth > 1) close(w->fds[--w->depth]);
}

static void reset(struct walk *w) {
    while (w->depth > 1) pop(w);
}

/* Walks `path` from where `w` stands; 0, or -1 with errno (EXDEV: it would leave the root). */
static int walk_path(struct walk *w, const char *path) {
    char *copy = strdup(path);
    if (!copy) return -1;
    if (path[0] == '/') reset(w);
    int rc = 0;
    for (char *save, *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) continue;
        if (strcmp(part, "..") == 0) {
            if (w->depth == 1 && w->strict) {
                errno = EXDEV;
                rc = -1;
                break;
            }
            pop(w);
            continue;
        }
        int fd = openat(w->fds[w->depth - 1], part, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            rc = -1;
            break;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            close(fd);
            rc = -1;
            break;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
            close(fd);
            if (n < 0 || ++w->links > MAX_LINKS) {
                if (n >= 0) errno = ELOOP;
                rc = -1;
                break;
            }
            target[n] = '\0';
            if (walk_path(w, target) < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (w->depth == MAX_DEPTH) {
            close(fd);
            errno = ENAMETOOLONG;
            rc = -1;
            break;
        }
        w->fds[w->depth++] = fd;
    }
    free(copy);
    return rc;
}

int in_root_walk(const char *path, int strict) {
    struct walk w = {.fds = {root_fd()}, .depth = 1, .links = 0, .strict = strict};
    int rc = walk_path(&w, path);
    int saved = errno;
    int fd = -1;
    if (rc == 0) {
        /* The result is ours to return; the root itself is reopened (it is borrowed). */
        fd = w.depth > 1 ? w.fds[--w.depth] : open(fd_path(root_fd()), O_PATH | O_CLOEXEC);
        saved = errno;
    }
    reset(&w);
    errno = saved;
    return fd;
}
