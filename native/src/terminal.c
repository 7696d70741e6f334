/*
 * `-t`: the pty is opened inside the container (its own devpts instance), its master passed to
 * the monitor over a socket (SCM_RIGHTS); the monitor copies between it and the user's terminal
 * (in raw mode, so Ctrl-C travels as a byte and the container's line discipline makes it SIGINT).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "koker-init.h"

void console_open(int sock, uid_t uid, gid_t gid) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) die("open the terminal", "open", errno, "/dev/ptmx");
    int unlock = 0, number = -1;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) die("open the terminal", "ioctl", errno, "TIOCSPTLCK");
    if (ioctl(master, TIOCGPTN, &number) < 0) die("open the terminal", "ioctl", errno, "TIOCGPTN");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) die("open the terminal", "ioctl", errno, "TIOCGPTPEER");
    step("Open terminal", "path", fmt("/dev/pts/%d", number));
    if (fchown(slave, uid, gid) < 0) die("open the terminal", "fchown", errno, "");

    char control[CMSG_SPACE(sizeof(int))] = {0};
    char byte = 't';
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
    if (sendmsg(sock, &msg, 0) < 0) die("open the terminal", "sendmsg", errno, "");
    close(master);
    /* Wait until the monitor has given the terminal its size: the command may ask at once. */
    if (read(sock, &byte, 1) != 1) die("open the terminal", "read", errno, "");
    close(sock);

    if (ioctl(slave, TIOCSCTTY, 0) < 0) die("open the terminal", "ioctl", errno, "TIOCSCTTY");
    int console = in_root("/dev/console");
    if (console >= 0) {
        step("Mount target", "source", fmt("/dev/pts/%d", number), "target", "/dev/console", "flags", "bind");
        if (mount(fmt("/dev/pts/%d", number), fd_path(console), NULL, MS_BIND, NULL) < 0)
            die("open the terminal", "mount", errno, "/dev/console");
        close(console);
    }
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) die("open the terminal", "dup2", errno, "");
    if (slave > 2) close(slave);
}

int console_receive(int sock) {
    char control[CMSG_SPACE(sizeof(int))] = {0};
    char byte;
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
    int master;
    memcpy(&master, CMSG_DATA(cmsg), sizeof(int));
    return master;
}

int console_connect(const char *socket_path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) die("send the terminal", "connect", ENAMETOOLONG, socket_path);
    strcpy(addr.sun_path, socket_path);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die("send the terminal", "socket", errno, socket_path);
    step("Connect to console socket", "console_socket", socket_path);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("send the terminal", "connect", errno, socket_path);
    return sock;
}

void console_send(int master, int sock, unsigned short rows, unsigned short cols) {
    if (rows && cols) {
        struct winsize size = {.ws_row = rows, .ws_col = cols};
        step("Set terminal size", "rows", fmt("%u", rows), "columns", fmt("%u", cols));
        if (ioctl(master, TIOCSWINSZ, &size) < 0) die("size the terminal", "ioctl", errno, "TIOCSWINSZ");
    }
    step("Send terminal");
    /* runc sends the terminal's name with it; receivers take it as the file's name. */
    char name[] = "/dev/ptmx";
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {name, sizeof name - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
    if (sendmsg(sock, &msg, 0) < 0) die("send the terminal", "sendmsg", errno, "console socket");
    close(sock);
}

static struct termios saved;
static int raw_set;

/* `ROWS COLUMNS` from the file a service keeps for the terminal; 0 when it has none yet. */
static int size_from_file(int fd, struct winsize *size) {
    char text[32] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    unsigned rows = 0, cols = 0;
    if (n <= 0 || sscanf(text, "%u %u", &rows, &cols) != 2 || rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
        return 0;
    *size = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    return 1;
}

void console_resize(int master, int size_fd) {
    struct winsize size;
    int known = size_fd >= 0
                    ? size_from_file(size_fd, &size)
                    : ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0;
    if (known) {
        step("Set terminal size", "rows", fmt("%u", size.ws_row), "columns", fmt("%u", size.ws_col));
        ioctl(master, TIOCSWINSZ, &size);
    }
}

void console_attach(int master, int raw, int size_fd) {
    console_resize(master, size_fd);
    if (raw && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios mode = saved;
        cfmakeraw(&mode); /* as docker does: no echo, no signals, output passed as it is */
        if (tcsetattr(STDIN_FILENO, TCSANOW, &mode) == 0) raw_set = 1;
        step("Set terminal raw mode");
    }
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
}

void console_restore(void) {
    if (raw_set) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    raw_set = 0;
}

/* Writes all of buf to fd, waiting when it is non-blocking and full. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, -1);
            continue;
        }
        if (n < 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int console_copy_in(int master) {
    char buf[16384];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    if (n <= 0) return 0;
    write_all(master, buf, (size_t)n);
    return 1;
}

int console_copy_out(int master) {
    char buf[16384];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n > 0) {
            write_all(STDOUT_FILENO, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        /* EAGAIN: nothing more for now; EIO: every slave end is closed and all was read. */
        return n < 0 && errno == EAGAIN ? 1 : 0;
    }
}
