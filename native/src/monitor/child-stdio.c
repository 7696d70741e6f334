/*
 * The program's stdio: stdout and stderr as two pipes (kept apart in the log), stdin /dev/null or
 * a pipe kept open (--stdin) so the program waits on it; or, with --tty, one pseudo-terminal of
 * the monitor's own for all three (logged as stdout).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "monitor.h"

void child_stdio_open(struct child_stdio *s, int tty, int keep_stdin) {
    *s = (struct child_stdio){.tty = tty,
                              .rows = 24,
                              .cols = 80,
                              .in = -1,
                              .out = -1,
                              .err = -1,
                              .master = -1,
                              .stdout_read = -1,
                              .stderr_read = -1,
                              .hold_in = -1};
    if (tty) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, s->slave_name, sizeof s->slave_name) != 0)
            fail("allocate a pseudo-terminal: %s", strerror(errno));
        s->master = master;
        s->stdout_read = master;
        s->hold_in = master;
        return;
    }
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
    s->out = out[1];
    s->err = err[1];
    s->stdout_read = out[0];
    s->stderr_read = err[0];
    if (keep_stdin) {
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
        s->in = in[0];
        s->hold_in = in[1];
    } else {
        s->in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->in < 0) fail("open /dev/null: %s", strerror(errno));
    }
}

void child_stdio_terminal(struct child_stdio *s, unsigned rows, unsigned cols, int raw) {
    if (rows > 0 && cols > 0 && rows < 65536 && cols < 65536) {
        s->rows = (unsigned short)rows;
        s->cols = (unsigned short)cols;
    }
    s->raw = raw;
}

/* In the child: the slave as controlling terminal (with a tty), then 0, 1, 2. */
void child_stdio_enter(struct child_stdio *s) {
    if (s->tty) {
        setsid();
        int slave = open(s->slave_name, O_RDWR);
        if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) _exit(125);
        struct winsize size = {.ws_row = s->rows, .ws_col = s->cols, .ws_xpixel = 0, .ws_ypixel = 0};
        ioctl(slave, TIOCSWINSZ, &size);
        struct termios mode;
        if (s->raw && tcgetattr(slave, &mode) == 0) {
            /* Bytes as they are both ways: the terminal's line discipline is the program's pty's. */
            cfmakeraw(&mode);
            tcsetattr(slave, TCSANOW, &mode);
        }
        s->in = s->out = s->err = slave;
    }
    /* dup2 clears close-on-exec on the copies: only 0, 1, 2 and inherited fds >= 3 pass. */
    if (dup2(s->in, 0) < 0 || dup2(s->out, 1) < 0 || dup2(s->err, 2) < 0) _exit(125);
}

/* In the parent once the child has its copies. */
void child_stdio_parent(struct child_stdio *s) {
    if (s->tty) return;
    close(s->in);
    close(s->out);
    close(s->err);
    s->in = s->out = s->err = -1;
}
