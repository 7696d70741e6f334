/*
 * koker-init: executes a launch plan that koker's TypeScript side resolved completely. It
 * decides nothing: it creates or joins namespaces, mounts, pivots, drops privileges and execs,
 * reporting each step on the channel (fd 3) it read the plan from. The stages, as runc's
 * nsexec but smaller:
 *
 *   monitor  (koker's child, host namespaces): joins namespaces, clones the container's first
 *            process, puts it into its cgroups, releases it, then forwards signals, copies the
 *            terminal, and reports how it ended.
 *   child    (PID 1 of the new namespaces): mounts, pivot_root, hostname, then the process's
 *            identity, then execve (or, with --init, forks the command and reaps as PID 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "koker-init.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *name;
    int flag;
} NAMESPACES[] = {
    {"mount", CLONE_NEWNS}, {"uts", CLONE_NEWUTS},       {"ipc", CLONE_NEWIPC},   {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},  {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}, {"time", CLONE_NEWTIME},
};
#define NS_COUNT (sizeof NAMESPACES / sizeof NAMESPACES[0])

/* "mount,pid" -> CLONE_NEWNS|CLONE_NEWPID, and the names the kernel headers use, for the log. */
static int namespace_flags(const char *names, char *shown, size_t cap) {
    int flags = 0;
    shown[0] = '\0';
    for (size_t i = 0; i < NS_COUNT; i++) {
        size_t len = strlen(NAMESPACES[i].name);
        for (const char *at = names; (at = strstr(at, NAMESPACES[i].name)); at += len) {
            if ((at == names || at[-1] == ',') && (at[len] == ',' || at[len] == '\0')) {
                flags |= NAMESPACES[i].flag;
                const char *macro = i == 0 ? "CLONE_NEWNS" : fmt("CLONE_NEW%s", NAMESPACES[i].name);
                snprintf(shown + strlen(shown), cap - strlen(shown), "%s%s", shown[0] ? "|" : "", macro);
                break;
            }
        }
    }
    for (char *c = shown; *c; c++)
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    return flags;
}

/* What the monitor collected from the plan before the clone. */
static struct {
    int joins[NS_COUNT];
    const char *join_paths[NS_COUNT];
    const char *join_kinds[NS_COUNT];
    size_t njoins;
    int cgroups[16];
    const char *cgroup_paths[16];
    size_t ncgroups;
    int tty, tty_stdin, tty_sock[2];
    /* An OCI runtime's `create`: the monitor leaves once the child waits for `start`. */
    int handoff;
    int console_socket;
    unsigned short rows, cols;
    /* `ROWS COLUMNS` for the pty when koker-init's stdio is no terminal (an API service's exec):
     * opened before any namespace is joined (the path is the host's), read again at each SIGWINCH. */
    int size_fd;
    /* Bind sources cloned in the host's mount namespace (hosttree), by source path. */
    int trees[16];
    const char *tree_paths[16];
    size_t ntrees;
    /* prestart and createRuntime hooks, run when the child reaches `runtimehooks`. */
    struct hook *hooks[32];
    size_t nhooks;
    int hook_sock[2];
    /* The runtime's own namespaces, for the hooks, where a join left them. */
    int restore[NS_COUNT + 1], restore_flags[NS_COUNT + 1];
    size_t nrestore;
    /* fds 4.. (after the channel), the caller's to pass on at 3.. (--preserve-fds). */
    int preserve;
    /* A new user namespace's maps (`idmap`), written before the child is released. */
    const char *uid_map, *gid_map;
    /* A new time namespace (`timens`): its offsets and the file they are written to. */
    const char *time_offsets;
    int time_fd;
} monitor = {.tty_sock = {-1, -1}, .console_socket = -1, .hook_sock = {-1, -1}, .size_fd = -1, .time_fd = -1};

/* The container's pid as the host sees it, for the state hooks get (the monitor sends it). */
static pid_t host_pid;

/* The tree cloned from `source` in the host's namespace before the clone, or -1. */
static int host_tree(const char *source) {
    for (size_t i = 0; i < monitor.ntrees; i++)
        if (monitor.trees[i] >= 0 && strcmp(monitor.tree_paths[i], source) == 0) {
            int fd = monitor.trees[i];
            monitor.trees[i] = -1;
            return fd;
        }
    return -1;
}

static void loopback_up(void) {
    step("Enable the link device", "link", "lo");
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die("enable lo", "ioctl", errno, "SIOCGIFFLAGS");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die("enable lo", "ioctl", errno, "SIOCSIFFLAGS");
    close(sock);
}

/* A kernel setting of the container's namespaces, through its own /proc (after pivot_root). */
static void op_sysctl(const char *name, const char *value) {
    char path[256] = "/proc/sys/";
    size_t at = strlen(path), len = strlen(name);
    if (len == 0 || at + len >= sizeof path || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len ||
        name[0] == '.' || strstr(name, ".."))
        die("set kernel parameter", "parse", EINVAL, name);
    for (size_t i = 0; i < len; i++) path[at + i] = name[i] == '.' ? '/' : name[i];
    step("Set kernel parameter", "name", name, "value", value);
    int ref = in_root(path);
    int fd = ref < 0 ? -1 : open(fd_path(ref), O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("set kernel parameter", "open", errno, name);
    if (write(fd, value, strlen(value)) < 0) die("set kernel parameter", "write", errno, name);
    close(fd);
    close(ref);
}

/* PID 1 with --init: runs the command as its child, reaps every zombie, forwards signals. */
static _Noreturn void init_loop(const char *search, char **argv, char **env) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &all, NULL);
    pid_t command = fork();
    if (command < 0) die("start init", "fork", errno, "");
    if (command == 0) {
        /* Its own process group, in the terminal's foreground (as tini): a Ctrl-C reaches it
         * once, from the line discipline, not a second time through our forwarding. */
        setpgid(0, 0);
        if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpgrp());
        sigprocmask(SIG_SETMASK, &none, NULL);
        op_exec(search, argv, env);
    }
    step("Start init", "command_pid", fmt("%d", command));
    syscall(SYS_close_range, 3, ~0U, 0); /* the channel and the exec pipe belong to the command */
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(command, sig);
            continue;
        }
        int status;
        for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;)
            if (pid == command) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

/* The container's first process: runs the rest of the plan, in order, then execs. */
static _Noreturn void child(int sync_fd, int exec_fd) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Handed off, it outlives the monitor: the caller (conmon, a containerd shim) adopts it. */
    if (!monitor.handoff) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    report_failures_to(exec_fd);
    int start_fifo = -1;
    if (read(sync_fd, &host_pid, sizeof host_pid) != sizeof host_pid) _exit(EXIT_ENGINE); /* the monitor gave up */
    close(sync_fd);
    if (monitor.uid_map) {
        user_become_root();
        /* A change of ids clears the parent-death signal: set again. */
        if (!monitor.handoff) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    }
    if (setsid() < 0) die("start a session", "setsid", errno, "");
    int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (slash < 0) die("open /", "open", errno, "/");
    root_set(slash);
    char **env = NULL;
    const char *cwd_later = NULL;
    for (;;) {
        const char *op = plan_str();
        if (strcmp(op, "unshare") == 0) {
            char shown[256];
            int flags = namespace_flags(plan_str(), shown, sizeof shown);
            step(fmt("Call syscall unshare %s", shown));
            if (unshare(flags) < 0) die("unshare", "unshare", errno, shown);
        } else if (strcmp(op, "overlay") == 0) {
            const char *target = plan_str(), *upper = plan_str(), *work = plan_str();
            int volatile_ = (int)plan_num();
            char **lowers = plan_list();
            const char *legacy = plan_str();
            op_overlay(target, upper, work, volatile_, lowers, legacy, plan_str());
        } else if (strcmp(op, "rootfs") == 0) {
            op_rootfs(plan_str());
        } else if (strcmp(op, "mkdir") == 0) {
            const char *path = plan_str();
            mode_t mode = (mode_t)strtoul(plan_str(), NULL, 8);
            int fd = in_root_mkdir(path, mode);
            if (fd < 0) die("make directory", "mkdirat", errno, path);
            close(fd);
        } else if (strcmp(op, "mkfile") == 0) {
            const char *path = plan_str();
            int fd = in_root_mkfile(path, (mode_t)strtoul(plan_str(), NULL, 8));
            if (fd < 0) die("make file", "openat", errno, path);
            close(fd);
        } else if (strcmp(op, "mount") == 0) {
            const char *source = plan_str(), *target = plan_str(), *fstype = plan_str();
            const char *flags = plan_str();
            op_mount(source, target, fstype, flags, plan_str());
        } else if (strcmp(op, "usermount") == 0) {
            const char *source = plan_str(), *target = plan_str(), *fstype = plan_str();
            const char *flags = plan_str(), *data = plan_str(), *propagation = plan_str();
            int copyup = (int)plan_num();
            op_usermount(source, target, fstype, flags, data, propagation, copyup, (int)plan_num(), host_tree(source));
        } else if (strcmp(op, "mask") == 0) {
            op_mask(plan_str());
        } else if (strcmp(op, "readonly") == 0) {
            op_readonly(plan_str());
        } else if (strcmp(op, "mknod") == 0) {
            const char *path = plan_str(), *type = plan_str();
            unsigned major = (unsigned)plan_num(), minor = (unsigned)plan_num();
            op_mknod(path, type, major, minor, (mode_t)strtoul(plan_str(), NULL, 8));
        } else if (strcmp(op, "symlink") == 0) {
            const char *target = plan_str();
            op_symlink(target, plan_str());
        } else if (strcmp(op, "pivot") == 0) {
            op_pivot();
        } else if (strcmp(op, "runtimehooks") == 0) {
            /* The mounts are made: the monitor runs prestart and createRuntime, in the runtime's
             * namespaces, while this process waits (runc's procHooks). */
            step("Wait for runtime hooks");
            char said = 'h';
            if (write(monitor.hook_sock[1], &said, 1) != 1) die("run hooks", "write", errno, "hook socket");
            if (read(monitor.hook_sock[1], &said, 1) != 1 || said != 'k') fail_exit(EXIT_ENGINE); /* reported */
            close(monitor.hook_sock[1]);
        } else if (strcmp(op, "hook") == 0) {
            const char *stage = plan_str();
            if (hook_run(hook_read(stage), host_pid) < 0) fail_exit(EXIT_ENGINE);
        } else if (strcmp(op, "hostname") == 0) {
            const char *name = plan_str();
            step("Set hostname", "name", name);
            if (sethostname(name, strlen(name)) < 0) die("set hostname", "sethostname", errno, name);
        } else if (strcmp(op, "domainname") == 0) {
            const char *name = plan_str();
            step("Set domainname", "name", name);
            if (setdomainname(name, strlen(name)) < 0) die("set domainname", "setdomainname", errno, name);
        } else if (strcmp(op, "sysctl") == 0) {
            const char *name = plan_str();
            op_sysctl(name, plan_str());
        } else if (strcmp(op, "oomscore") == 0) {
            op_oom_score_adj(plan_str());
        } else if (strcmp(op, "loopback") == 0) {
            loopback_up();
        } else if (strcmp(op, "rlimit") == 0) {
            const char *name = plan_str(), *soft = plan_str();
            op_rlimit(name, soft, plan_str());
        } else if (strcmp(op, "console") == 0) {
            uid_t uid = (uid_t)plan_num();
            console_open(monitor.tty_sock[1], uid, (gid_t)plan_num());
        } else if (strcmp(op, "bounding") == 0) {
            op_bounding(plan_hex());
        } else if (strcmp(op, "user") == 0) {
            uid_t uid = (uid_t)plan_num();
            gid_t gid = (gid_t)plan_num();
            op_user(uid, gid, plan_list());
            /* A working directory root could not enter may be the user's own (runc does this). */
            if (cwd_later && chdir(cwd_later) < 0) die("change directory", "chdir", errno, cwd_later);
        } else if (strcmp(op, "caps") == 0) {
            uint64_t e = plan_hex(), p = plan_hex(), i = plan_hex();
            op_caps(e, p, i, plan_hex());
        } else if (strcmp(op, "nnp") == 0) {
            step("Set no_new_privs");
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("set no_new_privs", "prctl", errno, "");
        } else if (strcmp(op, "seccomp") == 0) {
            op_seccomp(plan_str());
        } else if (strcmp(op, "cwd") == 0) {
            const char *dir = plan_str();
            step("Change directory", "dir", dir);
            if (chdir(dir) < 0) {
                if (errno != EACCES && errno != EPERM) die("change directory", "chdir", errno, dir);
                cwd_later = dir; /* tried again as the user */
            }
        } else if (strcmp(op, "startfifo") == 0) {
            /* Opened for reading and writing: never blocks, and a read waits for `start`'s byte. */
            const char *path = plan_str();
            step("Open start fifo", "path", path);
            start_fifo = open(path, O_RDWR | O_CLOEXEC);
            if (start_fifo < 0) die("open the start fifo", "open", errno, path);
        } else if (strcmp(op, "waitstart") == 0) {
            step("Wait for start");
            /* EOF on the exec pipe: the monitor reports the container created, and leaves. */
            report_failures_to(-1);
            close(exec_fd);
            report_open(-1);
            close(CHANNEL_FD);
            char byte;
            ssize_t n;
            while ((n = read(start_fifo, &byte, 1)) < 0 && errno == EINTR) {
            }
            if (n != 1) die("wait for start", "read", errno, "start fifo");
            close(start_fifo);
        } else if (strcmp(op, "umask") == 0) {
            umask((mode_t)strtoul(plan_str(), NULL, 8));
        } else if (strcmp(op, "env") == 0) {
            env = plan_list();
        } else if (strcmp(op, "hold") == 0) {
            /* The mounts are made: the copy of a stopped container (cp) reaches them through
             * /proc/PID/root until koker kills this process, which takes its namespace along. */
            step("Hold mounts");
            close(exec_fd); /* "started", as an execve would say */
            for (;;) pause();
        } else if (strcmp(op, "exec") == 0) {
            int init = (int)plan_num();
            const char *search = plan_str();
            char **argv = plan_list();
            static char *no_env[] = {NULL};
            if (init) init_loop(search, argv, env ? env : no_env);
            op_exec(search, argv, env ? env : no_env);
        } else {
            die("read plan", "parse", 0, fmt("unknown op %s", op));
        }
    }
}

/* Reads the monitor's part of the plan, up to and including `clone`; returns the clone flags. */
static int monitor_ops(char *shown, size_t cap) {
    for (;;) {
        const char *op = plan_str();
        if (strcmp(op, "pdeathsig") == 0) {
            prctl(PR_SET_PDEATHSIG, (int)plan_num(), 0, 0, 0);
        } else if (strcmp(op, "join") == 0) {
            const char *kind = plan_str(), *path = plan_str();
            if (monitor.njoins == NS_COUNT) die("join namespace", "parse", E2BIG, path);
            /* Opened now, joined at clone: paths under /proc stop meaning the same after setns. */
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) die("join namespace", "open", errno, path);
            monitor.join_kinds[monitor.njoins] = kind;
            monitor.join_paths[monitor.njoins] = path;
            monitor.joins[monitor.njoins++] = fd;
        } else if (strcmp(op, "cgroup") == 0) {
            const char *path = plan_str();
            if (monitor.ncgroups == 16) die("join cgroup", "parse", E2BIG, path);
            int fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) die("join cgroup", "open", errno, path);
            monitor.cgroup_paths[monitor.ncgroups] = path;
            monitor.cgroups[monitor.ncgroups++] = fd;
        } else if (strcmp(op, "hosttree") == 0) {
            const char *source = plan_str();
            if (monitor.ntrees == 16) die("open bind source", "parse", E2BIG, source);
            monitor.tree_paths[monitor.ntrees] = source;
            monitor.trees[monitor.ntrees++] = open_host_tree(source);
        } else if (strcmp(op, "tty") == 0) {
            monitor.tty = 1;
            monitor.tty_stdin = (int)plan_num();
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, monitor.tty_sock) < 0)
                die("prepare the terminal", "socketpair", errno, "");
        } else if (strcmp(op, "winsize") == 0) {
            const char *path = plan_str();
            monitor.size_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (monitor.size_fd < 0) die("prepare the terminal", "open", errno, path);
        } else if (strcmp(op, "handoff") == 0) {
            monitor.handoff = 1;
            const char *path = plan_str();
            monitor.console_socket = *path ? console_connect(path) : -1;
            monitor.rows = (unsigned short)plan_num();
            monitor.cols = (unsigned short)plan_num();
        } else if (strcmp(op, "hook") == 0) {
            const char *stage = plan_str();
            if (monitor.nhooks == sizeof monitor.hooks / sizeof monitor.hooks[0])
                die("read plan", "parse", E2BIG, "hooks");
            monitor.hooks[monitor.nhooks++] = hook_read(stage);
        } else if (strcmp(op, "idmap") == 0) {
            monitor.uid_map = plan_str();
            monitor.gid_map = plan_str();
        } else if (strcmp(op, "timens") == 0) {
            monitor.time_offsets = plan_str();
            monitor.time_fd = time_namespace_prepare();
        } else if (strcmp(op, "preservefds") == 0) {
            monitor.preserve = (int)plan_num();
            exec_preserve_fds(monitor.preserve);
        } else if (strcmp(op, "clone") == 0) {
            return namespace_flags(plan_str(), shown, cap);
        } else {
            die("read plan", "parse", 0, fmt("unknown op %s", op));
        }
    }
}

static int forwardable(int sig) { return sig != SIGCHLD && sig != SIGWINCH && sig != SIGPIPE && sig != SIGURG; }

/* Waits for the container's process, forwarding signals and copying the terminal; its status. */
static int watch(pid_t pid, int master, int signals) {
    int status = 0, ended = 0, stdin_open = master >= 0 && monitor.tty_stdin, master_open = master >= 0;
    while (!ended) {
        struct pollfd fds[3] = {
            {signals, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {master_open ? master : -1, POLLIN, 0}};
        if (poll(fds, 3, -1) < 0) continue;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(signals, &info, sizeof info) != sizeof info) continue;
            int sig = (int)info.ssi_signo;
            if (sig == SIGCHLD && waitpid(pid, &status, WNOHANG) == pid) ended = 1;
            if (sig == SIGWINCH && master >= 0) console_resize(master, monitor.size_fd);
            if (forwardable(sig)) {
                step("Forward signal", "signal", sigabbrev_np(sig) ? sigabbrev_np(sig) : fmt("%d", sig));
                kill(pid, sig);
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR) && !console_copy_in(master)) stdin_open = 0;
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR) && !console_copy_out(master)) master_open = 0;
    }
    if (master_open) console_copy_out(master);
    return status;
}

/* prestart then createRuntime, once the child has made its mounts (it says so on the hook
 * socket; if it ended first, its exec pipe tells why). Back in the runtime's namespaces first. */
static int run_runtime_hooks(pid_t pid) {
    char said;
    ssize_t n;
    while ((n = read(monitor.hook_sock[0], &said, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) return 0;
    for (size_t i = 0; i < monitor.nrestore; i++) {
        if (setns(monitor.restore[i], monitor.restore_flags[i]) < 0) die("prepare hooks", "setns", errno, "");
        close(monitor.restore[i]);
    }
    for (size_t i = 0; i < monitor.nhooks; i++)
        if (hook_run(monitor.hooks[i], pid) < 0) return -1;
    said = 'k';
    if (write(monitor.hook_sock[0], &said, 1) != 1) die("run hooks", "write", errno, "hook socket");
    close(monitor.hook_sock[0]);
    return 0;
}

static int run_monitor(void) {
    char shown[256];
    int flags = monitor_ops(shown, sizeof shown);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int sync_pipe[2], exec_pipe[2];
    if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC) < 0) die("start", "pipe2", errno, "");
    if (monitor.nhooks > 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, monitor.hook_sock) < 0)
        die("prepare hooks", "socketpair", errno, "");
    for (size_t i = 0; i < monitor.njoins; i++) {
        char kind[64];
        int flag = namespace_flags(monitor.join_kinds[i], kind, sizeof kind);
        if (monitor.nhooks > 0) {
            /* The hooks run where the runtime is, not in the namespaces joined for the container. */
            const char *name = flag == CLONE_NEWNS     ? "mnt"
                               : flag == CLONE_NEWPID  ? "pid_for_children"
                               : flag == CLONE_NEWTIME ? "time_for_children"
                                                       : monitor.join_kinds[i];
            int own = open(fmt("/proc/self/ns/%s", name), O_RDONLY | O_CLOEXEC);
            if (own < 0) die("prepare hooks", "open", errno, fmt("/proc/self/ns/%s", name));
            monitor.restore[monitor.nrestore] = own;
            monitor.restore_flags[monitor.nrestore++] = flag;
        }
        step(fmt("Call syscall setns %s", kind), "path", monitor.join_paths[i]);
        if (setns(monitor.joins[i], flag) < 0) die("join namespace", "setns", errno, monitor.join_paths[i]);
        close(monitor.joins[i]);
    }
    if (flags & CLONE_NEWTIME) die("start the container", "parse", EINVAL, "clone takes no time namespace: timens");
    if ((flags & CLONE_NEWUSER) && !monitor.uid_map)
        die("start the container", "parse", EINVAL, "a user namespace without idmap");
    if (monitor.time_offsets) {
        if (monitor.nhooks > 0) {
            /* The hooks run in the runtime's clocks, not the container's. */
            int own = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
            if (own < 0) die("prepare hooks", "open", errno, "/proc/self/ns/time_for_children");
            monitor.restore[monitor.nrestore] = own;
            monitor.restore_flags[monitor.nrestore++] = CLONE_NEWTIME;
        }
        time_namespace_make(monitor.time_fd, monitor.time_offsets);
    }
    step(fmt("Call syscall clone %s", shown[0] ? shown : "(no new namespace)"));
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) die("start the container", "clone", errno, shown);
    if (pid == 0) {
        /* The host's cgroup files are the monitor's to write: none stays open in the container. */
        for (size_t i = 0; i < monitor.ncgroups; i++) close(monitor.cgroups[i]);
        close(sync_pipe[1]);
        close(exec_pipe[0]);
        if (monitor.tty) close(monitor.tty_sock[0]);
        if (monitor.console_socket >= 0) close(monitor.console_socket); /* the monitor's to use */
        if (monitor.nhooks > 0) close(monitor.hook_sock[0]);
        child(sync_pipe[0], exec_pipe[1]);
    }
    for (int fd = 4; fd < 4 + monitor.preserve; fd++) close(fd); /* the container's */
    if (monitor.nhooks > 0) close(monitor.hook_sock[1]);
    close(sync_pipe[0]);
    close(exec_pipe[1]);
    if (monitor.tty) close(monitor.tty_sock[1]);
    for (size_t i = 0; i < monitor.ntrees; i++) close(monitor.trees[i]); /* the container's now */
    for (size_t i = 0; i < monitor.ncgroups; i++) {
        step("Join cgroup", "path", monitor.cgroup_paths[i], "pid", fmt("%d", pid));
        if (dprintf(monitor.cgroups[i], "%d", pid) < 0) {
            int err = errno;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            die("join cgroup", "write", err, monitor.cgroup_paths[i]);
        }
        close(monitor.cgroups[i]);
    }
    if (monitor.uid_map) user_maps_write(pid, monitor.uid_map, monitor.gid_map);
    report("pid", fmt("%d", pid), (const char *)NULL);
    if (write(sync_pipe[1], &pid, sizeof pid) != sizeof pid) die("start the container", "write", errno, "sync pipe");
    close(sync_pipe[1]);
    if (monitor.nhooks > 0 && run_runtime_hooks(pid) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return EXIT_ENGINE;
    }
    int master = -1;
    if (monitor.tty && (master = console_receive(monitor.tty_sock[0])) >= 0) {
        if (monitor.handoff) {
            if (monitor.console_socket < 0) die("send the terminal", "connect", EINVAL, "no console socket");
            console_send(master, monitor.console_socket, monitor.rows, monitor.cols);
            close(master);
            master = -1;
        } else {
            console_attach(master, monitor.tty_stdin, monitor.size_fd);
        }
        if (write(monitor.tty_sock[0], "k", 1) != 1) die("prepare the terminal", "write", errno, "");
    }
    char failed;
    ssize_t n;
    while ((n = read(exec_pipe[0], &failed, 1)) < 0 && errno == EINTR) {
    }
    close(exec_pipe[0]);
    if (n == 0) report("started", fmt("%d", pid), (const char *)NULL);
    if (n == 0 && monitor.handoff) return 0;
    int signals = signalfd(-1, &all, SFD_CLOEXEC);
    if (signals < 0) die("watch the container", "signalfd", errno, "");
    int status = watch(pid, master, signals);
    console_restore();
    if (WIFSIGNALED(status)) {
        report("exit", "signal", fmt("%d", WTERMSIG(status)), (const char *)NULL);
        return 128 + WTERMSIG(status);
    }
    report("exit", "code", fmt("%d", WEXITSTATUS(status)), (const char *)NULL);
    return WEXITSTATUS(status);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("koker-init 0.1.0");
        return 0;
    }
    struct stat st;
    if (fstat(CHANNEL_FD, &st) < 0 || !(S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))) {
        fputs("koker-init: no plan given; this program is started by koker, not by hand\n", stderr);
        return EXIT_ENGINE;
    }
    report_open(CHANNEL_FD);
    protect_self(argv);
    if (fcntl(CHANNEL_FD, F_SETFD, FD_CLOEXEC) < 0) return EXIT_ENGINE;
    step("Read plan");
    plan_read(CHANNEL_FD);
    return run_monitor();
}
