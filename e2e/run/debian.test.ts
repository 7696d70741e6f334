import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_IMAGE, debianImageArchive } from '../fixtures/debian-image.js';
import { koker } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// Real programs of a Debian image through the real `koker run`, under the default seccomp
// profile (and the device policy, capabilities and masks that come with it): what users run
// must keep working. The image is debootstrap's minbase with python3 and ping (built once per
// machine, see e2e/fixtures/debian-rootfs.sh), loaded from a `docker save` archive.
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-debian-'));
  const loaded = await koker(['--root', root, 'load', '-i', await debianImageArchive(root)], {
    timeoutMs: 180_000,
  });
  expect(loaded.code, loaded.stderr).toBe(0);
}, 600_000);
afterAll(async () => {
  if (root) await releaseKokerRoot(root);
});

/** `koker run --rm --network none DEBIAN ...` with this suite's root. */
const run = (args: string[], input?: string) =>
  koker(['--root', root, 'run', '--rm', '--network', 'none', ...args], {
    ...(input !== undefined ? { input } : {}),
    timeoutMs: 120_000,
  });

/** A small package for `apt-get install ./file.deb`: a file, and a maintainer script that runs. */
function helloDeb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-deb-'));
  try {
    const tree = join(dir, 'koker-hello');
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    mkdirSync(join(tree, 'usr/share/koker-hello'), { recursive: true });
    writeFileSync(
      join(tree, 'DEBIAN/control'),
      [
        'Package: koker-hello',
        'Version: 1.0',
        'Architecture: all',
        'Depends: python3-minimal',
        'Maintainer: koker e2e <e2e@koker.invalid>',
        'Description: a package the e2e suite installs offline',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(tree, 'DEBIAN/postinst'),
      '#!/bin/sh\nset -e\npython3 -c "print(6 * 7)" > /usr/share/koker-hello/postinst-ran\n',
      { mode: 0o755 },
    );
    writeFileSync(join(tree, 'usr/share/koker-hello/hello.txt'), 'hello from a .deb\n');
    execFileSync('dpkg-deb', ['--root-owner-group', '--build', tree, join(dir, 'koker-hello.deb')], {
      stdio: 'ignore',
    });
    return readFileSync(join(dir, 'koker-hello.deb')).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PYTHON = `
import mmap, os, select, signal, socket, subprocess, sys, tempfile, threading

results = []
threads = [threading.Thread(target=lambda i=i: results.append(sum(range(i * 1000)))) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print('threads', len(results))

print('subprocess', subprocess.run(['sh', '-c', 'echo $((6 * 7))'], capture_output=True, text=True, check=True).stdout.strip())
pid = os.fork()
if pid == 0: os._exit(7)
print('fork', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
child = subprocess.Popen(['sleep', '5'])
pidfd = os.pidfd_open(child.pid)
signal.pidfd_send_signal(pidfd, signal.SIGTERM)
print('pidfd', child.wait())

server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()
client = socket.create_connection(server.getsockname()); conn, _ = server.accept()
client.sendall(b'tcp'); print('tcp', conn.recv(3).decode())
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(('127.0.0.1', 0))
udp.sendto(b'udp', udp.getsockname()); print('udp', udp.recv(3).decode())
a, b = socket.socketpair(); a.send(b'unix'); print('unix', b.recv(4).decode())
ep = select.epoll(); ep.register(b.fileno(), select.EPOLLIN); a.send(b'x'); print('epoll', len(ep.poll(1)))

m = mmap.mmap(-1, 1 << 20); m[:5] = b'hello'; print('mmap', m[:5].decode())
with tempfile.TemporaryFile() as f:
    f.write(b'x' * 4096); f.flush()
    print('mmap-file', len(mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)))
memfd = os.memfd_create('koker'); os.write(memfd, b'memfd'); print('memfd', os.pread(memfd, 5, 0).decode())
efd = os.eventfd(0); os.eventfd_write(efd, 3); print('eventfd', os.eventfd_read(efd))

r, w = os.pipe(); os.write(w, b'pipe'); print('pipe', os.read(r, 4).decode())
print('os', os.uname().sysname, len(os.urandom(16)), len(os.sched_getaffinity(0)) > 0, os.statvfs('/').f_bsize > 0,
      os.getuid(), os.nice(1), os.getloadavg() is not None)
got = []
signal.signal(signal.SIGUSR1, lambda *_: got.append(1)); os.kill(os.getpid(), signal.SIGUSR1)
signal.setitimer(signal.ITIMER_REAL, 0.01); signal.signal(signal.SIGALRM, lambda *_: got.append(2)); signal.pause()
print('signals', got)
`;

describe("a Debian image's programs under the default seccomp profile", () => {
  it('runs a shell: bash and dash, pipes, subshells, background jobs', async () => {
    const result = await run([
      DEBIAN_IMAGE,
      'bash',
      '-c',
      'set -euo pipefail; grep Seccomp: /proc/self/status; seq 3 | wc -l; read -r x <<< here; echo "$x"; ' +
        '(sleep 0.1 &); sleep 0.1 & wait $!; echo "$(sh -c "echo dash")"; ulimit -n >/dev/null; echo done',
    ]);
    expect(result.stdout, result.stderr).toBe('Seccomp:\t2\n3\nhere\ndash\ndone\n');
    expect(result.code).toBe(0);
  });

  it('runs apt and dpkg offline: check, policy, the package list, installing a local .deb', async () => {
    const query = await run([
      DEBIAN_IMAGE,
      'sh',
      '-c',
      'apt-get check >/dev/null && echo check ok; apt-cache policy python3-minimal | grep -c Installed:; ' +
        "dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' python3-minimal iputils-ping apt",
    ]);
    expect(query.stdout).toBe('check ok\n1\napt ii \niputils-ping ii \npython3-minimal ii \n');
    expect(query.code).toBe(0);

    const install = await run(
      [
        '-i',
        DEBIAN_IMAGE,
        'sh',
        '-c',
        'base64 -d > /tmp/koker-hello.deb && apt-get install -y -q /tmp/koker-hello.deb >/tmp/apt.log 2>&1 ' +
          '|| { cat /tmp/apt.log; exit 1; }; ' +
          "dpkg-query -W -f='${db:Status-Abbrev}\\n' koker-hello; cat /usr/share/koker-hello/hello.txt /usr/share/koker-hello/postinst-ran; " +
          'apt-get remove -y -q koker-hello >/dev/null 2>&1; dpkg -s koker-hello >/dev/null 2>&1 || echo removed',
      ],
      helloDeb(),
    );
    expect(install.stdout).toBe('ii \nhello from a .deb\n42\nremoved\n');
    expect(install.code).toBe(0);
  });

  it('runs python3: threads, subprocess, fork, pidfd, sockets, epoll, mmap, memfd, eventfd, os calls, signals', async () => {
    const result = await run([DEBIAN_IMAGE, 'python3', '-c', PYTHON]);
    expect(result.stderr).not.toContain('Traceback');
    expect(result.stdout.trim().split('\n'), result.stderr).toEqual([
      'threads 8',
      'subprocess 42',
      'fork 7',
      'pidfd -15',
      'tcp tcp',
      'udp udp',
      'unix unix',
      'epoll 1',
      'mmap hello',
      'mmap-file 4096',
      'memfd memfd',
      'eventfd 3',
      'pipe pipe',
      'os Linux 16 True True 0 1 True',
      'signals [1, 2]',
    ]);
  });

  it("lets a process trace its own children without CAP_SYS_PTRACE, as Docker's profile does on kernels >= 4.8", async () => {
    // PTRACE_TRACEME, then PTRACE_PEEKDATA of the child's memory by its parent (it is stopped at
    // its raise(SIGSTOP)); process_vm_readv of it as well.
    const trace = `
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
value = ctypes.c_long(0x6b6f6b6572)
pid = os.fork()
if pid == 0:
    if libc.ptrace(0, 0, None, None) != 0: os._exit(ctypes.get_errno())
    os.kill(os.getpid(), signal.SIGSTOP)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print('stopped', os.WIFSTOPPED(status))
word = libc.ptrace(2, pid, ctypes.byref(value), None)
print('peek', hex(word & 0xffffffffff))
class iovec(ctypes.Structure): _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
out = ctypes.c_long(0)
local, remote = iovec(ctypes.addressof(out), 8), iovec(ctypes.addressof(value), 8)
print('process_vm_readv', libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0), hex(out.value))
libc.ptrace(17, pid, None, None)
os.kill(pid, signal.SIGCONT)
print('exit', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`;
    for (const flags of [[], ['-u', 'nobody']]) {
      const result = await run([...flags, DEBIAN_IMAGE, 'python3', '-c', trace]);
      expect(result.stdout.trim().split('\n'), `${flags.join(' ')} ${result.stderr}`).toEqual([
        'stopped True',
        'peek 0x6b6f6b6572',
        'process_vm_readv 8 0x6b6f6b6572',
        'exit 0',
      ]);
    }
  });

  it("lets nobody bind port 80 in its own network namespace (ip_unprivileged_port_start 0, as Docker), not in the host's", async () => {
    const bind =
      'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); ' +
      "s.bind(('127.0.0.1', 80)); s.listen(); print('bound', s.getsockname()[1])";
    for (const flags of [
      ['-u', 'nobody'],
      ['-u', 'nobody', '--cap-drop', 'ALL'],
    ]) {
      const result = await run([...flags, DEBIAN_IMAGE, 'python3', '-c', bind]);
      expect(result.stdout, `${flags.join(' ')}: ${result.stderr}`).toBe('bound 80\n');
    }
    const host = await koker([
      '--root',
      root,
      'run',
      '--rm',
      '--network',
      'host',
      '-u',
      'nobody',
      DEBIAN_IMAGE,
      'sh',
      '-c',
      'cat /proc/sys/net/ipv4/ip_unprivileged_port_start',
    ]);
    expect(host.stdout).toBe(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  });

  it('pings the loopback as root and as nobody; ICMP datagram sockets work without NET_RAW, as on Docker', async () => {
    const ping = 'ping -c 1 -W 5 127.0.0.1 >/dev/null && echo "$(id -un) pinged"';
    for (const [flags, who] of [
      [[], 'root'],
      [['-u', 'nobody'], 'nobody'],
    ] as const) {
      const result = await run([...flags, DEBIAN_IMAGE, 'sh', '-c', ping]);
      expect(result.stdout, `${flags.join(' ')}: ${result.stderr}`).toBe(`${who} pinged\n`);
    }
    // What ping uses when it may not open a raw socket: net.ipv4.ping_group_range, which koker
    // opens to every group in the container's own network namespace (Docker does the same).
    const icmp =
      'import socket, struct; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); ' +
      "s.settimeout(5); s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, 1) + b'koker', ('127.0.0.1', 0)); " +
      "print('echo reply' if s.recv(64)[0] == 0 else 'other')";
    for (const flags of [
      ['--cap-drop', 'NET_RAW'],
      ['-u', 'nobody', '--cap-drop', 'NET_RAW'],
    ]) {
      const result = await run([...flags, DEBIAN_IMAGE, 'python3', '-c', icmp]);
      expect(result.stdout, `${flags.join(' ')}: ${result.stderr}`).toBe('echo reply\n');
    }
    const range = await run([DEBIAN_IMAGE, 'cat', '/proc/sys/net/ipv4/ping_group_range']);
    expect(range.stdout).toBe('0\t2147483647\n');
    // Only in the container's own network namespace: the host's stays as it was.
    const host = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
    const shared = await koker([
      '--root',
      root,
      'run',
      '--rm',
      '--network',
      'host',
      DEBIAN_IMAGE,
      'cat',
      '/proc/sys/net/ipv4/ping_group_range',
    ]);
    expect(shared.stdout).toBe(host);
  });
});
