/*
 * koker-monitor: waits on one detached container, as podman's conmon does.
 *
 *   koker-monitor --dir DIR [--tty] [--tty-raw] [--tty-size ROWS,COLS] [--stdin] [--stdin-once] [--sync-fd N]
 *                 [--log-driver json-file|local|none] [--log-max-size BYTES] [--log-max-file N]
 *                 [--attach] [--attach-wait MS] [--no-sync] [--on-exit ARG]... [--companion ARG]... -- PROGRAM [ARG...]
 *
 * It holds DIR/keeper.lock (flock) for as long as the container lives, so koker can tell a
 * running container from one whose monitor died. It starts PROGRAM (koker's launcher) with the
 * container's stdio: pipes, or a pty with --tty (raw with --tty-raw, when it only carries the
 * terminal koker-init opens in the container; its window size follows resizes from attach); stdin is /dev/null, or with
 * --stdin a pipe kept open so the program waits on it. File descriptors 3 and up that it was given pass to PROGRAM
 * unchanged (the launcher's own channel to koker). The output goes to the log (log-writer.c: the
 * driver, its format, rotation) and, with --attach, to the clients of DIR/attach.sock (attach.c),
 * which may write to stdin; with --attach-wait the output waits (in the pipes) for the first
 * client, at most MS milliseconds, so a foreground `run` sees all of it. When PROGRAM ends, its status goes to
 * DIR/exit.json (atomically; fsynced unless --no-sync: a container removed once it ended), then the monitor execs the
 * --on-exit command (koker's cleanup); the lock is released by that exec (close-on-exec). Unless an attached koker
 * said, after the exit, that it settled the container itself: then the monitor lets go of the lock, removes the
 * directories koker named and ends (the on-exit command runs only if one of them could not be removed).
 *
 * On --sync-fd it reports `pid N` once PROGRAM is forked, or `error TEXT`, then closes it.
 * It parses no JSON and decides no policy. The modules are listed in monitor.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

#define MAX_ON_EXIT 64
/* After the program ends, output still buffered in the pipes is drained for at most this long
 * (a process that escaped the container's PID namespace could hold them open forever). */
#define DRAIN_MS 2000

static struct child_stdio stdio;
static pid_t child;
static int status, exited;

static void usage(void) {
    fail(
        "usage: koker-monitor --dir DIR [--tty] [--stdin] [--stdin-once] [--sync-fd N] [--log-driver NAME] "
        "[--log-max-size BYTES] [--log-max-file N] [--attach] [--attach-wait MS] [--no-sync] [--on-exit ARG]... "
        "[--companion ARG]... -- PROGRAM [ARG...]");
}

static unsigned long long number(const char *option, const char *text) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end) fail("%s %s: not a number", option, text);
    return value;
}

static void drain_over(void *data);

/* Reading the output starts once the promised client is there (or gave up on): it sees it all. */
static int waiting_for_client;

static void start_outputs(void *data) {
    (void)data;
    waiting_for_client = 0;
    loop_timer_clear(TIMER_ATTACH_WAIT);
    outputs_start();
    if (exited) loop_timer_set(TIMER_DRAIN, monotonic_ms() + DRAIN_MS, drain_over, NULL);
}

static void first_client(void) { start_outputs(NULL); }

/* A pty master is also the held stdin: once it is closed as an output, it is no longer held. */
static void stream_closed(int fd) {
    if (fd == stdio.hold_in) stdio.hold_in = -1;
}

static void drain_over(void *data) {
    (void)data;
    loop_stop();
}

static void signals_ready(struct loop_source *source, short revents) {
    (void)revents;
    if (!signals_handle(source->fd, child, &status) || exited) return;
    exited = 1;
    if (!waiting_for_client) loop_timer_set(TIMER_DRAIN, monotonic_ms() + DRAIN_MS, drain_over, NULL);
    /* A pty master reads EIO once no slave is open: the held stdin is no reason to wait. */
    if (!stdio.tty && stdio.hold_in >= 0) {
        close(stdio.hold_in);
        stdio.hold_in = -1;
    }
}

int main(int argc, char **argv) {
    int tty = 0, tty_raw = 0, keep_stdin = 0, stdin_once = 0, attach = 0, on_exit_count = 0, companion_count = 0;
    long long attach_wait = -1;
    const char *dir = NULL, *log_driver = "local";
    unsigned long long log_max_size = 0, log_max_file = 1;
    unsigned rows = 0, cols = 0;
    char *on_exit[MAX_ON_EXIT + 1], *companion[MAX_ON_EXIT + 1];
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
        } else if (strcmp(arg, "--tty-raw") == 0) {
            tty_raw = 1;
        } else if (strcmp(arg, "--tty-size") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%u,%u", &rows, &cols) != 2) fail("--tty-size %s: expected ROWS,COLS", argv[i]);
        } else if (strcmp(arg, "--stdin") == 0) {
            keep_stdin = 1;
        } else if (strcmp(arg, "--stdin-once") == 0) {
            stdin_once = 1;
        } else if (strcmp(arg, "--attach") == 0) {
            attach = 1;
        } else if (strcmp(arg, "--no-sync") == 0) {
            exit_record_no_sync();
        } else if (strcmp(arg, "--attach-wait") == 0 && i + 1 < argc) {
            attach_wait = (long long)number(arg, argv[++i]);
        } else if (strcmp(arg, "--log-driver") == 0 && i + 1 < argc) {
            log_driver = argv[++i];
        } else if (strcmp(arg, "--log-max-size") == 0 && i + 1 < argc) {
            log_max_size = number(arg, argv[++i]);
        } else if (strcmp(arg, "--log-max-file") == 0 && i + 1 < argc) {
            log_max_file = number(arg, argv[++i]);
        } else if (strcmp(arg, "--sync-fd") == 0 && i + 1 < argc) {
            sync_fd = atoi(argv[++i]);
            if (sync_fd < 3 || fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
                sync_fd = -1;
                fail("--sync-fd %s: not an open descriptor above 2", argv[i]);
            }
        } else if (strcmp(arg, "--on-exit") == 0 && i + 1 < argc) {
            if (on_exit_count == MAX_ON_EXIT) fail("too many --on-exit arguments");
            on_exit[on_exit_count++] = argv[++i];
        } else if (strcmp(arg, "--companion") == 0 && i + 1 < argc) {
            if (companion_count == MAX_ON_EXIT) fail("too many --companion arguments");
            companion[companion_count++] = argv[++i];
        } else {
            usage();
        }
    }
    on_exit[on_exit_count] = NULL;
    companion[companion_count] = NULL;
    if (!dir || i >= argc) usage();
    container_dir_set(dir);
    if (log_configure(log_driver, log_max_size, log_max_file > 1000 ? 1000 : (unsigned)log_max_file) < 0)
        fail("--log-driver %s: use json-file, local or none", log_driver);
    char **program = argv + i;

    /* Held until exec of the on-exit command or death: the kernel drops it either way. */
    int keeper = open_in_dir("keeper.lock", O_RDWR | O_CREAT, 0600);
    while (flock(keeper, LOCK_EX) < 0)
        if (errno != EINTR) fail("flock keeper.lock: %s", strerror(errno));
    log_open();
    exit_record_reserve();

    /* Orphans of the launcher (the container's first process, if it double-forks) come to us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    child_stdio_open(&stdio, tty, keep_stdin);
    child_stdio_terminal(&stdio, rows, cols, tty_raw);
    int sfd = signals_block();
    child = spawn_program(&stdio, program);
    if (sync_fd >= 0) {
        dprintf(sync_fd, "pid %d\n", (int)child);
        close(sync_fd);
        sync_fd = -1;
    }

    companion_start(companion);

    struct loop_source signal_source = {sfd, POLLIN, signals_ready, NULL};
    loop_add(&signal_source);
    outputs_prepare(&stdio, stream_closed);
    if (attach) {
        struct attach_target target = {&stdio.hold_in, stdin_once, stdio.master, &child, first_client};
        attach_listen(&target);
    }
    if (attach && attach_wait > 0) {
        waiting_for_client = 1;
        loop_timer_set(TIMER_ATTACH_WAIT, monotonic_ms() + attach_wait, start_outputs, NULL);
    } else {
        outputs_start();
    }
    if (outputs_open() > 0) loop_run();
    while (!exited) {
        /* Outputs closed before the program ended: just wait for it. */
        if (waitpid(child, &status, 0) == child) exited = 1;
        else if (errno != EINTR) break;
    }
    companion_stop();
    log_close();
    crash_point("monitor:reaped");
    write_exit_record(status, child, log_dropped());
    crash_point("monitor:exit-file");
    attach_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    size_t settled_length;
    const char *settled = attach_settled(&settled_length);
    if (settled) {
        /* koker settled the container itself: let go first (it waits for that to return), then
         * remove what it moved aside. The on-exit command runs only for what is left. */
        close(keeper);
        int left = 0;
        for (size_t at = 0; at < settled_length; at += strlen(settled + at) + 1) {
            const char *path = settled + at;
            if (*path && remove_tree(path) < 0) {
                fprintf(stderr, "koker-monitor: remove %s: %s\n", path, strerror(errno));
                left = 1;
            }
        }
        if (!left) return 0;
    }
    if (on_exit_count > 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        signals_unblock();
        execvp(on_exit[0], on_exit);
        fprintf(stderr, "koker-monitor: exec %s: %s\n", on_exit[0], strerror(errno));
        return 125;
    }
    return 0;
}
