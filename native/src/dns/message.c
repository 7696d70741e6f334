/*
 * DNS messages (RFC 1035): the one question of a query, and answers to it. Every length and
 * offset is checked against the message's size: a container may send anything.
 */
#include <stdio.h>
#include <string.h>
#include "koker-dns.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int plain_char(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

int dns_parse_query(const uint8_t *msg, size_t len, struct dns_question *q) {
    if (len < 12) return -1;
    if (msg[2] & 0x80) return -1; /* an answer: never answered, so two resolvers cannot loop */
    int opcode = (msg[2] >> 3) & 0x0f;
    if (opcode != 0) return RCODE_NOTIMP;
    if (get16(msg + 4) != 1) return RCODE_FORMERR;
    memset(q, 0, sizeof(*q));
    q->plain = 1;
    size_t pos = 12, out = 0, wire = 0;
    for (;;) {
        if (pos >= len) return RCODE_FORMERR;
        uint8_t label = msg[pos++];
        wire++;
        if (label == 0) break;
        if (label > 63) return RCODE_FORMERR; /* a pointer or a reserved kind: not in a question */
        if (label > len - pos) return RCODE_FORMERR;
        wire += label;
        if (wire > 255) return RCODE_FORMERR;
        if (out > 0) q->name[out++] = '.';
        for (size_t i = 0; i < label; i++) {
            uint8_t c = msg[pos + i];
            if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
            if (!plain_char(c)) {
                q->plain = 0;
                c = '?';
            }
            q->name[out++] = (char)c;
        }
        q->labels++;
        pos += label;
    }
    q->name[out] = '\0';
    if (len - pos < 4) return RCODE_FORMERR;
    q->type = get16(msg + pos);
    q->klass = get16(msg + pos + 2);
    q->end = pos + 4;
    return 0;
}

static void answer_header(uint8_t *out, const uint8_t *query, int rcode, int authoritative) {
    memcpy(out, query, 2); /* the ID */
    /* QR, the opcode (0), AA, RD copied; RA */
    out[2] = (uint8_t)(0x80 | (authoritative ? 0x04 : 0) | (query[2] & 0x01));
    out[3] = (uint8_t)(0x80 | (rcode & 0x0f));
    memset(out + 4, 0, 8);
}

size_t dns_error(uint8_t *out, size_t cap, const uint8_t *query, int rcode) {
    if (cap < 12) return 0;
    answer_header(out, query, rcode, 0);
    return 12;
}

/* `name` (dotted, checked by valid_dns_name) in wire form; 0 if it does not fit. */
static size_t encode_name(uint8_t *out, size_t cap, const char *name) {
    size_t pos = 0;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);
        if (n == 0 || n > 63 || pos + 1 + n >= cap) return 0;
        out[pos++] = (uint8_t)n;
        memcpy(out + pos, label, n);
        pos += n;
        label += n + (dot ? 1 : 0);
    }
    if (pos >= cap) return 0;
    out[pos++] = 0;
    return pos;
}

size_t dns_answer(uint8_t *out, size_t cap, const uint8_t *query, const struct dns_question *q, int rcode,
                  const uint32_t *ips, size_t nips, const char *ptr_name) {
    if (cap < q->end) return 0;
    answer_header(out, query, rcode, 1);
    put16(out + 4, 1);
    memcpy(out + 12, query + 12, q->end - 12);
    size_t pos = q->end;
    uint16_t count = 0;
    /* Each record names the question through a pointer to offset 12; a short TTL: containers come and go. */
    static const uint8_t ttl[4] = {0, 0, 0, 5};
    if (ptr_name) {
        uint8_t rdata[DNS_NAME_MAX + 1];
        size_t n = encode_name(rdata, sizeof(rdata), ptr_name);
        if (n > 0 && pos + 12 + n <= cap) {
            uint8_t *rr = out + pos;
            put16(rr, 0xc00c);
            put16(rr + 2, TYPE_PTR);
            put16(rr + 4, CLASS_IN);
            memcpy(rr + 6, ttl, 4);
            put16(rr + 10, (uint16_t)n);
            memcpy(rr + 12, rdata, n);
            pos += 12 + n;
            count++;
        }
    }
    for (size_t i = 0; i < nips; i++) {
        if (pos + 16 > cap) {
            out[2] |= 0x02; /* TC: the client may ask again over TCP */
            break;
        }
        uint8_t *rr = out + pos;
        put16(rr, 0xc00c);
        put16(rr + 2, TYPE_A);
        put16(rr + 4, CLASS_IN);
        memcpy(rr + 6, ttl, 4);
        put16(rr + 10, 4);
        memcpy(rr + 12, &ips[i], 4);
        pos += 16;
        count++;
    }
    put16(out + 6, count);
    return pos;
}

int dns_reverse_name(const char *name, uint32_t *ip) {
    unsigned a, b, c, d;
    int used = 0;
    if (sscanf(name, "%3u.%3u.%3u.%3u.in-addr.arpa%n", &d, &c, &b, &a, &used) != 4) return 0;
    if (name[used] != '\0' || a > 255 || b > 255 || c > 255 || d > 255) return 0;
    uint8_t bytes[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
    memcpy(ip, bytes, 4);
    return 1;
}
