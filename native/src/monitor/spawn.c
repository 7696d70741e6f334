/* The program (koker's launcher): forked with the container's stdio, signals as by default. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "monitor.h"

pid_t spawn_program(struct child_stdio *stdio, char **program) {
    pid_t child = fork();
    if (child < 0) fail("fork: %s", strerror(errno));
    if (child > 0) {
        child_stdio_parent(stdio);
        return child;
    }
    signals_unblock();
    signal(SIGPIPE, SIG_DFL);
    child_stdio_enter(stdio);
    execvp(program[0], program);
    _exit(errno == ENOENT ? 127 : 126);
}
