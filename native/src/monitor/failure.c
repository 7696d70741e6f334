/* Fatal errors: a line on stderr, `error TEXT` on the sync fd if koker still waits, exit 125. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor.h"

int sync_fd = -1;

void fail(const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fprintf(stderr, "koker-monitor: %s\n", message);
    if (sync_fd >= 0) {
        dprintf(sync_fd, "error %s\n", message);
        close(sync_fd);
    }
    exit(125);
}

/* Test hook, as koker's own: KOKER_CRASH_AT=<step> kills the monitor with SIGKILL at that step. */
void crash_point(const char *step) {
    const char *at = getenv("KOKER_CRASH_AT");
    if (at && strcmp(at, step) == 0) raise(SIGKILL);
}
