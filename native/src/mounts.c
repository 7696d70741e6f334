/*
 * The container's filesystem: every target resolved inside the root (resolve.c), each mount
 * reported as a step. Which mounts, with which flags, is koker's decision; this file only knows
 * how mount(2) wants them (a bind mount takes `ro` in a second, remounting call).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "koker-init.h"

static const struct {
    const char *name;
    unsigned long flag;
} FLAGS[] = {
    {"ro", MS_RDONLY},         {"nosuid", MS_NOSUID},           {"nodev", MS_NODEV},
    {"noexec", MS_NOEXEC},     {"remount", MS_REMOUNT},         {"noatime", MS_NOATIME},
    {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME}, {"bind", MS_BIND},
    {"rec", MS_REC},           {"private", MS_PRIVATE},         {"slave", MS_SLAVE},
    {"shared", MS_SHARED},     {"unbindable", MS_UNBINDABLE},   {"sync", MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC},   {"mand", MS_MANDLOCK},           {"nodiratime", MS_NODIRATIME},
};

static unsigned long parse_flags(const char *names) {
    unsigned long flags = 0;
    char copy[512];
    if (strlen(names) >= sizeof copy) die("parse mount flags", "parse", 0, names);
    strcpy(copy, names);
    for (char *save, *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < sizeof FLAGS / sizeof FLAGS[0] && strcmp(FLAGS[i].name, name) != 0) i++;
        if (i == sizeof FLAGS / sizeof FLAGS[0]) die("parse mount flags", "parse", 0, name);
        flags |= FLAGS[i].flag;
    }
    return flags;
}

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

/* Remounts the bind mount now at `path` read-only, keeping the flags it has (nosuid, ...). */
static void remount_ro(const char *path, unsigned long extra) {
    int fd = in_root(path);
    if (fd < 0) die("remount read-only", "openat2", errno, path);
    struct statvfs vfs;
    unsigned long keep = 0;
    if (fstatvfs(fd, &vfs) == 0) {
        if (vfs.f_flag & ST_NOSUID) keep |= MS_NOSUID;
        if (vfs.f_flag & ST_NODEV) keep |= MS_NODEV;
        if (vfs.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    }
    step("Remount read-only", "target", path);
    if (mount(NULL, fd_path(fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep | extra, NULL) < 0)
        die("remount read-only", "mount", errno, path);
    close(fd);
}

/* The new mount API (Linux 5.2); the numbers are the same on every architecture. */
#ifndef SYS_fsopen
#define SYS_move_mount 429
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#define KOKER_FSOPEN_CLOEXEC 1
#define KOKER_FSCONFIG_SET_FLAG 0
#define KOKER_FSCONFIG_SET_STRING 1
#define KOKER_FSCONFIG_CMD_CREATE 6
#define KOKER_FSMOUNT_CLOEXEC 1
#define KOKER_MOVE_MOUNT_F_EMPTY_PATH 4

static int fsconfig_str(int fs, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fs, value ? KOKER_FSCONFIG_SET_STRING : KOKER_FSCONFIG_SET_FLAG, key, value, 0);
}

/* What the kernel queued on a filesystem context about a failure ("e overlay: ..."). */
static const char *context_says(int fs, const char *detail) {
    static char said[1024];
    size_t at = 0;
    said[0] = '\0';
    for (int i = 0; i < 8 && at < sizeof said - 2; i++) {
        ssize_t n = read(fs, said + at, sizeof said - 1 - at);
        if (n <= 0) break;
        at += (size_t)n;
        said[at++] = ' ';
        said[at] = '\0';
    }
    return said[0] ? fmt("%s; the kernel says: %s", detail, said) : detail;
}

/*
 * overlay: the container's root as an overlayfs mount made here, in the container's own mount
 * namespace: the host never sees it and it goes away with the namespace. Layers are given one by
 * one (`lowerdir+`, Linux 6.8) where the kernel takes them; before 6.5 overlayfs had no fs
 * context of its own and the legacy one accepts any key, so a bogus key must be refused first.
 * Otherwise mount(2) with the legacy data koker prepared (`volatile` included; short links
 * relative to `cwd` when the absolute paths do not fit a page).
 */
void op_overlay(const char *target, const char *upper, const char *work, int volatile_, char **lowers,
                const char *legacy, const char *cwd) {
    int fs = (int)syscall(SYS_fsopen, "overlay", KOKER_FSOPEN_CLOEXEC);
    if (fs >= 0 && lowers[0] && fsconfig_str(fs, "koker-probe-no-such-option", "1") < 0 &&
        fsconfig_str(fs, "lowerdir+", lowers[0]) == 0) {
        step("Open filesystem context", "fstype", "overlay", "fd", fmt("%d", fs));
        fsconfig_str(fs, "source", "overlay"); /* what mount(8) shows as its device */
        step("Add lower layer", "lowerdir", lowers[0]);
        for (size_t i = 1; lowers[i]; i++) {
            step("Add lower layer", "lowerdir", lowers[i]);
            if (fsconfig_str(fs, "lowerdir+", lowers[i]) < 0)
                die("mount the root filesystem", "fsconfig", errno, context_says(fs, fmt("lowerdir+=%s", lowers[i])));
        }
        step("Set upper and work directories", "upperdir", upper, "workdir", work, "volatile",
             volatile_ ? "true" : "false");
        if (fsconfig_str(fs, "upperdir", upper) < 0)
            die("mount the root filesystem", "fsconfig", errno, context_says(fs, fmt("upperdir=%s", upper)));
        if (fsconfig_str(fs, "workdir", work) < 0)
            die("mount the root filesystem", "fsconfig", errno, context_says(fs, fmt("workdir=%s", work)));
        if (volatile_ && fsconfig_str(fs, "volatile", NULL) < 0)
            die("mount the root filesystem", "fsconfig", errno, context_says(fs, "volatile"));
        if (syscall(SYS_fsconfig, fs, KOKER_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            die("mount the root filesystem", "fsconfig", errno, context_says(fs, "FSCONFIG_CMD_CREATE"));
        int mnt = (int)syscall(SYS_fsmount, fs, KOKER_FSMOUNT_CLOEXEC, 0);
        if (mnt < 0) die("mount the root filesystem", "fsmount", errno, target);
        step("Mount target", "source", "overlay", "target", target, "fstype", "overlay");
        if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, KOKER_MOVE_MOUNT_F_EMPTY_PATH) < 0)
            die("mount the root filesystem", "move_mount", errno, target);
        close(mnt);
        close(fs);
        return;
    }
    if (fs >= 0) close(fs);
    if (!*legacy)
        die("mount the root filesystem", "mount", EINVAL,
            "this kernel needs legacy mount data, which these layer paths cannot be written in");
    int back = -1;
    if (*cwd) {
        /* The short links resolve against the working directory at mount(2). */
        back = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        step("Change directory", "dir", cwd);
        if (back < 0 || chdir(cwd) < 0) die("mount the root filesystem", "chdir", errno, cwd);
    }
    step("Mount target", "source", "overlay", "target", target, "fstype", "overlay", "data", legacy);
    if (mount("overlay", target, "overlay", 0, legacy) < 0) die("mount the root filesystem", "mount", errno, target);
    if (back >= 0) {
        if (fchdir(back) < 0) die("mount the root filesystem", "fchdir", errno, "");
        close(back);
    }
}

void op_rootfs(const char *path) {
    step("Mount target", "source", path, "target", path, "flags", "bind,rec");
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind the rootfs", "mount", errno, path);
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("open the rootfs", "open", errno, path);
    root_set(fd);
}

void op_mount(const char *source, const char *target, const char *fstype, const char *flags, const char *data) {
    unsigned long bits = parse_flags(flags);
    int fd = in_root(target);
    if (fd < 0) die("resolve mount target", "openat2", errno, target);
    step("Mount target", "source", *source ? source : "none", "target", target, "fstype", *fstype ? fstype : "none",
         "flags", flags, *data ? "data" : NULL, data);
    int bind = (bits & MS_BIND) && !(bits & MS_REMOUNT);
    if (mount(or_null(source), fd_path(fd), or_null(fstype), bind ? bits & ~MS_RDONLY : bits, or_null(data)) < 0)
        die("mount", "mount", errno, fmt("%s on %s", *source ? source : fstype, target));
    close(fd);
    if (bind && (bits & MS_RDONLY)) remount_ro(target, bits & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
}

void op_mask(const char *path) {
    int fd = in_root(path);
    if (fd < 0 && errno == ENOENT) return;
    if (fd < 0) die("mask path", "openat2", errno, path);
    struct stat st;
    if (fstat(fd, &st) < 0) die("mask path", "fstat", errno, path);
    int dir = S_ISDIR(st.st_mode);
    step("Mask path", "target", path, "with", dir ? "tmpfs,ro" : "/dev/null");
    int rc = dir ? mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY, NULL)
                 : mount("/dev/null", fd_path(fd), NULL, MS_BIND, NULL);
    if (rc < 0) die("mask path", "mount", errno, path);
    close(fd);
}

void op_readonly(const char *path) {
    int fd = in_root(path);
    if (fd < 0 && errno == ENOENT) return;
    if (fd < 0) die("make path read-only", "openat2", errno, path);
    step("Mount target", "source", path, "target", path, "flags", "bind,rec");
    if (mount(fd_path(fd), fd_path(fd), NULL, MS_BIND | MS_REC, NULL) < 0)
        die("make path read-only", "mount", errno, path);
    close(fd);
    remount_ro(path, 0);
}

void op_mknod(const char *path, const char *type, unsigned major, unsigned minor, mode_t mode) {
    char base[256];
    const char *slash = strrchr(path, '/');
    if (!slash || strlen(slash + 1) >= sizeof base) die("make device", "parse", EINVAL, path);
    strcpy(base, slash + 1);
    char parent[4096];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    int pfd = in_root(parent[0] ? parent : "/");
    int dir = pfd < 0 ? -1 : open(fd_path(pfd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) die("make device", "open", errno, path);
    close(pfd);
    mode_t kind = strcmp(type, "b") == 0 ? S_IFBLK : S_IFCHR;
    step("Make device node", "path", path, "type", type, "major", fmt("%u", major), "minor", fmt("%u", minor), "mode",
         fmt("%o", mode));
    if (mknodat(dir, base, kind | mode, makedev(major, minor)) < 0) die("make device", "mknod", errno, path);
    /* mknod obeys the umask; the mode koker asked for is the mode it gets. */
    if (fchmodat(dir, base, mode, 0) < 0) die("make device", "fchmodat", errno, path);
    close(dir);
}

void op_symlink(const char *target, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) die("make symlink", "parse", EINVAL, path);
    char parent[4096];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    int pfd = in_root_mkdir(parent[0] ? parent : "/", 0755);
    int dir = pfd < 0 ? -1 : open(fd_path(pfd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) die("make symlink", "open", errno, path);
    close(pfd);
    step("Make symlink", "path", path, "target", target);
    if (symlinkat(target, dir, slash + 1) < 0 && errno != EEXIST) die("make symlink", "symlinkat", errno, path);
    close(dir);
}

void op_pivot(void) {
    /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only ours. */
    if (fchdir(root_fd()) < 0) die("pivot_root", "fchdir", errno, "");
    step("Call syscall pivot_root", "new_root", ".", "put_old", ".");
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root", "pivot_root", errno, "");
    step("Unmount target", "target", "old root", "flags", "detach");
    if (umount2(".", MNT_DETACH) < 0) die("pivot_root", "umount2", errno, "old root");
    if (chdir("/") < 0) die("pivot_root", "chdir", errno, "/");
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("pivot_root", "open", errno, "/");
    root_set(fd);
}

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define KOKER_OPEN_TREE_CLONE 1
#define KOKER_AT_RECURSIVE 0x8000
#define KOKER_MOVE_MOUNT_T_EMPTY_PATH 0x40
#define KOKER_MOUNT_ATTR_RDONLY 0x1
#define KOKER_MOUNT_ATTR_NOSUID 0x2
#define KOKER_MOUNT_ATTR_NODEV 0x4
#define KOKER_MOUNT_ATTR_NOEXEC 0x8

struct koker_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/*
 * A bind made with the new mount API (Linux 5.12): the tree cloned from the source, made
 * read-only (recursively, every submount too) before it is attached, then moved onto the
 * target's fd: no path is resolved twice. -1 with errno when the kernel lacks the calls.
 * `tree`, when not -1, is the source already cloned (in the host's namespace: open_host_tree).
 */
static int bind_tree(const char *source, int target_fd, unsigned long bits, int tree) {
    int rec = (bits & MS_REC) ? KOKER_AT_RECURSIVE : 0;
    if (tree < 0) tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, KOKER_OPEN_TREE_CLONE | O_CLOEXEC | rec);
    if (tree < 0) {
        if (errno == ENOSYS) return -1;
        die("mount", "open_tree", errno, source);
    }
    struct koker_mount_attr attr = {0};
    if (bits & MS_RDONLY) attr.attr_set |= KOKER_MOUNT_ATTR_RDONLY;
    if (bits & MS_NOSUID) attr.attr_set |= KOKER_MOUNT_ATTR_NOSUID;
    if (bits & MS_NODEV) attr.attr_set |= KOKER_MOUNT_ATTR_NODEV;
    if (bits & MS_NOEXEC) attr.attr_set |= KOKER_MOUNT_ATTR_NOEXEC;
    if (attr.attr_set && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
        int err = errno;
        close(tree);
        if (err == ENOSYS) return -1;
        die("mount", "mount_setattr", err, source);
    }
    if (syscall(SYS_move_mount, tree, "", target_fd, "",
                KOKER_MOVE_MOUNT_F_EMPTY_PATH | KOKER_MOVE_MOUNT_T_EMPTY_PATH) < 0)
        die("mount", "move_mount", errno, source);
    close(tree);
    return 0;
}

int open_host_tree(const char *source) {
    step("Clone mount tree", "source", source, "namespace", "host");
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, KOKER_OPEN_TREE_CLONE | O_CLOEXEC | KOKER_AT_RECURSIVE);
    if (tree < 0)
        die("open bind source", "open_tree", errno,
            errno == ENOSYS ? fmt("%s: a shared or slave bind-propagation needs Linux 5.2", source) : source);
    return tree;
}

/* Propagation flags by Docker's name, set on a mount once it is made. */
static unsigned long propagation_flags(const char *name) {
    static const struct {
        const char *name;
        unsigned long flags;
    } P[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (strcmp(P[i].name, name) == 0) return P[i].flags;
    die("parse propagation", "parse", EINVAL, name);
}

void op_usermount(const char *source, const char *target, const char *fstype, const char *flags, const char *data,
                  const char *propagation, int copyup, int file, int tree) {
    unsigned long bits = parse_flags(flags);
    /* Made if missing, a component at a time inside the root (resolve.c). */
    int made = file ? in_root_mkfile(target, 0644) : in_root_mkdir(target, 0755);
    if (made < 0) die("make mount target", file ? "openat" : "mkdirat", errno, target);
    close(made);
    /* Then resolved again, strictly: a symlink that climbs out of the root is an error. */
    int fd = in_root_walk(target, 1);
    if (fd < 0 && errno == EXDEV)
        die("resolve mount target", "openat", EXDEV,
            fmt("%s leads out of the container's root through a symlink", target));
    if (fd < 0) die("resolve mount target", "openat", errno, target);
    struct stat st, root;
    if (fstat(fd, &st) < 0 || fstat(root_fd(), &root) < 0) die("resolve mount target", "fstat", errno, target);
    if (st.st_dev == root.st_dev && st.st_ino == root.st_ino)
        die("resolve mount target", "openat", EXDEV, fmt("%s resolves to the container's root itself", target));
    if (!file && !S_ISDIR(st.st_mode))
        die("resolve mount target", "openat", ENOTDIR, fmt("%s is not a directory in the container", target));
    if (file && S_ISDIR(st.st_mode))
        die("resolve mount target", "openat", EISDIR, fmt("%s is a directory in the container", target));
    if (copyup && S_ISDIR(st.st_mode)) copy_up(fd, source, target);
    step("Mount target", "source", *source ? source : "none", "target", target, "fstype", *fstype ? fstype : "none",
         "flags", flags, *data ? "data" : NULL, data);
    int bind = (bits & MS_BIND) != 0;
    if (bind && bind_tree(source, fd, bits, tree) == 0) {
        close(fd);
    } else {
        if (mount(or_null(source), fd_path(fd), or_null(fstype), bind ? bits & ~MS_RDONLY : bits, or_null(data)) < 0)
            die("mount", "mount", errno, fmt("%s on %s", *source ? source : fstype, target));
        close(fd);
        /* Before Linux 5.12: the new mount, resolved again inside the root, remounted. */
        if (bind && (bits & MS_RDONLY)) remount_ro(target, bits & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
    }
    if (*propagation) {
        int at = in_root(target);
        if (at < 0) die("set mount propagation", "openat2", errno, target);
        step("Set mount propagation", "target", target, "propagation", propagation);
        if (mount(NULL, fd_path(at), NULL, propagation_flags(propagation), NULL) < 0)
            die("set mount propagation", "mount", errno, target);
        close(at);
    }
}
