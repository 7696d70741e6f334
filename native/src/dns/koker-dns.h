/*
 * koker-dns: the name resolver of user networks, one per host (see main.c and
 * docs/adr/0016-a-name-resolver-for-user-networks.md).
 *
 *   main.c      options, the host-wide lock, the loop, when to exit
 *   message.c   DNS messages: the question of a query, answers (pure, checks every byte)
 *   records.c   a network's records file: gateway, subnet, upstream servers, names
 *   networks.c  the networks served: reloaded from the records directory, their sockets
 *   serve.c     a query from a container: answered from the records or forwarded upstream
 */
#ifndef KOKER_DNS_H
#define KOKER_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 256 /* a dotted name and its NUL */
#define DNS_MAX_MESSAGE 4096
#define DNS_UDP_ANSWER_MAX 512
#define MAX_UPSTREAMS 4
#define MAX_NETWORKS 256
#define MAX_ANSWERS 32

/* message.c */
enum { RCODE_OK = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4 };
enum { TYPE_A = 1, TYPE_PTR = 12, TYPE_AAAA = 28, TYPE_ANY = 255, CLASS_IN = 1 };

struct dns_question {
    char name[DNS_NAME_MAX]; /* lowercased, dotted, no trailing dot; "" for the root */
    int plain;               /* only [a-z0-9_-] in its labels: a name the records can hold */
    int labels;
    uint16_t type, klass;
    size_t end; /* offset just past the question */
};

/* 0 with the question; an rcode to answer with (header only); -1: not a query, dropped. */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_question *q);
/* The answer to `query` in `out`: A records (`ips`, network order) or a PTR name; 0 if it does not fit. */
size_t dns_answer(uint8_t *out, size_t cap, const uint8_t *query, const struct dns_question *q, int rcode,
                  const uint32_t *ips, size_t nips, const char *ptr_name);
/* A header-only answer (FORMERR, NOTIMP) to a query of at least 12 bytes. */
size_t dns_error(uint8_t *out, size_t cap, const uint8_t *query, int rcode);
/* The address in "d.c.b.a.in-addr.arpa", network order; 0 if the name is not one. */
int dns_reverse_name(const char *name, uint32_t *ip);

/* records.c */
struct dns_record {
    uint32_t ip; /* network order */
    char *name;  /* lowercased, in records.text */
    char *id;    /* the container's short ID (also one of its names): the same on each of its networks */
};

/* `forward <ip> <server>...`: a container's own `--dns` servers, asked for its other names. */
struct forward_rule {
    uint32_t ip; /* network order */
    struct sockaddr_in upstream[MAX_UPSTREAMS];
    int nupstream;
};

struct records {
    struct in_addr gateway;
    uint32_t subnet, mask; /* host order */
    struct sockaddr_in upstream[MAX_UPSTREAMS];
    int nupstream;
    struct dns_record *records;
    size_t nrecords;
    char *text; /* the file's text, split into the names */
    struct forward_rule *forwards;
    size_t nforwards;
};

/* Reads `dir`/`file`; 0, or -1 (logged) if it is missing or malformed. */
int records_load(int dirfd, const char *file, struct records *out);
void records_free(struct records *r);
int valid_dns_name(const char *name);

/* networks.c */
struct network {
    int used;
    char bridge[16];
    struct records rec;
    int udp_fd, tcp_fd;
    int seen;
};

extern struct network networks[MAX_NETWORKS];
/* Re-reads the records directory; returns how many networks are served. */
int networks_reload(int dirfd, int epfd);
/* Binds the networks whose sockets could not be bound yet. */
void networks_retry(int epfd);
int in_subnet(const struct records *r, uint32_t ip_net_order);

/* serve.c */
void serve_init(int epfd);
void serve_udp(int net);
void serve_accept(int net);
void serve_conn(int conn);
void serve_upstream(void);
void serve_tick(void);
int serve_busy(void);
void serve_drop_network(int net);

/* epoll's data: what woke up */
enum { EV_INOTIFY = 1, EV_UPSTREAM, EV_UDP, EV_TCP, EV_CONN };
#define EV(kind, index) (((uint64_t)(kind) << 32) | (uint32_t)(index))

int64_t now_ms(void);
void log_msg(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
