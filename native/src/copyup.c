/*
 * Docker's copy-up: a volume used for the first time (its directory empty) is filled with what
 * the image has at the mount target, owners, modes, times, symlinks, device nodes and extended
 * attributes kept. Read from the container's root through fds (O_NOFOLLOW at every level, the
 * root is not running anything yet), written into the volume through fds, never by path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "koker-init.h"

static unsigned long copied;

/* Every extended attribute the kernel lets us read and set (trusted.*, security.* as root). */
static void copy_xattrs(int from, int to) {
    char names[4096], value[4096];
    ssize_t len = flistxattr(from, names, sizeof names);
    for (ssize_t at = 0; len > 0 && at < len; at += (ssize_t)strlen(names + at) + 1) {
        ssize_t n = fgetxattr(from, names + at, value, sizeof value);
        if (n >= 0) (void)fsetxattr(to, names + at, value, (size_t)n, 0);
    }
}

static void copy_meta(int to, const struct stat *st) {
    if (fchown(to, st->st_uid, st->st_gid) < 0) die("copy up", "fchown", errno, "");
    if (fchmod(to, st->st_mode & 07777) < 0) die("copy up", "fchmod", errno, "");
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    (void)futimens(to, times);
}

static void copy_file(int from_dir, int to_dir, const char *name, const struct stat *st) {
    int from = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (from < 0) die("copy up", "openat", errno, name);
    int to = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (to < 0) die("copy up", "openat", errno, name);
    char buf[65536];
    for (ssize_t n; (n = read(from, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("copy up", "read", errno, name);
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) die("copy up", "write", errno, name);
            done += w;
        }
    }
    copy_xattrs(from, to);
    copy_meta(to, st);
    close(from);
    close(to);
}

static void copy_dir(int from, int to, int depth) {
    if (depth > 128) die("copy up", "openat", ELOOP, "too deep");
    int listing = dup(from);
    DIR *dir = listing < 0 ? NULL : fdopendir(listing);
    if (!dir) die("copy up", "fdopendir", errno, "");
    for (struct dirent *e; (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) die("copy up", "fstatat", errno, e->d_name);
        copied++;
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(to, e->d_name, 0700) < 0) die("copy up", "mkdirat", errno, e->d_name);
            int sub_from = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int sub_to = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub_from < 0 || sub_to < 0) die("copy up", "openat", errno, e->d_name);
            copy_dir(sub_from, sub_to, depth + 1);
            copy_xattrs(sub_from, sub_to);
            copy_meta(sub_to, &st);
            close(sub_from);
            close(sub_to);
        } else if (S_ISREG(st.st_mode)) {
            copy_file(from, to, e->d_name, &st);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(from, e->d_name, target, sizeof target - 1);
            if (n < 0) die("copy up", "readlinkat", errno, e->d_name);
            target[n] = '\0';
            if (symlinkat(target, to, e->d_name) < 0) die("copy up", "symlinkat", errno, e->d_name);
            if (fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                die("copy up", "fchownat", errno, e->d_name);
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            (void)utimensat(to, e->d_name, times, AT_SYMLINK_NOFOLLOW); /* the link's own times */
        } else {
            /* Device nodes, fifos, sockets: made again (a whiteout device included, as Docker). */
            if (mknodat(to, e->d_name, st.st_mode, st.st_rdev) < 0) die("copy up", "mknodat", errno, e->d_name);
            if (fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                fchmodat(to, e->d_name, st.st_mode & 07777, 0) < 0)
                die("copy up", "fchownat", errno, e->d_name);
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            (void)utimensat(to, e->d_name, times, AT_SYMLINK_NOFOLLOW);
        }
    }
    closedir(dir);
}

void copy_up(int dir_fd, const char *dest, const char *shown) {
    int to = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (to < 0) die("copy up", "open", errno, dest);
    int listing = dup(to);
    DIR *dir = listing < 0 ? NULL : fdopendir(listing);
    if (!dir) die("copy up", "fdopendir", errno, dest);
    int empty = 1;
    for (struct dirent *e; empty && (e = readdir(dir));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
    closedir(dir);
    if (!empty) {
        close(to);
        return;
    }
    int from = open(fd_path(dir_fd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (from < 0) die("copy up", "open", errno, shown);
    struct stat st;
    if (fstat(from, &st) < 0) die("copy up", "fstat", errno, shown);
    copied = 0;
    copy_dir(from, to, 0);
    /* The volume's root takes the owner and mode of the image's directory, as Docker does. */
    copy_meta(to, &st);
    step("Copy up image content", "source", shown, "target", dest, "entries", fmt("%lu", copied));
    close(from);
    close(to);
}
