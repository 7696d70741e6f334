/*
 * The networks served: one per records file in the directory (named for its bridge). Each gets a
 * UDP and a TCP socket on its gateway's port 53, bound to the bridge (SO_BINDTODEVICE): a query
 * reaches a network's socket only if it came in on that network's bridge, so which network asks
 * is the socket it arrives on, never something the packet says.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "koker-dns.h"

struct network networks[MAX_NETWORKS];

int in_subnet(const struct records *r, uint32_t ip) { return (ntohl(ip) & r->mask) == r->subnet; }

static int valid_bridge_name(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len >= IFNAMSIZ || name[0] == '.') return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static int open_socket(struct network *n, int type) {
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = n->rec.gateway};
    /* IP_FREEBIND: the bridge's address may be added a moment after its records are written. */
    /* SO_REUSEADDR for TCP only (a restart while connections linger); a UDP port stays ours alone. */
    if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
        setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n->bridge, (socklen_t)strlen(n->bridge)) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static void close_sockets(struct network *n) {
    if (n->udp_fd >= 0) close(n->udp_fd);
    if (n->tcp_fd >= 0) close(n->tcp_fd);
    n->udp_fd = n->tcp_fd = -1;
}

static void bind_network(int index, int epfd) {
    struct network *n = &networks[index];
    n->udp_fd = open_socket(n, SOCK_DGRAM);
    n->tcp_fd = n->udp_fd >= 0 ? open_socket(n, SOCK_STREAM) : -1;
    char gateway[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &n->rec.gateway, gateway, sizeof(gateway));
    if (n->udp_fd < 0 || n->tcp_fd < 0) {
        log_msg("cannot listen on %s:53 (bridge %s): %s; trying again", gateway, n->bridge, strerror(errno));
        close_sockets(n);
        return;
    }
    struct epoll_event udp = {.events = EPOLLIN, .data.u64 = EV(EV_UDP, index)};
    struct epoll_event tcp = {.events = EPOLLIN, .data.u64 = EV(EV_TCP, index)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, n->udp_fd, &udp) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, n->tcp_fd, &tcp) < 0) {
        log_msg("epoll: %s", strerror(errno));
        close_sockets(n);
        return;
    }
    log_msg("serving bridge %s on %s:53", n->bridge, gateway);
}

static void drop_network(int index) {
    struct network *n = &networks[index];
    serve_drop_network(index);
    close_sockets(n);
    records_free(&n->rec);
    log_msg("stopped serving bridge %s", n->bridge);
    n->used = 0;
}

void networks_retry(int epfd) {
    for (int i = 0; i < MAX_NETWORKS; i++)
        if (networks[i].used && networks[i].udp_fd < 0) bind_network(i, epfd);
}

int networks_reload(int dirfd, int epfd) {
    for (int i = 0; i < MAX_NETWORKS; i++) networks[i].seen = 0;
    int dup_fd = dup(dirfd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!dir) {
        if (dup_fd >= 0) close(dup_fd);
        log_msg("cannot read the records directory: %s", strerror(errno));
        return -1;
    }
    rewinddir(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!valid_bridge_name(entry->d_name)) continue;
        struct records rec;
        if (records_load(dirfd, entry->d_name, &rec) < 0) continue;
        int index = -1, free_slot = -1;
        for (int i = 0; i < MAX_NETWORKS; i++) {
            if (networks[i].used && strcmp(networks[i].bridge, entry->d_name) == 0) index = i;
            if (!networks[i].used && free_slot < 0) free_slot = i;
        }
        if (index >= 0) {
            struct network *n = &networks[index];
            int moved = n->rec.gateway.s_addr != rec.gateway.s_addr;
            records_free(&n->rec);
            n->rec = rec;
            n->seen = 1;
            if (moved) {
                serve_drop_network(index);
                close_sockets(n);
                bind_network(index, epfd);
            }
            continue;
        }
        if (free_slot < 0) {
            log_msg("too many networks: %s is not served", entry->d_name);
            records_free(&rec);
            continue;
        }
        struct network *n = &networks[free_slot];
        memset(n, 0, sizeof(*n));
        n->used = n->seen = 1;
        strcpy(n->bridge, entry->d_name);
        n->rec = rec;
        n->udp_fd = n->tcp_fd = -1;
        bind_network(free_slot, epfd);
    }
    closedir(dir);
    int served = 0;
    for (int i = 0; i < MAX_NETWORKS; i++) {
        if (!networks[i].used) continue;
        if (!networks[i].seen) drop_network(i);
        else served++;
    }
    return served;
}
