/*
 * Signals come through a signalfd polled by the loop: SIGCHLD reaps (the monitor is a
 * subreaper: orphans of the launcher are reaped too), SIGTERM, SIGINT and SIGHUP go to the
 * program.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

static sigset_t mask;

int signals_block(void) {
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) fail("signalfd: %s", strerror(errno));
    return sfd;
}

void signals_unblock(void) { sigprocmask(SIG_UNBLOCK, &mask, NULL); }

int signals_handle(int sfd, pid_t child, int *status) {
    struct signalfd_siginfo info;
    while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo != SIGCHLD) kill(child, (int)info.ssi_signo);
    }
    int reaped_status, ended = 0;
    pid_t reaped;
    while ((reaped = waitpid(-1, &reaped_status, WNOHANG)) > 0) {
        if (reaped == child) {
            *status = reaped_status;
            ended = 1;
        }
    }
    return ended;
}
