/*
 * The monitor's one loop: poll(2) over the registered sources (the program's outputs, the
 * signalfd; later sockets and their clients) and one-shot timers on the monotonic clock. A new
 * input joins with loop_add (an fd) or loop_timer_set (a time); nothing else changes.
 */
#include <errno.h>
#include <poll.h>
#include "monitor.h"

#define MAX_SOURCES 64

static struct loop_source *sources[MAX_SOURCES];
static int source_count;
static int stopped;

static struct {
    int armed;
    int64_t at;
    loop_timer_fn fire;
    void *data;
} timers[TIMER_COUNT];

void loop_add(struct loop_source *source) {
    if (source_count == MAX_SOURCES) fail("too many event sources");
    sources[source_count++] = source;
}

void loop_remove(struct loop_source *source) {
    for (int i = 0; i < source_count; i++) {
        if (sources[i] != source) continue;
        sources[i] = sources[--source_count];
        return;
    }
}

void loop_timer_set(int id, int64_t at_ms, loop_timer_fn fire, void *data) {
    timers[id].armed = 1;
    timers[id].at = at_ms;
    timers[id].fire = fire;
    timers[id].data = data;
}

void loop_timer_clear(int id) { timers[id].armed = 0; }

void loop_stop(void) { stopped = 1; }

/* Milliseconds to the next timer (0 if due), or -1 without one. */
static int next_timeout(void) {
    int64_t now = monotonic_ms(), next = -1;
    for (int i = 0; i < TIMER_COUNT; i++) {
        if (!timers[i].armed) continue;
        int64_t left = timers[i].at > now ? timers[i].at - now : 0;
        if (next < 0 || left < next) next = left;
    }
    return next > 0x7fffffff ? 0x7fffffff : (int)next;
}

static void fire_due_timers(void) {
    int64_t now = monotonic_ms();
    for (int i = 0; i < TIMER_COUNT; i++) {
        if (!timers[i].armed || timers[i].at > now) continue;
        timers[i].armed = 0;
        timers[i].fire(timers[i].data);
    }
}

void loop_run(void) {
    stopped = 0;
    while (!stopped) {
        int timeout = next_timeout();
        if (source_count == 0 && timeout < 0) return;
        struct pollfd fds[MAX_SOURCES];
        struct loop_source *polled[MAX_SOURCES];
        int count = source_count;
        for (int i = 0; i < count; i++) {
            polled[i] = sources[i];
            fds[i] = (struct pollfd){sources[i]->fd, sources[i]->events, 0};
        }
        int ready = poll(fds, (nfds_t)count, timeout);
        if (ready < 0 && errno != EINTR) return;
        /* A handler may remove sources (its own or others): only those still registered run. */
        for (int i = 0; i < count && ready > 0 && !stopped; i++) {
            if (!fds[i].revents) continue;
            int registered = 0;
            for (int j = 0; j < source_count; j++) registered |= sources[j] == polled[i];
            if (registered) polled[i]->ready(polled[i], fds[i].revents);
        }
        if (!stopped) fire_due_timers();
    }
}
