import { type Command, Option } from 'commander';
import { collect } from '../../command-context.js';

/**
 * The flags that decide what a container is, shared by `run` and `create` (Docker's create has
 * all of run's but -d, --detach-keys and --sig-proxy), as Docker spells them plus the Go koker's.
 */
export function addContainerOptions(command: Command): Command {
  return command
    .option('--rm', 'remove the container when it exits')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--name <name>', 'assign a name to the container')
    .option('-h, --hostname <name>', 'container hostname (default: the short ID)')
    .option('--domainname <name>', 'container NIS domain name')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or UID, optional group name or GID')
    .option('--entrypoint <command>', 'override the image entrypoint')
    .option('-m, --memory <bytes>', 'memory limit with unit (b, k, m, g), e.g. 512m')
    .addOption(new Option('--mem <MiB>', "memory limit in MiB (the Go koker's flag)"))
    .option('--memory-swap <bytes>', 'memory + swap limit; -1 for unlimited swap')
    .addOption(new Option('--swap <MiB>', "swap limit in MiB, on top of memory (the Go koker's flag)"))
    .option('--cpus <number>', 'number of CPUs, e.g. 1.5')
    .option('-c, --cpu-shares <weight>', 'relative CPU weight')
    .option('--cpuset-cpus <list>', 'CPUs allowed, e.g. 0-2,4')
    .option('--pids-limit <n>', 'process limit; -1 for unlimited')
    .addOption(new Option('--pids <n>', "process limit (the Go koker's flag)"))
    .option(
      '-p, --publish <[ip:]host:container[/proto]>',
      'publish a container port (repeatable)',
      collect,
      [],
    )
    .option(
      '--network, --net <network>',
      'bridge (default), none, host, container:NAME, or a network name or ID',
      'bridge',
    )
    .option(
      '--network-alias, --net-alias <alias>',
      'another name on a user network (repeatable)',
      collect,
      [],
    )
    .option('--ip <address>', 'IPv4 address on a user network')
    .option('--dns <ip>', 'DNS server (repeatable)', collect, [])
    .option('--dns-search <domain>', 'DNS search domain (repeatable; "." for none)', collect, [])
    .option('--dns-option, --dns-opt <option>', 'DNS resolver option (repeatable)', collect, [])
    .option(
      '--add-host <host:ip>',
      'add a line to /etc/hosts, NAME:IP or NAME:host-gateway (repeatable)',
      collect,
      [],
    )
    .option('--read-only', 'mount the root filesystem read-only')
    .option(
      '-v, --volume <[SOURCE:]TARGET[:MODES]>',
      'bind a host path (absolute SOURCE) or mount a volume (named or, without SOURCE, anonymous); MODES: ro, rw, z, Z, nocopy, a propagation (repeatable)',
      collect,
      [],
    )
    .option(
      '--mount <type=bind|volume|tmpfs,...>',
      "mount a bind, volume or tmpfs, Docker's key=value syntax (repeatable)",
      collect,
      [],
    )
    .option(
      '--tmpfs <PATH[:OPTIONS]>',
      'mount a tmpfs, e.g. /run:size=64m,mode=1777 (repeatable)',
      collect,
      [],
    )
    .option(
      '--volumes-from <CONTAINER[:ro|rw]>',
      "mount another container's volumes and binds (repeatable)",
      collect,
      [],
    )
    .option('--cap-add <cap>', 'add a Linux capability (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability (repeatable)', collect, [])
    .option('--privileged', 'give every capability and device, and no masked paths')
    .option('--device <device>', 'add a host device, HOST[:CONTAINER][:rwm] (repeatable)', collect, [])
    .option(
      '--device-cgroup-rule <rule>',
      'allow devices in the cgroup, e.g. "c 42:* rmw" (repeatable)',
      collect,
      [],
    )
    .option('--security-opt <opt>', 'security option, e.g. no-new-privileges (repeatable)', collect, [])
    .option('--init', 'run a minimal init as PID 1 that reaps zombies and forwards signals')
    .option('--log-driver <driver>', 'json-file (default), local or none')
    .option(
      '--log-opt <key=value>',
      'log driver option: max-size (default 20m), max-file (default 5)',
      collect,
      [],
    )
    .option('--memory-reservation <bytes>', 'memory soft limit with unit, e.g. 256m')
    .option(
      '--cgroup-parent <path>',
      "parent cgroup of the container's cgroups: absolute from each hierarchy's root, or relative to koker's own",
    )
    .option('-l, --label <key=value>', 'set a label (repeatable)', collect, [])
    .option('--label-file <file>', 'read labels from a file, one a line (repeatable)', collect, [])
    .option(
      '--ulimit <name=soft[:hard]>',
      'a resource limit, e.g. nofile=1024:2048 (repeatable)',
      collect,
      [],
    )
    .option('--group-add <group>', 'add a supplementary group, by name or GID (repeatable)', collect, [])
    .option('--stop-signal <signal>', "signal that stop sends first (default: the image's, else SIGTERM)")
    .option('--stop-timeout <seconds>', 'seconds stop waits before SIGKILL (default 10)')
    .option('--shm-size <bytes>', 'size of /dev/shm with unit (default 64m)')
    .option('--sysctl <name=value>', 'a namespaced kernel parameter (repeatable)', collect, [])
    .option('--oom-score-adj <n>', "the container's OOM score adjustment, -1000 to 1000")
    .option('--uts <mode>', 'UTS namespace: host')
    .option('--pid <mode>', 'PID namespace: host or container:NAME')
    .option('--ipc <mode>', 'IPC namespace: private, shareable, host or container:NAME')
    .option('--restart <policy>', 'no, on-failure[:max-retries], always or unless-stopped', 'no')
    .option('--cidfile <file>', 'write the container ID to the file (which must not exist)')
    .option('-a, --attach <stream>', 'attach to stdin, stdout or stderr (repeatable)', collect, [])
    .option('--health-cmd <command>', 'command to run to check health (through /bin/sh -c)')
    .option('--health-interval <duration>', 'time between checks, e.g. 30s (default 30s)')
    .option('--health-timeout <duration>', 'time a check may take, e.g. 30s (default 30s)')
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start before failures count, e.g. 1m (default 0s)')
    .option('--health-start-interval <duration>', 'time between checks during the start period (default 5s)')
    .option('--no-healthcheck', "disable the image's HEALTHCHECK")
    .option('--platform <os/arch>', 'platform to pull if the image is absent')
    .addOption(
      new Option('--pull <policy>', 'when to pull the image')
        .choices(['missing', 'always', 'never'])
        .default('missing'),
    );
}
