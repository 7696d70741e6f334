/*
 * The program's output: each stream (stdout, stderr; one pty master with --tty) is a source of
 * the loop whose data goes to the log writer. The loop stops once every stream ended.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include "monitor.h"

struct output {
    struct loop_source source;
    const char *stream;
    int kind;
};

static struct output outputs[2];
static int open_outputs;
static void (*on_stream_closed)(int fd);

/* Reads what is there; EOF (or EIO from a pty with no slave left) ends the stream. */
static void output_ready(struct loop_source *source, short revents) {
    static char buffer[OUTPUT_CHUNK];
    struct output *out = source->data;
    (void)revents;
    for (;;) {
        ssize_t n = read(source->fd, buffer, sizeof buffer);
        if (n > 0) {
            log_chunk(out->stream, buffer, (size_t)n);
            attach_output(out->kind, buffer, (size_t)n);
            return;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        break;
    }
    loop_remove(source);
    if (on_stream_closed) on_stream_closed(source->fd);
    close(source->fd);
    source->fd = -1;
    if (--open_outputs == 0) loop_stop();
}

static int started;

static void add_output(int index, int fd, const char *stream, int kind) {
    outputs[index] = (struct output){{fd, POLLIN, output_ready, &outputs[index]}, stream, kind};
    if (fd >= 0) open_outputs++;
}

void outputs_prepare(const struct child_stdio *stdio, void (*closed)(int fd)) {
    on_stream_closed = closed;
    add_output(0, stdio->stdout_read, "stdout", FRAME_STDOUT);
    add_output(1, stdio->stderr_read, "stderr", FRAME_STDERR);
}

/* Until then the output waits in the pipes (or the pty): an attach client sees it from the start. */
void outputs_start(void) {
    if (started) return;
    started = 1;
    for (int i = 0; i < 2; i++)
        if (outputs[i].source.fd >= 0) loop_add(&outputs[i].source);
}

int outputs_open(void) { return open_outputs; }
