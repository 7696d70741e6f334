/*
 * koker-monitor's modules (see main.c for what the program does):
 *
 *   main.c          options, then the sequence: lock, log, stdio, spawn, loop, exit record, on-exit
 *   failure.c       fatal errors (exit 125, reported on the sync fd) and the KOKER_CRASH_AT hook
 *   container-dir.c paths and files in the container's directory
 *   clock.c         timestamps (RFC 3339 UTC, nanoseconds) and the monotonic clock
 *   full-write.c    writev until done (or a reported failure)
 *   log-writer.c    the output, as records in container.log
 *   child-stdio.c   the program's stdio: pipes (stdout, stderr apart, stdin) or a pty
 *   output.c        the program's output streams, read by the loop into the log writer and attach
 *   attach.c        DIR/attach.sock: live output to clients, their stdin, resizes and signals
 *   remove-tree.c   the directories koker moved aside, removed once it settled the container
 *   spawn.c         fork + exec of the program with that stdio
 *   signals.c       signalfd: reaping, forwarding signals to the program
 *   event-loop.c    poll(2) over registered fds and timers: where new inputs join
 *   exit-record.c   exit.json, written atomically
 *   companion.c     a program run beside the container while it runs (the health checker)
 */
#ifndef KOKER_MONITOR_H
#define KOKER_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* failure.c */
extern int sync_fd; /* --sync-fd, -1 once reported */
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *format, ...);
void crash_point(const char *step);

/* container-dir.c */
void container_dir_set(const char *dir);
const char *container_dir(void);
int path_in_dir(char *out, size_t size, const char *name);
int open_in_dir(const char *name, int flags, mode_t mode); /* fails the monitor on error */

/* clock.c */
#define TIMESTAMP_SIZE 40
void format_now(char *out, size_t size); /* 2024-05-01T10:00:00.123456789Z */
int64_t monotonic_ms(void);

/* full-write.c: 0, or -1 with errno (EINTR retried, short writes continued) */
int write_all(int fd, const struct iovec *iov, int count);

/* log-writer.c */
#define OUTPUT_CHUNK 16384 /* the most read from an output at once */
enum log_driver { LOG_JSON_FILE, LOG_LOCAL, LOG_NONE };
/* -1 for an unknown driver; `max_size` 0 is unbounded. */
int log_configure(const char *driver, unsigned long long max_size, unsigned max_files);
void log_open(void);
unsigned long long log_dropped(void); /* records lost to a full disk */
void log_chunk(const char *stream, const char *data, size_t length);
void log_close(void);

/* child-stdio.c */
struct child_stdio {
    int tty;
    int raw;                   /* the pty only carries a terminal the program makes (koker-init's) */
    unsigned short rows, cols; /* its first size */
    int in, out, err;          /* the child's ends (-1 with a tty: it opens the slave) */
    char slave_name[64];       /* with a tty */
    int master;                /* with a tty, else -1 */
    int stdout_read, stderr_read;
    int hold_in; /* our end of a kept-open stdin pipe, or -1 */
};
void child_stdio_open(struct child_stdio *stdio, int tty, int keep_stdin);
/* With a tty, before spawning: its first size, and whether it is raw. */
void child_stdio_terminal(struct child_stdio *stdio, unsigned rows, unsigned cols, int raw);
void child_stdio_enter(struct child_stdio *stdio);  /* in the child, before exec */
void child_stdio_parent(struct child_stdio *stdio); /* in the parent, after fork */

/* output.c: `closed(fd)` is told before a stream's fd is closed. */
void outputs_prepare(const struct child_stdio *stdio, void (*closed)(int fd));
void outputs_start(void); /* once: the loop reads them from then on */
int outputs_open(void);

/* attach.c: frames both ways are an 8-byte header [kind, 0, 0, 0, length (big-endian u32)] and
 * the payload. To clients: 1 stdout, 2 stderr, 3 exit (the code, decimal). From them: 0 stdin
 * data, 1 stdin closed, 2 resize ("ROWS COLS"), 3 signal (its number, decimal), 4 hold (wait,
 * after the exit frame, until this client closes: at most 2 s), 5 settled (after the exit frame:
 * koker settled the container itself, so no on-exit command is needed; the payload names the
 * directories it moved aside for removal, NUL-separated). */
enum { FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_EXIT = 3 };
enum { FRAME_STDIN = 0, FRAME_STDIN_CLOSED = 1, FRAME_RESIZE = 2, FRAME_SIGNAL = 3, FRAME_HOLD = 4, FRAME_SETTLED = 5 };
struct attach_target {
    int *stdin_fd;  /* the program's stdin (our end), -1 if none */
    int stdin_once; /* a client closing its stdin closes the program's */
    int tty_master; /* for resizes, -1 without a tty */
    pid_t *program; /* for signals */
    void (*first_client)(void);
};
void attach_listen(const struct attach_target *target);
void attach_output(int kind, const char *data, size_t length);
/* Tells every client, waits (briefly) for each to close, then closes them and the socket. */
void attach_exit(int code);
/* After attach_exit: the settled frame's NUL-separated directories, or NULL if none came. */
const char *attach_settled(size_t *length);

/* remove-tree.c: removes a directory and what is in it, never following a symlink nor entering
 * another filesystem; 0, or -1 with errno. */
int remove_tree(const char *path);

/* spawn.c */
pid_t spawn_program(struct child_stdio *stdio, char **program);

/* companion.c: started after the program, SIGTERMed and reaped once it has ended. */
void companion_start(char **argv); /* argv NULL-terminated; nothing if empty */
void companion_stop(void);

/* signals.c */
int signals_block(void);    /* blocks SIGCHLD/TERM/INT/HUP; returns a signalfd */
void signals_unblock(void); /* before exec of anything */
/* Reads the signalfd: forwards the others to `child`; returns 1 once `child` was reaped. */
int signals_handle(int sfd, pid_t child, int *status);

/* event-loop.c: sources are fds polled for `events`; timers fire once at a monotonic time. */
struct loop_source;
typedef void (*loop_ready_fn)(struct loop_source *source, short revents);
struct loop_source {
    int fd;
    short events;
    loop_ready_fn ready;
    void *data;
};
void loop_add(struct loop_source *source);
void loop_remove(struct loop_source *source);
typedef void (*loop_timer_fn)(void *data);
/* Fires `fire(data)` at `at_ms` (monotonic_ms); one timer per `id` (re-setting replaces it). */
void loop_timer_set(int id, int64_t at_ms, loop_timer_fn fire, void *data);
void loop_timer_clear(int id);
void loop_run(void); /* until loop_stop() or nothing left to wait on */
void loop_stop(void);
enum { TIMER_DRAIN = 0, TIMER_ATTACH_WAIT = 1, TIMER_COUNT = 8 };

/* exit-record.c: the room for it is taken at the start, so a full disk cannot lose it. */
void exit_record_reserve(void);
/* --no-sync: no fsync of the record (a --rm container's: removed once it ended, nothing to keep). */
void exit_record_no_sync(void);
void write_exit_record(int status, pid_t pid, unsigned long long log_dropped);

#endif
