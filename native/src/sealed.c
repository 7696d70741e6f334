/*
 * koker-init keeps its own binary out of the container's reach (the CVE-2019-5736 class: a
 * process in the container opens /proc/<pid>/exe of the helper, then writes the host's binary
 * through it). Two measures, as runc's fix but smaller:
 *
 *   - it is non-dumpable from its first instruction that matters until the container's execve
 *     (which makes the new program dumpable again): /proc/<pid>/exe, maps, fd/, environ and
 *     ptrace then need CAP_SYS_PTRACE in the host's user namespace, which containers lack;
 *   - it runs from a sealed memfd copy of itself (re-executed once, at start), so even with that
 *     capability /proc/<pid>/exe is an anonymous copy that no one can write, never the host's file.
 *
 * The copy is checked by its seals, not trusted from the environment: the marker variable only
 * stops a loop if the kernel ever gave us an exe that is not the sealed copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "koker-init.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: say so, or vm.memfd_noexec may refuse to exec the copy */
#endif

#define MARKER "_KOKER_INIT_SEALED"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int is_sealed_copy(int fd) {
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & SEALS) == SEALS;
}

/* A sealed memfd holding the bytes of `exe`, or -1 with errno set. */
static int sealed_copy(int exe) {
    struct stat st;
    if (fstat(exe, &st) < 0) return -1;
    int copy = memfd_create("koker-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (copy < 0 && errno == EINVAL) copy = memfd_create("koker-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (copy < 0) return -1;
    for (off_t at = 0; at < st.st_size;) {
        ssize_t n = sendfile(copy, exe, &at, (size_t)(st.st_size - at));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            close(copy);
            errno = err;
            return -1;
        }
    }
    if (fcntl(copy, F_ADD_SEALS, SEALS) < 0) {
        int err = errno;
        close(copy);
        errno = err;
        return -1;
    }
    return copy;
}

void protect_self(char **argv) {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die("protect the helper", "prctl", errno, "PR_SET_DUMPABLE");
    int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0) die("protect the helper", "open", errno, "/proc/self/exe");
    if (is_sealed_copy(exe)) {
        close(exe);
        unsetenv(MARKER);
        /* execveat named us after the fd ("4"); ps on the host shows the helper's own name. */
        prctl(PR_SET_NAME, "koker-init", 0, 0, 0);
        return;
    }
    if (getenv(MARKER)) die("protect the helper", "execveat", EPERM, "re-executed, yet not from the sealed copy");
    step("Seal a copy of the helper");
    int copy = sealed_copy(exe);
    if (copy < 0) die("protect the helper", "memfd_create", errno, "the sealed copy of koker-init");
    close(exe);
    if (setenv(MARKER, "1", 1) < 0) die("protect the helper", "setenv", errno, MARKER);
    extern char **environ;
    syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
    die("protect the helper", "execveat", errno, "the sealed copy of koker-init");
}
