/*
 * Runs inside a container (built static by e2e/run/exe-scan.ts) and looks for a way to the host's
 * koker-init through /proc, as the CVE-2019-5736 attack does: opening /proc/<pid>/exe of the
 * helper for reading or writing, or reading its maps.
 *
 *   exe-scan probe PID   one look at PID: "exe-read <errno|ok:link> exe-write <...> maps <...>"
 *   exe-scan watch READY STOP   creates READY, looks at every process until the file STOP
 *                               exists, then prints "seen N denied M" and one line for each
 *                               way in it found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The host's helper, reached: a path naming koker-init that is not the sealed memfd copy. */
static int host_helper(const char *text) {
    for (const char *at = text; (at = strstr(at, "koker-init")); at++)
        if (!(at >= text + 6 && strncmp(at - 6, "memfd:", 6) == 0)) return 1;
    return 0;
}

static const char *fd_target(int fd, char *buf, size_t cap) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, cap - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

/* Tries one way in; returns "ok:<target>" or the errno's name, and flags the host's helper. */
static const char *attempt(int pid, const char *file, int flags, int *found) {
    static char out[3][4200];
    static int slot;
    char *buf = out[slot++ % 3];
    char path[64], target[4096];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) {
        snprintf(buf, 4200, "%s", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
        return buf;
    }
    fd_target(fd, target, sizeof target);
    if (strcmp(file, "maps") == 0) {
        static char maps[1 << 16];
        ssize_t n = read(fd, maps, sizeof maps - 1);
        maps[n < 0 ? 0 : n] = '\0';
        if (host_helper(maps)) *found = 1;
        snprintf(buf, 4200, "ok:%s", n > 0 ? "read" : "empty");
    } else {
        if (host_helper(target)) *found = 1;
        snprintf(buf, 4200, "ok:%s", target);
    }
    close(fd);
    return buf;
}

static int probe(int pid, FILE *out) {
    int found = 0;
    const char *r = attempt(pid, "exe", O_RDONLY, &found);
    const char *w = attempt(pid, "exe", O_WRONLY | O_APPEND, &found);
    const char *m = attempt(pid, "maps", O_RDONLY, &found);
    fprintf(out, "exe-read %s exe-write %s maps %s\n", r, w, m);
    return found;
}

static int is_helper(int pid) {
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, comm, sizeof comm - 1);
    close(fd);
    return n > 0 && strncmp(comm, "koker-init", 10) == 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "probe") == 0) return probe(atoi(argv[2]), stdout) ? 1 : 0;
    if (argc != 4 || strcmp(argv[1], "watch") != 0) return 2;
    int ready = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (ready < 0) return 3;
    close(ready);
    long seen = 0, denied = 0;
    static char findings[1 << 16];
    size_t used = 0;
    int self = getpid();
    while (access(argv[3], F_OK) != 0) {
        DIR *proc = opendir("/proc");
        if (!proc) return 3;
        for (struct dirent *e; (e = readdir(proc));) {
            int pid = atoi(e->d_name);
            if (pid <= 0 || pid == self || !is_helper(pid)) continue;
            seen++;
            char line[13000];
            FILE *mem = fmemopen(line, sizeof line, "w");
            int found = probe(pid, mem);
            fclose(mem);
            if (strstr(line, "exe-read EACCES") || strstr(line, "exe-read EPERM")) denied++;
            if (found && used + strlen(line) < sizeof findings)
                used += (size_t)snprintf(findings + used, sizeof findings - used, "%d %s", pid, line);
        }
        closedir(proc);
    }
    printf("seen %ld denied %ld\n%s", seen, denied, findings);
    return 0;
}
