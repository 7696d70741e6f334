/*
 * Queries from containers: over UDP, or over TCP (a 2-byte length before each message). A name
 * of the network is answered from its records; any other name is forwarded, with a new ID, to the
 * network's upstream servers over UDP, and the answer relayed back once its ID and source match.
 * A name of one label that the network does not know gets NXDOMAIN here: it is another network's
 * container (or nothing), and it is not sent to the host's resolvers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include "koker-dns.h"

#define MAX_PENDING 1024
#define MAX_CONNS 64
#define RETRY_MS 1000
#define GIVE_UP_MS 5000
#define CONN_IDLE_MS 10000

struct pending {
    int used;
    uint16_t id, client_id;
    int net;
    struct sockaddr_in client; /* a UDP client, or */
    int conn;                  /* a TCP connection (-1 for UDP) and its serial */
    unsigned conn_serial;
    struct sockaddr_in upstreams[MAX_UPSTREAMS]; /* a copy: a reload may free the network's */
    int nupstream, upstream;
    int64_t sent, started;
    uint8_t *query;
    size_t len;
};

struct conn {
    int fd; /* -1: free */
    int net;
    uint32_t peer; /* the client's address */
    unsigned serial;
    int64_t last;
    size_t have;
    uint8_t buf[2 + DNS_MAX_MESSAGE];
};

static struct pending pending[MAX_PENDING];
static int pending_count;
static struct conn conns[MAX_CONNS];
static unsigned next_serial;
static int upstream_fd = -1;
static int ep = -1;

void serve_init(int epfd) {
    ep = epfd;
    for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    upstream_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upstream_fd < 0) return;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_UPSTREAM, 0)};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, upstream_fd, &ev) < 0) {
        close(upstream_fd);
        upstream_fd = -1;
    }
}

static void close_conn(int i) {
    if (conns[i].fd < 0) return;
    close(conns[i].fd); /* also leaves the epoll set */
    conns[i].fd = -1;
}

static void free_pending(struct pending *p) {
    free(p->query);
    p->query = NULL;
    p->used = 0;
    pending_count--;
}

static void reply_udp(int net, const struct sockaddr_in *client, const uint8_t *msg, size_t len) {
    if (len == 0 || !client || networks[net].udp_fd < 0) return;
    sendto(networks[net].udp_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)client,
           sizeof(*client));
}

static void reply_tcp(int i, const uint8_t *msg, size_t len) {
    if (len == 0 || conns[i].fd < 0) return;
    uint8_t frame[2 + DNS_MAX_MESSAGE];
    if (len > DNS_MAX_MESSAGE) return;
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, msg, len);
    ssize_t sent = send(conns[i].fd, frame, len + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
    /* An answer is small: a client that cannot take it at once is not waited for. */
    if (sent != (ssize_t)(len + 2)) close_conn(i);
}

/* Adds the addresses `name` has in `r` to `ips`; whether it has any. */
static int find_name(const struct records *r, const char *name, uint32_t *ips, size_t *nips) {
    int found = 0;
    for (size_t i = 0; i < r->nrecords; i++) {
        if (strcmp(r->records[i].name, name) != 0) continue;
        found = 1;
        int known = 0;
        for (size_t j = 0; j < *nips; j++) known |= ips[j] == r->records[i].ip;
        if (!known && *nips < MAX_ANSWERS) ips[(*nips)++] = r->records[i].ip;
    }
    return found;
}

/*
 * A container on several networks (`network connect`) asks the resolver of the network it
 * started on, and finds the names of all of them (as with Docker): its short ID on this network
 * (from the query's source address) names it on the others.
 */
static int find_on_other_networks(int net, uint32_t source, const char *name, uint32_t *ips, size_t *nips) {
    const struct records *own = &networks[net].rec;
    const char *id = NULL;
    for (size_t i = 0; i < own->nrecords && !id; i++)
        if (own->records[i].ip == source) id = own->records[i].id;
    if (!id) return 0;
    int found = 0;
    for (int other = 0; other < MAX_NETWORKS; other++) {
        if (other == net || !networks[other].used) continue;
        const struct records *r = &networks[other].rec;
        int member = 0;
        for (size_t i = 0; i < r->nrecords && !member; i++) member = strcmp(r->records[i].id, id) == 0;
        if (member) found |= find_name(r, name, ips, nips);
    }
    return found;
}

/* The answer from the network's records, 0 if the query is to be forwarded. */
static size_t resolve_local(int net, uint32_t source, const uint8_t *query, const struct dns_question *q, uint8_t *out,
                            size_t cap) {
    const struct network *n = &networks[net];
    if (q->klass != CLASS_IN || !q->plain || q->labels == 0) return 0;
    const struct records *r = &n->rec;
    if (q->type == TYPE_PTR) {
        uint32_t ip;
        if (!dns_reverse_name(q->name, &ip) || !in_subnet(r, ip)) return 0;
        /* The container's name (the record after its short ID), or the short ID without one. */
        const char *name = NULL;
        for (size_t i = 0; i < r->nrecords; i++) {
            if (r->records[i].ip != ip) continue;
            if (!name || name == r->records[i].id) name = r->records[i].name;
            if (name != r->records[i].id) break;
        }
        return dns_answer(out, cap, query, q, name ? RCODE_OK : RCODE_NXDOMAIN, NULL, 0, name);
    }
    uint32_t ips[MAX_ANSWERS];
    size_t nips = 0;
    int found = find_name(r, q->name, ips, &nips);
    if (!found) found = find_on_other_networks(net, source, q->name, ips, &nips);
    /* A name of the network: its A records; AAAA and other types have none (NOERROR, no answer). */
    if (found) {
        int a = q->type == TYPE_A || q->type == TYPE_ANY;
        return dns_answer(out, cap, query, q, RCODE_OK, ips, a ? nips : 0, NULL);
    }
    if (q->labels == 1) return dns_answer(out, cap, query, q, RCODE_NXDOMAIN, NULL, 0, NULL);
    return 0;
}

static void forward(int net, const uint8_t *msg, size_t len, const struct dns_question *q,
                    const struct sockaddr_in *client, int conn, uint32_t source) {
    const struct network *n = &networks[net];
    /* The container's own --dns servers if it has some, else the network's. */
    const struct sockaddr_in *servers = n->rec.upstream;
    int nservers = n->rec.nupstream;
    for (size_t i = 0; i < n->rec.nforwards; i++) {
        if (n->rec.forwards[i].ip != source) continue;
        servers = n->rec.forwards[i].upstream;
        nservers = n->rec.forwards[i].nupstream;
        break;
    }
    uint8_t out[DNS_UDP_ANSWER_MAX];
    struct pending *p = NULL;
    if (nservers > 0 && upstream_fd >= 0 && pending_count < MAX_PENDING)
        for (int i = 0; i < MAX_PENDING && !p; i++)
            if (!pending[i].used) p = &pending[i];
    uint8_t *copy = p ? malloc(len) : NULL;
    if (!copy) {
        size_t size = dns_answer(out, sizeof(out), msg, q, RCODE_SERVFAIL, NULL, 0, NULL);
        if (conn >= 0) reply_tcp(conn, out, size);
        else reply_udp(net, client, out, size);
        return;
    }
    uint16_t id = 0;
    for (int tries = 0; tries < 16; tries++) {
        if (getrandom(&id, sizeof(id), 0) != sizeof(id)) id = (uint16_t)(now_ms() + tries);
        int taken = 0;
        for (int i = 0; i < MAX_PENDING && !taken; i++) taken = pending[i].used && pending[i].id == id;
        if (!taken) break;
    }
    memcpy(copy, msg, len);
    memset(p, 0, sizeof(*p));
    p->used = 1;
    pending_count++;
    p->client_id = (uint16_t)(msg[0] << 8 | msg[1]);
    p->id = id;
    copy[0] = (uint8_t)(id >> 8);
    copy[1] = (uint8_t)id;
    p->query = copy;
    p->len = len;
    p->net = net;
    p->conn = conn;
    if (conn >= 0) p->conn_serial = conns[conn].serial;
    else if (client) p->client = *client;
    memcpy(p->upstreams, servers, (size_t)nservers * sizeof(servers[0]));
    p->nupstream = nservers;
    p->started = p->sent = now_ms();
    sendto(upstream_fd, copy, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&p->upstreams[0],
           sizeof(p->upstreams[0]));
}

static void handle_query(int net, const uint8_t *msg, size_t len, const struct sockaddr_in *client, int conn,
                         uint32_t source) {
    struct dns_question q;
    uint8_t out[DNS_MAX_MESSAGE];
    size_t cap = conn >= 0 ? sizeof(out) : DNS_UDP_ANSWER_MAX;
    int rc = dns_parse_query(msg, len, &q);
    if (rc < 0) return;
    size_t size = rc > 0 ? dns_error(out, cap, msg, rc) : resolve_local(net, source, msg, &q, out, cap);
    if (size == 0) {
        forward(net, msg, len, &q, client, conn, source);
        return;
    }
    if (conn >= 0) reply_tcp(conn, out, size);
    else reply_udp(net, client, out, size);
}

void serve_udp(int net) {
    uint8_t msg[DNS_MAX_MESSAGE];
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(networks[net].udp_fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
                             &fromlen);
        if (n < 0) return;
        /* Only the network's own containers: its bridge (the socket's device) and its subnet. */
        if (fromlen != sizeof(from) || from.sin_family != AF_INET || from.sin_port == 0) continue;
        if (!in_subnet(&networks[net].rec, from.sin_addr.s_addr)) continue;
        if ((size_t)n > sizeof(msg)) continue;
        handle_query(net, msg, (size_t)n, &from, -1, from.sin_addr.s_addr);
    }
}

void serve_accept(int net) {
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof(from);
        int fd = accept4(networks[net].tcp_fd, (struct sockaddr *)&from, &fromlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int slot = -1;
        if (fromlen == sizeof(from) && in_subnet(&networks[net].rec, from.sin_addr.s_addr))
            for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                if (conns[i].fd < 0) slot = i;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_CONN, slot)};
        if (slot < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            continue;
        }
        conns[slot].fd = fd;
        conns[slot].net = net;
        conns[slot].peer = from.sin_addr.s_addr;
        conns[slot].serial = ++next_serial;
        conns[slot].have = 0;
        conns[slot].last = now_ms();
    }
}

void serve_conn(int i) {
    if (i < 0 || i >= MAX_CONNS || conns[i].fd < 0) return;
    struct conn *c = &conns[i];
    ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_conn(i);
        return;
    }
    if (n < 0) return;
    c->have += (size_t)n;
    c->last = now_ms();
    while (c->fd >= 0 && c->have >= 2) {
        size_t len = (size_t)(c->buf[0] << 8 | c->buf[1]);
        if (len < 12 || len > DNS_MAX_MESSAGE) {
            close_conn(i);
            return;
        }
        if (c->have < 2 + len) return;
        uint8_t msg[DNS_MAX_MESSAGE];
        memcpy(msg, c->buf + 2, len);
        c->have -= 2 + len;
        memmove(c->buf, c->buf + 2 + len, c->have);
        handle_query(c->net, msg, len, NULL, i, c->peer);
    }
}

static void answer_pending(struct pending *p, uint8_t *msg, size_t len) {
    msg[0] = (uint8_t)(p->client_id >> 8);
    msg[1] = (uint8_t)p->client_id;
    if (p->conn >= 0) {
        if (conns[p->conn].fd >= 0 && conns[p->conn].serial == p->conn_serial) reply_tcp(p->conn, msg, len);
    } else {
        reply_udp(p->net, &p->client, msg, len);
    }
}

void serve_upstream(void) {
    uint8_t msg[DNS_MAX_MESSAGE];
    for (int round = 0; round < 64; round++) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof(from);
        ssize_t n =
            recvfrom(upstream_fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
        if (n < 0) return;
        if ((size_t)n > sizeof(msg) || n < 12 || !(msg[2] & 0x80) || fromlen != sizeof(from)) continue;
        uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
        for (int i = 0; i < MAX_PENDING; i++) {
            struct pending *p = &pending[i];
            if (!p->used || p->id != id) continue;
            const struct sockaddr_in *asked = &p->upstreams[p->upstream];
            if (from.sin_addr.s_addr != asked->sin_addr.s_addr || from.sin_port != asked->sin_port) break;
            answer_pending(p, msg, (size_t)n);
            free_pending(p);
            break;
        }
    }
}

void serve_tick(void) {
    int64_t now = now_ms();
    for (int i = 0; i < MAX_PENDING && pending_count > 0; i++) {
        struct pending *p = &pending[i];
        if (!p->used) continue;
        if (now - p->started >= GIVE_UP_MS) {
            struct dns_question q;
            uint8_t out[DNS_UDP_ANSWER_MAX];
            if (dns_parse_query(p->query, p->len, &q) == 0) {
                size_t size = dns_answer(out, sizeof(out), p->query, &q, RCODE_SERVFAIL, NULL, 0, NULL);
                answer_pending(p, out, size);
            }
            free_pending(p);
        } else if (now - p->sent >= RETRY_MS && p->upstream + 1 < p->nupstream) {
            p->upstream++;
            p->sent = now;
            sendto(upstream_fd, p->query, p->len, MSG_DONTWAIT | MSG_NOSIGNAL,
                   (const struct sockaddr *)&p->upstreams[p->upstream], sizeof(p->upstreams[0]));
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0 && now - conns[i].last >= CONN_IDLE_MS) close_conn(i);
}

int serve_busy(void) {
    if (pending_count > 0) return 1;
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0) return 1;
    return 0;
}

void serve_drop_network(int net) {
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i].used && pending[i].net == net) free_pending(&pending[i]);
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0 && conns[i].net == net) close_conn(i);
}
