/*
 * The runtime-spec's hooks that run while the container is made: a program started with its
 * args and env (nothing inherited), the container's state JSON on stdin, its stdout and stderr
 * the container's stderr. koker prepares the state; only the pid is put in here, the one value
 * known no earlier. A hook that fails, or outlives its timeout (killed), fails the step.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "koker-init.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

struct hook *hook_read(const char *stage) {
    static struct hook hooks[64];
    static size_t used;
    if (used == sizeof hooks / sizeof hooks[0]) die("read plan", "parse", E2BIG, "too many hooks");
    struct hook *h = &hooks[used++];
    h->stage = stage;
    h->path = plan_str();
    h->timeout = (int)plan_num();
    h->argv = plan_list();
    h->env = plan_list();
    h->state_before_pid = plan_str();
    h->state_after_pid = plan_str();
    return h;
}

/* In the hook's process: stdin the state, stdout the container's stderr, then execve. */
static _Noreturn void hook_exec(const struct hook *h, int in) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(in, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) _exit(EXIT_ENGINE);
    /* Nothing of ours reaches the hook: only its stdio. */
    syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
    static char *own[2];
    own[0] = (char *)h->path;
    execve(h->path, h->argv[0] ? h->argv : own, h->env);
    _exit(errno == ENOENT ? 127 : 126);
}

/* Waits for the hook, killing it at its timeout; returns its wait status, or -1 on a timeout. */
static int hook_wait(const struct hook *h, pid_t pid, int timeout) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0 && timeout > 0) {
        struct pollfd p = {pidfd, POLLIN, 0};
        int n;
        while ((n = poll(&p, 1, timeout * 1000)) < 0 && errno == EINTR) {
        }
        if (n == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            close(pidfd);
            return -1;
        }
    }
    if (pidfd >= 0) close(pidfd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die(fmt("run %s hook", h->stage), "waitpid", errno, h->path);
    return status;
}

int hook_run(const struct hook *h, pid_t container_pid) {
    step("Run hook", "stage", h->stage, "path", h->path);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die(fmt("run %s hook", h->stage), "socketpair", errno, h->path);
    pid_t pid = fork();
    if (pid < 0) die(fmt("run %s hook", h->stage), "fork", errno, h->path);
    if (pid == 0) {
        close(sv[0]);
        hook_exec(h, sv[1]);
    }
    close(sv[1]);
    const char *pid_text = fmt("%d", container_pid);
    /* A hook that does not read its stdin is not an error (MSG_NOSIGNAL: no SIGPIPE). */
    const char *parts[] = {h->state_before_pid, pid_text, h->state_after_pid};
    for (size_t i = 0; i < 3; i++)
        if (send(sv[0], parts[i], strlen(parts[i]), MSG_NOSIGNAL) < 0) break;
    close(sv[0]);
    int status = hook_wait(h, pid, h->timeout);
    if (status == -1) {
        fail(fmt("run %s hook", h->stage), "hook", 0, fmt("%s: killed after its timeout of %d s", h->path, h->timeout));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    const char *how =
        WIFEXITED(status) ? fmt("exit status %d", WEXITSTATUS(status)) : fmt("killed by signal %d", WTERMSIG(status));
    fail(fmt("run %s hook", h->stage), "hook", 0, fmt("%s: %s", h->path, how));
    return -1;
}
