/*
 * The container's filesystem: every target resolved inside the root (resolve.c), each mount
 * reported as a step. Which mounts, with which flags, is koker's decision; this file only knows
 * how mount(2) wants them (a bind mount takes `ro` in a second, remounting call).
 */
#include <errno.h>
#include <fcntl.h>
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
    {"ro", MS_RDONLY},       {"nosuid", MS_NOSUID},           {"nodev", MS_NODEV},
    {"noexec", MS_NOEXEC},   {"remount", MS_REMOUNT},         {"noatime", MS_NOATIME},
    {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME}, {"bind", MS_BIND},
    {"rec", MS_REC},         {"private", MS_PRIVATE},         {"slave", MS_SLAVE},
    {"shared", MS_SHARED},   {"unbindable", MS_UNBINDABLE},
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

void op_rootfs(const char *path) {
    step("Mount target", "source", path, "target", path, "flags", "bind,rec");
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind the rootfs", "mount", errno, path);
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("open the rootfs", "open", errno, path);
    root_set(fd);
}

void op_mount(const char *source, const char *target, const char *fstype, const char *flags,
              const char *data) {
    unsigned long bits = parse_flags(flags);
    int fd = in_root(target);
    if (fd < 0) die("resolve mount target", "openat2", errno, target);
    step("Mount target", "source", *source ? source : "none", "target", target, "fstype",
         *fstype ? fstype : "none", "flags", flags, *data ? "data" : NULL, data);
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
    step("Make device node", "path", path, "type", type, "major", fmt("%u", major), "minor",
         fmt("%u", minor), "mode", fmt("%o", mode));
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
