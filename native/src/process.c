/*
 * The process's identity and the final execve: rlimits, the capability bounding set, uid/gid and
 * supplementary groups, the capability sets (masks koker computed), and the command looked up
 * on the PATH koker gives (the image's, never the host's).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "koker-init.h"

static const struct {
    const char *name;
    int resource;
} LIMITS[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},       {"as", RLIMIT_AS},
};

static rlim_t limit_value(const char *text) {
    return strcmp(text, "unlimited") == 0 ? RLIM_INFINITY : (rlim_t)strtoull(text, NULL, 10);
}

void op_rlimit(const char *name, const char *soft, const char *hard) {
    size_t i = 0;
    while (i < sizeof LIMITS / sizeof LIMITS[0] && strcmp(LIMITS[i].name, name) != 0) i++;
    if (i == sizeof LIMITS / sizeof LIMITS[0]) die("set rlimit", "parse", EINVAL, name);
    struct rlimit value = {limit_value(soft), limit_value(hard)};
    step("Call syscall setrlimit", "resource", name, "soft", soft, "hard", hard);
    if (setrlimit(LIMITS[i].resource, &value) < 0) die("set rlimit", "setrlimit", errno, name);
}

void op_bounding(uint64_t keep) {
    step("Drop capabilities from the bounding set", "keep", fmt("%llx", (unsigned long long)keep));
    for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap) >= 0; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) die("drop capability", "prctl", errno, fmt("%d", cap));
    }
}

/* Whether this user namespace's /proc/self/setgroups says "deny". */
static int setgroups_denied(void) {
    char said[8] = {0};
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, said, sizeof said - 1);
    close(fd);
    return n >= 4 && strncmp(said, "deny", 4) == 0;
}

void op_user(uid_t uid, gid_t gid, char **groups) {
    gid_t list[256];
    size_t n = 0;
    for (; groups[n]; n++) {
        if (n == 256) die("set groups", "parse", E2BIG, "");
        list[n] = (gid_t)strtoul(groups[n], NULL, 10);
    }
    /* Keep the permitted set across setuid: the capability sets are applied next, by op_caps. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die("set user", "prctl", errno, "PR_SET_KEEPCAPS");
    step("Call syscall setgroups", "groups", fmt("%zu", n));
    if (setgroups(n, list) < 0) {
        int err = errno;
        /* A user namespace whose maker wrote "deny" to setgroups (unshare --map-root-user): no
         * groups to set is fine there, as runc does; groups asked for cannot be had. */
        if (err != EPERM || !setgroups_denied()) die("set user", "setgroups", err, "");
        if (n > 0) die("set user", "setgroups", err, "the user namespace denies setgroups");
        step("Skip setgroups", "reason", "denied in the user namespace");
    }
    step("Call syscall setresgid", "gid", fmt("%u", gid));
    if (setresgid(gid, gid, gid) < 0) die("set user", "setresgid", errno, fmt("%u", gid));
    step("Call syscall setresuid", "uid", fmt("%u", uid));
    if (setresuid(uid, uid, uid) < 0) die("set user", "setresuid", errno, fmt("%u", uid));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) die("set user", "prctl", errno, "PR_SET_KEEPCAPS");
}

void op_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {
        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
    };
    step("Call syscall capset", "effective", fmt("%llx", (unsigned long long)effective), "permitted",
         fmt("%llx", (unsigned long long)permitted), "inheritable", fmt("%llx", (unsigned long long)inheritable));
    if (syscall(SYS_capset, &header, data) < 0) die("set capabilities", "capset", errno, "");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die("set capabilities", "prctl", errno, "PR_CAP_AMBIENT_CLEAR_ALL");
    for (int cap = 0; cap < 64; cap++) {
        if (!(ambient & (1ULL << cap))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            die("set capabilities", "prctl", errno, fmt("PR_CAP_AMBIENT_RAISE %d", cap));
    }
}

static int preserved;

void exec_preserve_fds(int n) { preserved = n; }

/* fds 4.. (koker-init's channel is 3) moved to 3.., the channel to a number after them. */
static void move_preserved(void) {
    if (preserved <= 0) return;
    int channel = fcntl(CHANNEL_FD, F_DUPFD_CLOEXEC, 3 + preserved);
    if (channel >= 0) report_open(channel);
    step("Pass file descriptors", "count", fmt("%d", preserved));
    for (int i = 0; i < preserved; i++)
        if (dup2(4 + i, 3 + i) < 0) die("pass file descriptors", "dup2", errno, fmt("%d", 4 + i));
    close(3 + preserved);
}

static _Noreturn void exec_failed(const char *syscall, int err, const char *detail) {
    fail("exec", syscall, err, detail);
    fail_exit(err == ENOENT ? 127 : 126);
}

void op_exec(const char *search, char **argv, char **env) {
    const char *file = argv[0];
    if (!file || !*file) exec_failed("execve", ENOENT, "");
    step("Execute command", "command", file);
    move_preserved();
    /* Whatever koker or the steps above opened is closed by the execve; only stdio stays (and
     * the fds an OCI runtime's caller passes on). */
    if (syscall(SYS_close_range, 3 + preserved, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
        exec_failed("close_range", errno, "");
    if (strchr(file, '/')) {
        execve(file, argv, env);
        exec_failed("execve", errno, file);
    }
    int denied = 0;
    char path[4096];
    for (const char *dir = search; dir;) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        /* An empty PATH entry means the current directory, as in execvp. */
        snprintf(path, sizeof path, "%.*s/%s", len ? (int)len : 1, len ? dir : ".", file);
        execve(path, argv, env);
        if (errno == EACCES) denied = 1;
        else if (errno != ENOENT && errno != ENOTDIR) exec_failed("execve", errno, path);
        dir = end ? end + 1 : NULL;
    }
    exec_failed("execvp", denied ? EACCES : ENOENT, file);
}
