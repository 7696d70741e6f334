/* writev(2) until every byte is written: retried on EINTR, continued after short writes. */
#include <errno.h>
#include <string.h>
#include "monitor.h"

int write_all(int fd, const struct iovec *iov, int count) {
    struct iovec local[16];
    if (count > 16) count = 16;
    memcpy(local, iov, sizeof(struct iovec) * (size_t)count);
    struct iovec *v = local;
    while (count > 0) {
        ssize_t n = writev(fd, v, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        while (count > 0 && (size_t)n >= v->iov_len) {
            n -= (ssize_t)v->iov_len;
            v++;
            count--;
        }
        if (count > 0) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= (size_t)n;
        }
    }
    return 0;
}
