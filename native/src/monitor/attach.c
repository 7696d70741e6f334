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

struct client {
    struct loop_source source;
    unsigned char header[8];
    size_t header_have;
    size_t payload_length, payload_have;
    char payload[MAX_FRAME];
};

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

static void write_stdin(const char *data, size_t length) {
    if (*target.stdin_fd < 0) return;
    struct iovec v = {(void *)data, length};
    if (write_all(*target.stdin_fd, &v, 1) < 0 && errno == EPIPE) {
        close(*target.stdin_fd);
        *target.stdin_fd = -1;
    }
}

static void handle_frame(struct client *c) {
    int kind = c->header[0];
    c->payload[c->payload_length < MAX_FRAME ? c->payload_length : MAX_FRAME - 1] = '\0';
    if (kind == FRAME_STDIN) {
        write_stdin(c->payload, c->payload_length);
    } else if (kind == FRAME_STDIN_CLOSED) {
        /* A pty's stdin is the master itself: closing it would end the output too. */
        if (target.stdin_once && target.tty_master < 0 && *target.stdin_fd >= 0) {
            close(*target.stdin_fd);
            *target.stdin_fd = -1;
        }
    } else if (kind == FRAME_RESIZE && target.tty_master >= 0) {
        unsigned rows = 0, cols = 0;
        if (sscanf(c->payload, "%u %u", &rows, &cols) == 2 && rows > 0 && cols > 0) {
            struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(target.tty_master, TIOCSWINSZ, &size);
        }
    } else if (kind == FRAME_SIGNAL) {
        int sig = atoi(c->payload);
        if (sig > 0 && sig < 65 && *target.program > 0) kill(*target.program, sig);
    }
}

static void client_ready(struct loop_source *source, short revents) {
    struct client *c = source->data;
    (void)revents;
    char buffer[16384];
    ssize_t n = read(source->fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        drop_client(c);
        return;
    }
    for (ssize_t i = 0; i < n;) {
        if (c->header_have < 8) {
            c->header[c->header_have++] = (unsigned char)buffer[i++];
            if (c->header_have < 8) continue;
            c->payload_length = ((size_t)c->header[4] << 24) | ((size_t)c->header[5] << 16) |
                                ((size_t)c->header[6] << 8) | c->header[7];
            c->payload_have = 0;
            if (c->payload_length >= MAX_FRAME) {
                drop_client(c);
                return;
            }
        } else {
            size_t take = c->payload_length - c->payload_have;
            if (take > (size_t)(n - i)) take = (size_t)(n - i);
            memcpy(c->payload + c->payload_have, buffer + i, take);
            c->payload_have += take;
            i += (ssize_t)take;
        }
        if (c->header_have == 8 && c->payload_have == c->payload_length) {
            handle_frame(c);
            c->header_have = 0;
        }
    }
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
    c->source = (struct loop_source){fd, POLLIN, client_ready, c};
    clients[slot] = c;
    loop_add(&c->source);
    if (!any_client++ && target.first_client) target.first_client();
}

void attach_listen(const struct attach_target *what) {
    target = *what;
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

void attach_exit(int code) {
    char text[16];
    int length = snprintf(text, sizeof text, "%d", code);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i]) {
            send_frame(clients[i]->source.fd, FRAME_EXIT, text, (size_t)length);
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
