/*
 * koker-dns RECORDS_DIR LOCK_FILE: the name resolver of koker's user networks, one per host.
 *
 * Started by the bridge driver when a container joins a user network and no resolver holds
 * LOCK_FILE (an flock, dropped by the kernel however this process ends). It serves one network
 * per file in RECORDS_DIR (named for the bridge, see records.c), re-read whenever a file there
 * changes (inotify), and exits once no file is left: the last container of the last network is
 * gone. It runs on its own, detached from the koker command that started it.
 *
 * Exiting cannot lose a network: the driver writes a network's file first, then starts a resolver
 * unless the lock is held. Here the lock is released first, then the directory read again: a file
 * written meanwhile is seen (and the lock taken back, unless a new resolver has it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "koker-dns.h"

int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_msg(const char *format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ koker-dns[%d]: %s\n", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
            tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid(), line);
}

/* No network left: release the lock, then look once more (see the comment at the top). */
static int still_needed(int lock_fd, int dirfd, int epfd) {
    flock(lock_fd, LOCK_UN);
    if (networks_reload(dirfd, epfd) <= 0) return 0;
    return flock(lock_fd, LOCK_EX | LOCK_NB) == 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: koker-dns RECORDS_DIR LOCK_FILE\n");
        return 2;
    }
    int lock_fd = open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock_fd < 0) {
        log_msg("cannot open %s: %s", argv[2], strerror(errno));
        return 1;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) return 0; /* another resolver serves the host */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (dirfd < 0 || inotify < 0 || epfd < 0 ||
        inotify_add_watch(inotify, argv[1],
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_ONLYDIR) < 0) {
        log_msg("cannot watch %s: %s", argv[1], strerror(errno));
        return 1;
    }
    struct epoll_event watch = {.events = EPOLLIN, .data.u64 = EV(EV_INOTIFY, 0)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, inotify, &watch) < 0) return 1;
    serve_init(epfd);
    log_msg("started, records in %s", argv[1]);
    int reload = 1;
    for (;;) {
        if (reload) {
            reload = 0;
            if (networks_reload(dirfd, epfd) <= 0 && !still_needed(lock_fd, dirfd, epfd)) break;
        }
        int unbound = 0;
        for (int i = 0; i < MAX_NETWORKS; i++) unbound |= networks[i].used && networks[i].udp_fd < 0;
        struct epoll_event events[32];
        int n = epoll_wait(epfd, events, 32, serve_busy() || unbound ? 250 : -1);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            uint32_t kind = (uint32_t)(events[i].data.u64 >> 32);
            int index = (int)(uint32_t)events[i].data.u64;
            if (kind == EV_INOTIFY) {
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                ssize_t got;
                while ((got = read(inotify, buf, sizeof(buf))) > 0) {
                    for (char *p = buf; p < buf + got;) {
                        const struct inotify_event *e = (const struct inotify_event *)p;
                        if (e->mask & (IN_DELETE_SELF | IN_IGNORED)) {
                            log_msg("the records directory is gone");
                            return 0;
                        }
                        /* Temporary files (".name.tmp-...") are renamed into place: only names count. */
                        if (e->len > 0 && e->name[0] != '.') reload = 1;
                        p += sizeof(*e) + e->len;
                    }
                }
            } else if (kind == EV_UPSTREAM) {
                serve_upstream();
            } else if (index >= 0 && index < MAX_NETWORKS && networks[index].used && kind == EV_UDP) {
                serve_udp(index);
            } else if (index >= 0 && index < MAX_NETWORKS && networks[index].used && kind == EV_TCP) {
                serve_accept(index);
            } else if (kind == EV_CONN) {
                serve_conn(index);
            }
        }
        serve_tick();
        if (unbound) networks_retry(epfd);
    }
    log_msg("no network left, exiting");
    return 0;
}
