/*
 * The seccomp filter: a classic BPF program koker compiled from the profile and the container's
 * capabilities (packages/engine/src/launch/seccomp), given as hex (struct sock_filter[], 8 bytes
 * an instruction, the host's byte order). koker-init only decodes and installs it.
 *
 * Installing a filter takes CAP_SYS_ADMIN or no_new_privs. koker sets no_new_privs only when
 * asked (--security-opt no-new-privileges), so the plan puts this op where koker-init still has
 * CAP_SYS_ADMIN (before `user` and `caps`), as runc does; with no_new_privs it comes last, just
 * before the execve. The steps after it (setresuid, capset, chdir, execve) are calls every
 * profile koker builds allows.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "koker-init.h"

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

void op_seccomp(const char *hex) {
    size_t len = strlen(hex);
    if (len == 0 || len % 16 != 0 || len / 16 > BPF_MAXINSNS)
        die("install seccomp filter", "parse", EINVAL, "the program is not whole instructions");
    size_t count = len / 16;
    struct sock_filter *program = calloc(count, sizeof *program);
    if (!program) die("install seccomp filter", "calloc", ENOMEM, "");
    unsigned char *bytes = (unsigned char *)program;
    for (size_t i = 0; i < len / 2; i++) {
        int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0) die("install seccomp filter", "parse", EINVAL, "not hex");
        bytes[i] = (unsigned char)(high << 4 | low);
    }
    struct sock_fprog prog = {.len = (unsigned short)count, .filter = program};
    step("Call syscall seccomp SECCOMP_SET_MODE_FILTER", "instructions", fmt("%zu", count));
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        die("install seccomp filter", "seccomp", errno, "");
    free(program);
}
