/*
 * koker-init: executes a launch plan that koker's TypeScript side resolved completely, and
 * reports every step back. Shared declarations of its modules.
 */
#ifndef KOKER_INIT_H
#define KOKER_INIT_H

#include <stdint.h>
#include <sys/types.h>

/* The plan and the reports travel on this fd (a socket koker gives us). */
#define CHANNEL_FD 3

/* Exit codes when koker-init itself fails (Docker's convention). */
#define EXIT_ENGINE 125

/* report.c: records on the channel, one a line, fields separated by tabs (escaped). */
void report_open(int fd);
void report(const char *kind, ...); /* fields..., NULL */
#define step(...) report("log", __VA_ARGS__, (const char *)NULL)
/* Reports a failed step (`error <step> <syscall> <ERRNO> <detail>`). */
void fail(const char *what, const char *syscall, int err, const char *detail);
/* In the container's process: where a failure is signalled before exiting (the exec pipe). */
void report_failures_to(int fd);
_Noreturn void fail_exit(int code);
/* Reports and exits EXIT_ENGINE. */
_Noreturn void die(const char *what, const char *syscall, int err, const char *detail);
const char *fmt(const char *format, ...); /* a small rotating buffer for field values */

/* sealed.c: non-dumpable, and re-executed once from a sealed memfd copy of the binary (so the
 * container never reaches the host's file through /proc/<pid>/exe). Before the channel is
 * close-on-exec: the plan is read by the copy. */
void protect_self(char **argv);

/* plan.c: NUL-terminated strings read up to EOF; ops take a fixed number of them. */
void plan_read(int fd);
int plan_done(void);
const char *plan_str(void);
long long plan_num(void);
uint64_t plan_hex(void);
/* Reads "<n> <s1> ... <sn>" into a NULL-terminated array (borrowed strings). */
char **plan_list(void);

/* resolve.c: paths inside the container's root, never followed out of it. */
void root_set(int fd);
int root_fd(void);
/* An O_PATH fd of `path` resolved in the root, or -1 with errno set. */
int in_root(const char *path);
/* Like `mkdir -p` inside the root; returns an O_PATH fd of the directory, or -1. */
int in_root_mkdir(const char *path, mode_t mode);
/* Creates an empty file if `path` is absent; returns its O_PATH fd, or -1. */
int in_root_mkfile(const char *path, mode_t mode);
/* walk.c: `path` resolved a component at a time with O_NOFOLLOW (openat2's fallback); with
 * `strict`, a `..` that would climb out of the root is EXDEV instead of staying at `/`. */
int in_root_walk(const char *path, int strict);
/* "/proc/self/fd/<fd>": what mount(2) is given, so it acts on the resolved object. */
const char *fd_path(int fd);

/* mounts.c: the container's filesystem. */
void op_overlay(const char *target, const char *upper, const char *work, int volatile_, char **lowers,
                const char *legacy, const char *cwd);
void op_rootfs(const char *path);
void op_mount(const char *source, const char *target, const char *fstype, const char *flags, const char *data);
void op_mask(const char *path);
/* A mount the user asked for (-v, --mount, --tmpfs): its target made and resolved strictly in
 * the root, the volume filled from the image first when `copyup`, then the propagation set.
 * `tree` (or -1): the bind's source cloned in the host's namespace (open_host_tree). */
void op_usermount(const char *source, const char *target, const char *fstype, const char *flags, const char *data,
                  const char *propagation, int copyup, int file, int tree);
/* A bind source cloned, with its submounts, in the host's mount namespace (before the clone):
 * the clone stays a peer of the host's mount, so a shared/slave propagation reaches the host. */
int open_host_tree(const char *source);
/* copyup.c: copies what the root has at `dir_fd` into the host directory `dest` if it is empty. */
void copy_up(int dir_fd, const char *dest, const char *shown);
void op_readonly(const char *path);
void op_mknod(const char *path, const char *type, unsigned major, unsigned minor, mode_t mode);
void op_symlink(const char *target, const char *path);
void op_pivot(void);

/* process.c: credentials, capabilities, limits and the final execve. */
void op_rlimit(const char *name, const char *soft, const char *hard);
void op_bounding(uint64_t keep);
void op_user(uid_t uid, gid_t gid, char **groups);
void op_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient);
_Noreturn void op_exec(const char *search, char **argv, char **env);
/* fds 4..4+n-1, given after the channel, become the command's 3..3+n-1. */
void exec_preserve_fds(int n);

/* hooks.c: the runtime-spec's hooks run while the container is made (prestart and createRuntime
 * by the monitor, createContainer and startContainer by the container's process). */
struct hook {
    const char *stage, *path;
    int timeout; /* seconds; 0: none */
    char **argv, **env;
    /* The state JSON on the hook's stdin, around the container's pid. */
    const char *state_before_pid, *state_after_pid;
};
/* Reads a hook op's arguments (after `hook <stage>`). */
struct hook *hook_read(const char *stage);
/* Runs it and waits; 0, or -1 after reporting why it failed. */
int hook_run(const struct hook *h, pid_t container_pid);

/* namespace-ids.c: a new user namespace's maps (by the monitor, while the child waits), then the
 * child becomes its root; a new time namespace, unshared by the monitor with its clock offsets
 * (`monotonic S N\nboottime S N`) before the child is cloned into it. */
void user_maps_write(pid_t pid, const char *uid_map, const char *gid_map);
void user_become_root(void);
int time_namespace_prepare(void);
void time_namespace_make(int offsets_fd, const char *offsets);

/* kernel-params.c: `--oom-score-adj`, after pivot_root. */
void op_oom_score_adj(const char *value);

/* seccomp.c: installs the filter koker compiled (hex of struct sock_filter[]). */
void op_seccomp(const char *hex);

/* terminal.c: the pty (opened inside the container) and its proxy (run by the monitor). */
void console_open(int sock, uid_t uid, gid_t gid);
int console_receive(int sock); /* the master fd */
/* size_fd (or -1): a file holding `ROWS COLUMNS`, the size when stdin/stdout are no terminal. */
void console_attach(int master, int raw, int size_fd);
/* An OCI runtime's --console-socket: connected before any namespace is joined (the path is the
 * caller's), then the master sent there (SCM_RIGHTS), sized rows x cols first. */
int console_connect(const char *socket_path);
void console_send(int master, int sock, unsigned short rows, unsigned short cols);
void console_resize(int master, int size_fd);
/* Copies stdin to the pty; returns 0 at the end of stdin. */
int console_copy_in(int master);
/* Copies what the pty has to stdout; returns 0 once every slave end is closed. */
int console_copy_out(int master);
void console_restore(void);

#endif
