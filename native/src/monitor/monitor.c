/*
 * koker-monitor: waits on one detached container, as podman's conmon does.
 *
 *   koker-monitor --dir DIR [--tty] [--stdin] [--sync-fd N] [--on-exit ARG]... -- PROGRAM [ARG...]
 *
 * It holds DIR/keeper.lock (flock) for as long as the container lives, so koker can tell a
 * running container from one whose monitor died. It starts PROGRAM (koker's launcher) with the
 * container's stdio: pipes, or a pty with --tty; stdin is /dev/null, or with --stdin a pipe kept
 * open so the program waits on it. File descriptors 3 and up that it was given pass to PROGRAM
 * unchanged (the launcher's own channel to koker). The output goes to DIR/container.log in the
 * CRI log format, one record per line: `<RFC 3339 UTC time> <stdout|stderr> <F|P> <text>`, P
 * marking a fragment continued by the next record of that stream. When PROGRAM ends, its status
 * goes to DIR/exit.json (atomically), then the monitor execs the --on-exit command (koker's
 * cleanup); the lock is released by that exec (close-on-exec).
 *
 * On --sync-fd it reports `pid N` once PROGRAM is forked, or `error TEXT`, then closes it.
 * It parses no JSON and decides no policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ON_EXIT 64
#define CHUNK 16384
/* After the program ends, output still buffered in the pipes is drained for at most this long
 * (a process that escaped the container's PID namespace could hold them open forever). */
#define DRAIN_MS 2000

static const char *dir;
static int sync_fd = -1;

/* Test hook, as koker's own: KOKER_CRASH_AT=<step> kills the monitor with SIGKILL at that step. */
static void crash_point(const char *step) {
    const char *at = getenv("KOKER_CRASH_AT");
    if (at && strcmp(at, step) == 0) raise(SIGKILL);
}

static void fail(const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fprintf(stderr, "koker-monitor: %s\n", message);
    if (sync_fd >= 0) {
        dprintf(sync_fd, "error %s\n", message);
        close(sync_fd);
    }
    exit(125);
}

static int path_in_dir(char *out, size_t size, const char *name) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int open_in_dir(const char *name, int flags, mode_t mode) {
    char path[PATH_MAX];
    if (path_in_dir(path, sizeof path, name) < 0) fail("path too long: %s/%s", dir, name);
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail("open %s: %s", path, strerror(errno));
    return fd;
}

/* RFC 3339 with nanoseconds, UTC: 2024-05-01T10:00:00.123456789Z (31 characters). */
static void format_now(char *out, size_t size) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%09ldZ", now.tv_nsec);
}

static void write_all(int fd, const struct iovec *iov, int count) {
    struct iovec local[8];
    memcpy(local, iov, sizeof(struct iovec) * (size_t)count);
    struct iovec *v = local;
    while (count > 0) {
        ssize_t n = writev(fd, v, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return; /* a full disk loses log lines, never the container */
        }
        while (count > 0 && (size_t)n >= v->iov_len) {
            n -= (ssize_t)v->iov_len;
            v++;
            count--;
        }
        if (count > 0) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= (size_t)n;
        }
    }
}

/* One CRI log record per line of `data`; a trailing fragment without newline is a P record. */
static void log_chunk(int log_fd, const char *stream, const char *data, size_t length) {
    char stamp[40];
    format_now(stamp, sizeof stamp);
    size_t start = 0;
    while (start < length) {
        const char *newline = memchr(data + start, '\n', length - start);
        size_t end = newline ? (size_t)(newline - data) : length;
        struct iovec parts[6] = {
            {stamp, strlen(stamp)},
            {(void *)" ", 1},
            {(void *)stream, strlen(stream)},
            {(void *)(newline ? " F " : " P "), 3},
            {(void *)(data + start), end - start},
            {(void *)"\n", 1},
        };
        write_all(log_fd, parts, 6);
        start = newline ? end + 1 : length;
    }
}

struct output {
    int fd;
    const char *stream;
};

/* Reads what is there; returns 0 at end of stream (EOF, or EIO from a pty with no slave left). */
static int pump(struct output *out, int log_fd) {
    static char buffer[CHUNK];
    for (;;) {
        ssize_t n = read(out->fd, buffer, sizeof buffer);
        if (n > 0) {
            log_chunk(log_fd, out->stream, buffer, (size_t)n);
            return 1;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        return 0;
    }
}

static void write_exit_file(int status, pid_t pid) {
    char finished[40], text[256], tmp[PATH_MAX], final[PATH_MAX];
    format_now(finished, sizeof finished);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int n = snprintf(text, sizeof text, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"pid\":%d}\n", code, sig,
                     finished, (int)pid);
    if (path_in_dir(tmp, sizeof tmp, ".exit.json.tmp") < 0 || path_in_dir(final, sizeof final, "exit.json") < 0) return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf(stderr, "koker-monitor: open %s: %s\n", tmp, strerror(errno));
        return;
    }
    struct iovec v = {text, (size_t)n};
    write_all(fd, &v, 1);
    fsync(fd);
    close(fd);
    if (rename(tmp, final) < 0) fprintf(stderr, "koker-monitor: rename %s: %s\n", final, strerror(errno));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

static void usage(void) {
    fail("usage: koker-monitor --dir DIR [--tty] [--stdin] [--sync-fd N] [--on-exit ARG]... -- PROGRAM [ARG...]");
}

int main(int argc, char **argv) {
    int tty = 0, keep_stdin = 0, on_exit_count = 0;
    char *on_exit[MAX_ON_EXIT + 1];
    int i = 1;
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts("koker-monitor 0.1.0");
        return 0;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        } else if (strcmp(arg, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(arg, "--tty") == 0) {
            tty = 1;
        } else if (strcmp(arg, "--stdin") == 0) {
            keep_stdin = 1;
        } else if (strcmp(arg, "--sync-fd") == 0 && i + 1 < argc) {
            sync_fd = atoi(argv[++i]);
            if (sync_fd < 3 || fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
                sync_fd = -1;
                fail("--sync-fd %s: not an open descriptor above 2", argv[i]);
            }
        } else if (strcmp(arg, "--on-exit") == 0 && i + 1 < argc) {
            if (on_exit_count == MAX_ON_EXIT) fail("too many --on-exit arguments");
            on_exit[on_exit_count++] = argv[++i];
        } else {
            usage();
        }
    }
    on_exit[on_exit_count] = NULL;
    if (!dir || i >= argc) usage();
    char **program = argv + i;

    /* Held until exec of the on-exit command or death: the kernel drops it either way. */
    int keeper = open_in_dir("keeper.lock", O_RDWR | O_CREAT, 0600);
    while (flock(keeper, LOCK_EX) < 0)
        if (errno != EINTR) fail("flock keeper.lock: %s", strerror(errno));
    int log_fd = open_in_dir("container.log", O_WRONLY | O_CREAT | O_APPEND, 0600);

    /* Orphans of the launcher (the container's first process, if it double-forks) come to us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    int child_in = -1, child_out = -1, child_err = -1, hold_in = -1;
    struct output outputs[2] = {{-1, "stdout"}, {-1, "stderr"}};
    int output_count = 0;
    char slave_name[64] = "";
    if (tty) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, slave_name, sizeof slave_name) != 0)
            fail("allocate a pseudo-terminal: %s", strerror(errno));
        outputs[output_count++] = (struct output){master, "stdout"};
        hold_in = master;
    } else {
        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
        child_out = out[1];
        child_err = err[1];
        outputs[output_count++] = (struct output){out[0], "stdout"};
        outputs[output_count++] = (struct output){err[0], "stderr"};
        if (keep_stdin) {
            int in[2];
            if (pipe2(in, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
            child_in = in[0];
            hold_in = in[1];
        } else {
            child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (child_in < 0) fail("open /dev/null: %s", strerror(errno));
        }
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) fail("signalfd: %s", strerror(errno));

    pid_t child = fork();
    if (child < 0) fail("fork: %s", strerror(errno));
    if (child == 0) {
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (tty) {
            setsid();
            int slave = open(slave_name, O_RDWR);
            if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) _exit(125);
            struct winsize size = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
            ioctl(slave, TIOCSWINSZ, &size);
            child_in = child_out = child_err = slave;
        }
        /* dup2 clears close-on-exec on the copies: only 0, 1, 2 and inherited fds >= 3 pass. */
        if (dup2(child_in, 0) < 0 || dup2(child_out, 1) < 0 || dup2(child_err, 2) < 0) _exit(125);
        execvp(program[0], program);
        _exit(errno == ENOENT ? 127 : 126);
    }
    if (sync_fd >= 0) {
        dprintf(sync_fd, "pid %d\n", (int)child);
        close(sync_fd);
        sync_fd = -1;
    }
    if (!tty) {
        close(child_in);
        close(child_out);
        close(child_err);
    }

    int status = 0, exited = 0, open_outputs = output_count;
    struct timespec deadline = {0, 0};
    while (open_outputs > 0) {
        struct pollfd fds[3];
        fds[0] = (struct pollfd){sfd, POLLIN, 0};
        for (int k = 0; k < output_count; k++) fds[k + 1] = (struct pollfd){outputs[k].fd, POLLIN, 0};
        int timeout = -1;
        if (exited) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long left = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
            if (left <= 0) break;
            timeout = (int)left;
        }
        int ready = poll(fds, (nfds_t)output_count + 1, timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        for (int k = 0; k < output_count; k++) {
            if (outputs[k].fd < 0 || !(fds[k + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!pump(&outputs[k], log_fd)) {
                close(outputs[k].fd);
                if (outputs[k].fd == hold_in) hold_in = -1;
                outputs[k].fd = -1;
                open_outputs--;
            }
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
                if (info.ssi_signo != SIGCHLD) kill(child, (int)info.ssi_signo);
            }
            int reaped_status;
            pid_t reaped;
            while ((reaped = waitpid(-1, &reaped_status, WNOHANG)) > 0) {
                if (reaped == child && !exited) {
                    status = reaped_status;
                    exited = 1;
                    clock_gettime(CLOCK_MONOTONIC, &deadline);
                    deadline.tv_sec += DRAIN_MS / 1000;
                    /* A pty master reads EIO once no slave is open: the held stdin is no reason to wait. */
                    if (!tty && hold_in >= 0) {
                        close(hold_in);
                        hold_in = -1;
                    }
                }
            }
        }
    }
    while (!exited) {
        /* Outputs closed before the program ended: just wait for it. */
        if (waitpid(child, &status, 0) == child) exited = 1;
        else if (errno != EINTR) break;
    }
    close(log_fd);
    crash_point("monitor:reaped");
    write_exit_file(status, child);
    crash_point("monitor:exit-file");
    if (on_exit_count > 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        execvp(on_exit[0], on_exit);
        fprintf(stderr, "koker-monitor: exec %s: %s\n", on_exit[0], strerror(errno));
        return 125;
    }
    return 0;
}
