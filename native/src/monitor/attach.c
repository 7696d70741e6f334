/*
 * DIR/attach.sock (mode 0600): `koker attach`, `start -a` and a foreground `run` connect here.
 * Each client gets the output live from when it connected (frames, see monitor.h), and may send
 * stdin, a closed stdin, a terminal size and signals. A client too slow to take the output for
 * a few seconds is disconnected: the container never waits on one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "monitor.h"

#define MAX_CLIENTS 16
#define MAX_FRAME 65536
/* Client wait after the exit frame, so koker can take the container's lock before the cleanup. */
#define GOODBYE_MS 2000

struct client {
    struct loop_source source;
    int hold; /* asked to be waited for after the exit frame */
    unsigned char header[8];
    size_t header_have;
    size_t payload_length, payload_have;
    char payload[MAX_FRAME + 1];
};

/* stdin for the program, written without blocking: what the pipe cannot take yet waits here, and
 * the clients are not read meanwhile (the program reading slowly slows them, never the loop). */
static char *pending;
static size_t pending_length;
static int close_when_drained;
static struct loop_source stdin_source = {-1, POLLOUT, NULL, NULL};

static struct attach_target target;
static struct loop_source listener = {-1, POLLIN, NULL, NULL};
static struct client *clients[MAX_CLIENTS];
static int any_client;

static void drop_client(struct client *c) {
    loop_remove(&c->source);
    close(c->source.fd);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] == c) clients[i] = NULL;
    free(c);
}

static int send_frame(int fd, int kind, const char *data, size_t length) {
    unsigned char header[8] = {(unsigned char)kind,
                               0,
                               0,
                               0,
                               (unsigned char)(length >> 24),
                               (unsigned char)(length >> 16),
                               (unsigned char)(length >> 8),
                               (unsigned char)length};
    struct iovec parts[2] = {{header, 8}, {(void *)data, length}};
    return write_all(fd, parts, 2);
}

void attach_output(int kind, const char *data, size_t length) {
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] && send_frame(clients[i]->source.fd, kind, data, length) < 0) drop_client(clients[i]);
}

static void pause_clients(int paused) {
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i]) clients[i]->source.events = paused ? 0 : POLLIN;
}

static void close_stdin(void) {
    if (stdin_source.fd >= 0) loop_remove(&stdin_source);
    stdin_source.fd = -1;
    pending_length = 0;
    close_when_drained = 0;
    pause_clients(0);
    if (*target.stdin_fd >= 0) close(*target.stdin_fd);
    *target.stdin_fd = -1;
}

/* Writes what it can; 0 once all is written, 1 if some waits, -1 if the program's stdin is gone. */
static int flush_stdin(void) {
    while (pending_length > 0) {
        ssize_t n = write(*target.stdin_fd, pending, pending_length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        if (n < 0) return -1;
        memmove(pending, pending + n, pending_length - (size_t)n);
        pending_length -= (size_t)n;
    }
    return 0;
}

static void stdin_writable(struct loop_source *source, short revents);

static void after_flush(int state) {
    if (state < 0 || (state == 0 && close_when_drained)) {
        /* A tty's stdin is the master, also the output: only a pipe is closed. */
        if (target.tty_master < 0 || state < 0) close_stdin();
        return;
    }
    if (state == 1 && stdin_source.fd < 0) {
        stdin_source = (struct loop_source){*target.stdin_fd, POLLOUT, stdin_writable, NULL};
        loop_add(&stdin_source);
    } else if (state == 0 && stdin_source.fd >= 0) {
        loop_remove(&stdin_source);
        stdin_source.fd = -1;
    }
    pause_clients(state == 1);
}

static void stdin_writable(struct loop_source *source, short revents) {
    (void)source;
    if (revents & (POLLERR | POLLHUP)) {
        close_stdin();
        return;
    }
    after_flush(flush_stdin());
}

static void write_stdin(const char *data, size_t length) {
    if (*target.stdin_fd < 0 || length == 0) return;
    char *grown = realloc(pending, pending_length + length);
    if (!grown) return;
    pending = grown;
    memcpy(pending + pending_length, data, length);
    pending_length += length;
    if (stdin_source.fd < 0) after_flush(flush_stdin());
}

static void handle_frame(struct client *c) {
    int kind = c->header[0];
    if (kind == FRAME_STDIN) {
        write_stdin(c->payload, c->payload_length);
    } else if (kind == FRAME_STDIN_CLOSED) {
        /* A pty's stdin is the master itself: closing it would end the output too. */
        if (target.stdin_once && target.tty_master < 0 && *target.stdin_fd >= 0) {
            close_when_drained = 1;
            if (pending_length == 0) close_stdin();
        }
    } else if (kind == FRAME_RESIZE && target.tty_master >= 0) {
        unsigned rows = 0, cols = 0;
        if (sscanf(c->payload, "%u %u", &rows, &cols) == 2 && rows > 0 && cols > 0) {
            struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(target.tty_master, TIOCSWINSZ, &size);
        }
    } else if (kind == FRAME_HOLD) {
        c->hold = 1;
    } else if (kind == FRAME_SIGNAL) {
        int sig = atoi(c->payload);
        if (sig > 0 && sig < 65 && *target.program > 0) kill(*target.program, sig);
    }
}

/* Frames from a client's bytes: `handle` is called for each whole one; -1 for one too large. */
static int feed(struct client *c, const char *data, size_t n, void (*handle)(struct client *)) {
    for (size_t i = 0; i < n;) {
        if (c->header_have < 8) {
            c->header[c->header_have++] = (unsigned char)data[i++];
            if (c->header_have < 8) continue;
            c->payload_length = ((size_t)c->header[4] << 24) | ((size_t)c->header[5] << 16) |
                                ((size_t)c->header[6] << 8) | c->header[7];
            c->payload_have = 0;
            if (c->payload_length > MAX_FRAME) return -1;
        } else {
            size_t take = c->payload_length - c->payload_have;
            if (take > n - i) take = n - i;
            memcpy(c->payload + c->payload_have, data + i, take);
            c->payload_have += take;
            i += take;
        }
        if (c->header_have == 8 && c->payload_have == c->payload_length) {
            c->payload[c->payload_length] = '\0';
            handle(c);
            c->header_have = 0;
        }
    }
    return 0;
}

static void client_ready(struct loop_source *source, short revents) {
    struct client *c = source->data;
    (void)revents;
    char buffer[16384];
    ssize_t n = read(source->fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0 || feed(c, buffer, (size_t)n, handle_frame) < 0) drop_client(c);
}

static void listener_ready(struct loop_source *source, short revents) {
    (void)revents;
    int fd = accept4(source->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
        if (!clients[i]) slot = i;
    struct client *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        return;
    }
    /* Blocking writes, bounded: a client that takes nothing for 5 s is dropped. */
    struct timeval timeout = {.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    c->source = (struct loop_source){fd, pending_length > 0 ? 0 : POLLIN, client_ready, c};
    clients[slot] = c;
    loop_add(&c->source);
    if (!any_client++ && target.first_client) target.first_client();
}

void attach_listen(const struct attach_target *what) {
    target = *what;
    if (*target.stdin_fd >= 0) fcntl(*target.stdin_fd, F_SETFL, fcntl(*target.stdin_fd, F_GETFL) | O_NONBLOCK);
    /* Through /proc/self/fd: a container directory's path may be longer than sun_path. */
    int dirfd = open(container_dir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) fail("open %s: %s", container_dir(), strerror(errno));
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "/proc/self/fd/%d/attach.sock", dirfd);
    unlinkat(dirfd, "attach.sock", 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) fail("socket: %s", strerror(errno));
    mode_t mask = umask(0177);
    int bound = bind(fd, (struct sockaddr *)&address, sizeof address);
    umask(mask);
    if (bound < 0 || listen(fd, 8) < 0) fail("listen on %s/attach.sock: %s", container_dir(), strerror(errno));
    close(dirfd);
    listener = (struct loop_source){fd, POLLIN, listener_ready, NULL};
    loop_add(&listener);
}

/* The directories of the settled frames clients sent after the exit, each ended by a NUL. */
static char settled_paths[2 * MAX_FRAME + 2];
static size_t settled_length;
static int settled, settled_overflow;

/*
 * After the exit only `settled` counts: the program is gone (no stdin, no signal to its PID).
 * Two clients may both settle (`run` and an `attach`): the second finds nothing left to move and
 * names nothing, so the directories add up; what does not fit is left to the on-exit command.
 */
static void handle_goodbye_frame(struct client *c) {
    if (c->header[0] != FRAME_SETTLED) return;
    if (settled_length + c->payload_length + 1 > sizeof settled_paths) {
        settled_overflow = 1;
        return;
    }
    memcpy(settled_paths + settled_length, c->payload, c->payload_length);
    settled_length += c->payload_length;
    settled_paths[settled_length++] = '\0';
    settled = 1;
}

/*
 * After the exit frame a client only settles and closes: waits for that, at most GOODBYE_MS for
 * one that asked (hold), else a moment, in case it is about to ask (koker's run is still
 * finishing the start).
 */
static void goodbye(struct client *c) {
    int hold = c->hold;
    int64_t deadline = monotonic_ms() + (hold ? GOODBYE_MS : GOODBYE_MS / 8);
    char buffer[16384];
    for (;;) {
        int64_t left = deadline - monotonic_ms();
        struct pollfd p = {c->source.fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) return;
        ssize_t n = read(c->source.fd, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
        if (n > 0 && feed(c, buffer, (size_t)n, handle_goodbye_frame) < 0) return;
        if (n > 0 && !hold) {
            hold = 1; /* it is alive and talking: it will close once it has read the exit */
            deadline = monotonic_ms() + GOODBYE_MS;
        }
    }
}

const char *attach_settled(size_t *length) {
    *length = settled_length;
    return settled && !settled_overflow ? settled_paths : NULL;
}

void attach_exit(int code) {
    char text[16];
    int length = snprintf(text, sizeof text, "%d", code);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] && send_frame(clients[i]->source.fd, FRAME_EXIT, text, (size_t)length) < 0)
            drop_client(clients[i]);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i]) {
            goodbye(clients[i]);
            drop_client(clients[i]);
        }
    if (listener.fd >= 0) {
        char path[PATH_MAX];
        if (path_in_dir(path, sizeof path, "attach.sock") == 0) unlink(path);
        loop_remove(&listener);
        close(listener.fd);
        listener.fd = -1;
    }
}
