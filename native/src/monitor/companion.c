/*
 * A companion: a program that runs beside the container for as long as it runs (koker's health
 * checker), started after it and ended with SIGTERM once it has ended. Its stdio is the monitor's
 * (stdin /dev/null, output to monitor.log); the monitor reaps it like any other child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "monitor.h"

static pid_t companion = -1;

void companion_start(char **argv) {
    if (!argv[0]) return;
    pid_t pid = fork();
    if (pid < 0) {
        /* The container runs without it rather than not at all. */
        fprintf(stderr, "koker-monitor: fork companion: %s\n", strerror(errno));
        return;
    }
    if (pid == 0) {
        signals_unblock();
        signal(SIGPIPE, SIG_DFL);
        /* Nothing of the launcher's (its channel to koker) nor the keeper lock: 0-2 only. */
        if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
            for (long fd = 3; fd < sysconf(_SC_OPEN_MAX); fd++) close((int)fd);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != 0) {
            dup2(null, 0);
            close(null);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    companion = pid;
}

void companion_stop(void) {
    if (companion < 0) return;
    /* Reaped already if it ended early (the signal loop reaps every child): ESRCH then. */
    kill(companion, SIGTERM);
    while (waitpid(companion, NULL, 0) < 0 && errno == EINTR) {
    }
    companion = -1;
}
