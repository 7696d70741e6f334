/*
 * koker-dns's message parser and answer builder (src/dns/message.c) against hostile input:
 * random, truncated and mutated queries, each in a buffer of exactly its length, built with
 * AddressSanitizer and UBSan (make test) so that any read past the message aborts. Then a few
 * answers checked byte for byte. No root, no socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/dns/koker-dns.h"

/* message.c needs these two from main.c. */
int64_t now_ms(void) { return 0; }
void log_msg(const char *format, ...) { (void)format; }

static unsigned seed = 12345;
static unsigned next_random(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static int failures;
#define CHECK(cond, what)                       \
    do {                                        \
        if (!(cond)) {                          \
            fprintf(stderr, "FAIL %s\n", what); \
            failures++;                         \
        }                                       \
    } while (0)

static const uint8_t web_a[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'W', 'e', 'b', 0, 0, 1, 0, 1};

/* Parses `len` bytes copied into a heap block of exactly that size, then answers if it can. */
static void exercise(const uint8_t *bytes, size_t len) {
    uint8_t *msg = malloc(len ? len : 1);
    if (!msg) exit(1);
    memcpy(msg, bytes, len);
    struct dns_question q;
    uint8_t out[DNS_MAX_MESSAGE];
    uint32_t ips[2] = {0x0200460a, 0x0300460a};
    int rc = dns_parse_query(msg, len, &q);
    if (rc == 0) {
        CHECK(q.end <= len, "question ends inside the message");
        dns_answer(out, DNS_UDP_ANSWER_MAX, msg, &q, RCODE_OK, ips, 2, NULL);
        dns_answer(out, 40, msg, &q, RCODE_OK, ips, 2, "web");
        uint32_t ip;
        dns_reverse_name(q.name, &ip);
    } else if (rc > 0) {
        dns_error(out, sizeof(out), msg, rc);
    }
    free(msg);
}

int main(void) {
    uint8_t buf[700];
    for (int i = 0; i < 200000; i++) {
        size_t len;
        switch (i % 4) {
            case 0:
                len = next_random() % sizeof(buf);
                for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)next_random();
                break;
            case 1:
                len = next_random() % (sizeof(web_a) + 1);
                memcpy(buf, web_a, len);
                break;
            case 2:
                len = sizeof(web_a);
                memcpy(buf, web_a, len);
                for (int k = 0; k < 3; k++) buf[next_random() % len] = (uint8_t)next_random();
                break;
            default:
                /* Labels of random lengths up to the message's end, no terminator. */
                memcpy(buf, web_a, 12);
                len = 12 + next_random() % 400;
                for (size_t k = 12; k < len; k++) buf[k] = (uint8_t)(next_random() % 70);
                break;
        }
        exercise(buf, len);
    }

    struct dns_question q;
    uint8_t out[DNS_MAX_MESSAGE];
    CHECK(dns_parse_query(web_a, sizeof(web_a), &q) == 0, "a plain A query parses");
    CHECK(strcmp(q.name, "web") == 0 && q.plain && q.labels == 1 && q.type == TYPE_A, "lowercased name and type");
    uint32_t ip = 0x0200460a; /* 10.70.0.2 */
    size_t n = dns_answer(out, sizeof(out), web_a, &q, RCODE_OK, &ip, 1, NULL);
    static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 70, 0, 2};
    CHECK(n == sizeof(web_a) + sizeof(rr) && memcmp(out + sizeof(web_a), rr, sizeof(rr)) == 0, "one A record");
    CHECK(out[0] == 0x12 && out[1] == 0x34 && (out[2] & 0x80) && out[7] == 1, "ID, QR and one answer");
    uint8_t answer[sizeof(web_a)];
    memcpy(answer, web_a, sizeof(answer));
    answer[2] |= 0x80;
    CHECK(dns_parse_query(answer, sizeof(answer), &q) == -1, "an answer is dropped");
    uint8_t two[sizeof(web_a)];
    memcpy(two, web_a, sizeof(two));
    two[5] = 2;
    CHECK(dns_parse_query(two, sizeof(two), &q) == RCODE_FORMERR, "two questions: FORMERR");
    uint8_t pointer[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
    CHECK(dns_parse_query(pointer, sizeof(pointer), &q) == RCODE_FORMERR, "a pointer in the question: FORMERR");
    CHECK(dns_reverse_name("2.0.70.10.in-addr.arpa", &ip) && ip == 0x0200460a, "a reverse name");
    CHECK(!dns_reverse_name("2.0.70.300.in-addr.arpa", &ip), "an octet above 255");
    if (failures) return 1;
    printf("dns: ok\n");
    return 0;
}
