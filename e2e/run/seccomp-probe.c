/*
 * Calls what koker's default seccomp profile denies, with arguments that make each call fail
 * harmlessly or do nothing lasting, and prints how each ended: `name ok` or `name ERRNO`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long result) {
    if (result >= 0) printf("%s ok\n", name);
    else printf("%s %s\n", name, strerrorname_np(errno));
}

int main(void) {
    /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, without creating it. */
    report("keyctl", syscall(SYS_keyctl, 0, -3, 0));
    /* A key type the kernel does not have: ENODEV when the call is allowed. */
    report("add_key", syscall(SYS_add_key, "koker-no-such-type", "d", "", 0, -3));
    /* No attributes: EFAULT when the call is allowed. */
    report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    report("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
    /* BPF_PROG_LOAD with no attributes. */
    report("bpf", syscall(SYS_bpf, 5, NULL, 0));
    /* UFFD_USER_MODE_ONLY: what an unprivileged process may ask for. */
    long uffd = syscall(SYS_userfaultfd, 1);
    report("userfaultfd", uffd);
    if (uffd >= 0) close((int)uffd);
    /* No arguments: EINVAL when the call is allowed; the filter answers ENOSYS (libc falls back
     * to clone, whose flags it can check). */
    report("clone3", syscall(SYS_clone3, NULL, 0));
    return 0;
}
