/*
 * Paths inside the container's root. An image controls its own symlinks: a /dev that points at
 * the host's /etc must not make us mount over the host (the /dev symlink CVEs of runc and crun).
 * Every path is resolved by openat2(RESOLVE_IN_ROOT), which treats the root as `/` for `..` and
 * absolute symlinks alike, and mounts then act on "/proc/self/fd/N" of what was resolved.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "koker-init.h"

static int root = AT_FDCWD;

void root_set(int fd) {
    if (root >= 0) close(root);
    root = fd;
}

int root_fd(void) { return root; }

static int open_in(int dir, const char *path, int flags) {
    struct open_how how = {
        .flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS && dir == root) {
        /* Before Linux 5.6: the same resolution, a component at a time (walk.c). */
        int walked = in_root_walk(path, 0);
        if (walked < 0 || !(flags & O_DIRECTORY)) return walked;
        struct stat st;
        if (fstat(walked, &st) == 0 && !S_ISDIR(st.st_mode)) {
            close(walked);
            errno = ENOTDIR;
            return -1;
        }
        return walked;
    }
    return fd;
}

int in_root(const char *path) { return open_in(root, path, 0); }

/* Splits "/a/b/c" into a parent directory fd (made if missing) and "c". */
static int parent_of(const char *path, char *base, size_t cap, mode_t mode) {
    char parent[4096];
    const char *slash = strrchr(path, '/');
    if (!slash || strlen(slash + 1) == 0 || strlen(slash + 1) >= cap || strcmp(slash + 1, "..") == 0 ||
        (size_t)(slash - path) >= sizeof parent) {
        errno = EINVAL;
        return -1;
    }
    memcpy(parent, path, (size_t)(slash - path));
    parent[slash - path] = '\0';
    strcpy(base, slash + 1);
    return in_root_mkdir(parent[0] ? parent : "/", mode);
}

int in_root_mkdir(const char *path, mode_t mode) {
    int fd = open_in(root, path, O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT) return fd;
    char base[256];
    int parent = parent_of(path, base, sizeof base, 0755);
    if (parent < 0) return -1;
    /* mkdirat on a plain name never follows a symlink; an existing one is resolved again. */
    int rc = mkdirat(parent, base, mode);
    if (rc < 0 && errno == EEXIST && (fd = open_in(root, path, O_DIRECTORY)) < 0 && errno == ENOENT) {
        /* A dangling symlink (into the root, or out of it): a directory takes its place. */
        step("Replace dangling symlink", "path", path);
        int dir = open(fd_path(parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = dir < 0 || unlinkat(dir, base, 0) < 0 ? -1 : mkdirat(dir, base, mode);
        if (dir >= 0) close(dir);
    }
    int saved = errno;
    close(parent);
    if (fd >= 0) return fd;
    if (rc < 0 && saved != EEXIST) {
        errno = saved;
        return -1;
    }
    return open_in(root, path, O_DIRECTORY);
}

int in_root_mkfile(const char *path, mode_t mode) {
    int fd = in_root(path);
    if (fd >= 0 || errno != ENOENT) return fd;
    char base[256];
    int parent = parent_of(path, base, sizeof base, 0755);
    if (parent < 0) return -1;
    /* The parent is an O_PATH fd: go through its /proc path to get a real directory fd. */
    int dir = open(fd_path(parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(parent);
    if (dir < 0) return -1;
    int file = openat(dir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (file < 0 && errno == ELOOP) {
        /* A dangling symlink (e.g. resolv.conf to a stub that is absent): replace it. */
        step("Replace dangling symlink", "path", path);
        if (unlinkat(dir, base, 0) == 0) file = openat(dir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    int saved = errno;
    close(dir);
    if (file < 0) {
        errno = saved;
        return -1;
    }
    close(file);
    return in_root(path);
}

const char *fd_path(int fd) { return fmt("/proc/self/fd/%d", fd); }
