/*
 * A network's records file, written by the bridge driver (packages/net-bridge/src/dns/
 * resolver-records.ts) under the bridge's lock and renamed into place, one line each:
 *
 *   gateway 10.70.0.1
 *   subnet 10.70.0.0 24
 *   upstream 192.0.2.53          (up to 4: where other names are asked)
 *   host 10.70.0.2 0123456789ab web db   (the short ID first, then the name and aliases)
 *   forward 10.70.0.2 192.0.2.53         (that container's own --dns servers, up to 4)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "koker-dns.h"

#define RECORDS_MAX_SIZE (16 << 20)

void records_free(struct records *r) {
    free(r->forwards);
    free(r->records);
    free(r->text);
    memset(r, 0, sizeof(*r));
}

/* Docker's characters for names and aliases, as labels: 1-253 characters, labels of 1-63. */
int valid_dns_name(const char *name) {
    size_t len = strlen(name), label = 0;
    if (len == 0 || len > 253) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (label == 0) return 0;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-' && c != '_') return 0;
        if (++label > 63) return 0;
    }
    return label > 0;
}

static int parse_ipv4(const char *text, uint32_t *out) {
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1) return 0;
    *out = a.s_addr;
    return 1;
}

static int add_record(struct records *r, uint32_t ip, char *id, char *name, size_t *cap) {
    if (r->nrecords == *cap) {
        size_t next = *cap ? *cap * 2 : 16;
        struct dns_record *grown = realloc(r->records, next * sizeof(*grown));
        if (!grown) return -1;
        r->records = grown;
        *cap = next;
    }
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    r->records[r->nrecords].ip = ip;
    r->records[r->nrecords].name = name; /* in r->text */
    r->records[r->nrecords].id = id;
    r->nrecords++;
    return 0;
}

static void set_upstream(struct sockaddr_in *u, uint32_t ip) {
    memset(u, 0, sizeof(*u));
    u->sin_family = AF_INET;
    u->sin_port = htons(53);
    u->sin_addr.s_addr = ip;
}

static int add_forward(struct records *r, uint32_t ip, char **save) {
    struct forward_rule rule = {.ip = ip};
    for (char *server = strtok_r(NULL, " \t", save); server; server = strtok_r(NULL, " \t", save)) {
        uint32_t address;
        if (!parse_ipv4(server, &address)) return -1;
        if (rule.nupstream < MAX_UPSTREAMS) set_upstream(&rule.upstream[rule.nupstream++], address);
    }
    if (rule.nupstream == 0) return -1;
    struct forward_rule *grown = realloc(r->forwards, (r->nforwards + 1) * sizeof(*grown));
    if (!grown) return -1;
    r->forwards = grown;
    r->forwards[r->nforwards++] = rule;
    return 0;
}

static int parse_line(struct records *r, char *line, size_t *cap, int *have) {
    char *save = NULL;
    char *kind = strtok_r(line, " \t", &save);
    if (!kind) return 0;
    char *a = strtok_r(NULL, " \t", &save);
    if (!a) return -1;
    uint32_t ip;
    if (!parse_ipv4(a, &ip)) return -1;
    if (strcmp(kind, "gateway") == 0) {
        r->gateway.s_addr = ip;
        *have |= 1;
    } else if (strcmp(kind, "subnet") == 0) {
        char *bits = strtok_r(NULL, " \t", &save);
        char *end = NULL;
        long prefix = bits ? strtol(bits, &end, 10) : -1;
        if (!bits || *end || prefix < 8 || prefix > 30) return -1;
        r->mask = (uint32_t)(0xffffffffu << (32 - prefix));
        r->subnet = ntohl(ip) & r->mask;
        *have |= 2;
    } else if (strcmp(kind, "upstream") == 0) {
        if (r->nupstream == MAX_UPSTREAMS) return 0;
        set_upstream(&r->upstream[r->nupstream++], ip);
    } else if (strcmp(kind, "forward") == 0) {
        return add_forward(r, ip, &save);
    } else if (strcmp(kind, "host") == 0) {
        char *id = strtok_r(NULL, " \t", &save);
        if (!id || !valid_dns_name(id)) return -1;
        for (char *name = id; name; name = strtok_r(NULL, " \t", &save)) {
            if (!valid_dns_name(name)) return -1;
            if (add_record(r, ip, id, name, cap) < 0) return -1;
        }
    } else {
        return -1;
    }
    return 0;
}

int records_load(int dirfd, const char *file, struct records *out) {
    memset(out, 0, sizeof(*out));
    int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat st;
    char *text = NULL;
    int rc = -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORDS_MAX_SIZE) goto out;
    text = malloc((size_t)st.st_size + 1);
    if (!text) goto out;
    size_t have = 0;
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, text + have, (size_t)st.st_size - have);
        if (n <= 0) break;
        have += (size_t)n;
    }
    text[have] = '\0';
    size_t cap = 0;
    int seen = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (parse_line(out, line, &cap, &seen) < 0) {
            log_msg("%s: a malformed line is skipped", file);
        }
    }
    if (seen != 3) {
        log_msg("%s: no gateway or subnet", file);
        records_free(out);
        goto out;
    }
    out->text = text; /* the names point into it */
    text = NULL;
    rc = 0;
out:
    free(text);
    close(fd);
    return rc;
}
