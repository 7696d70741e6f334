// The busybox rootfs and OCI bundle runc and crun start in bench/start: Debian's static busybox
// and its applets; runc's default spec (mount, UTS, IPC, PID and network namespaces, masked
// paths), running `true`, in a cgroup named for koker.
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `dir`/rootfs and `dir`/`name`/config.json; returns the bundle's directory. */
export function busyboxBundle(dir, { name = 'bundle', seccomp } = {}) {
  const rootfs = join(dir, 'rootfs');
  if (!existsDir(rootfs)) {
    for (const sub of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev'])
      mkdirSync(join(rootfs, sub), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean))
      if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  }
  const bundle = join(dir, name);
  mkdirSync(bundle);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['true'];
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: false };
  spec.linux.cgroupsPath = '/koker-bench-start';
  if (seccomp) spec.linux.seccomp = seccomp(spec.process.capabilities.bounding);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

function existsDir(path) {
  try {
    readFileSync(join(path, 'etc', 'passwd'));
    return true;
  } catch {
    return false;
  }
}
