import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PATH,
  parseGroup,
  parsePasswd,
  processRequest,
  resolveProcess,
  searchPath,
  type ProcessFlags,
} from '../src/index.js';
import { InvalidValueError, UsageError } from '@koker/core';

const flags = (more: Partial<ProcessFlags> = {}): ProcessFlags => ({
  args: [],
  env: [],
  tty: false,
  interactive: false,
  hostname: 'abcdef123456',
  ...more,
});
const image = {
  Entrypoint: ['/entry.sh'],
  Cmd: ['serve', '--port', '80'],
  Env: ['PATH=/opt/bin:/bin', 'MODE=prod'],
  WorkingDir: 'app',
  User: 'app',
};

describe('image config and flags -> process', () => {
  it('runs Entrypoint + Cmd by default; arguments replace Cmd', () => {
    expect(processRequest(image, flags()).args).toEqual(['/entry.sh', 'serve', '--port', '80']);
    expect(processRequest(image, flags({ args: ['debug'] })).args).toEqual(['/entry.sh', 'debug']);
    expect(processRequest({ Cmd: ['sh'] }, flags({ args: ['echo', 'hi'] })).args).toEqual(['echo', 'hi']);
  });

  it('--entrypoint replaces the Entrypoint and drops the image Cmd; empty clears it', () => {
    const overridden = processRequest(image, flags({ entrypoint: 'sh' }));
    expect(overridden.args).toEqual(['sh']);
    expect(overridden.entrypoint).toEqual(['sh']);
    expect(overridden.command).toEqual([]);
    expect(processRequest(image, flags({ entrypoint: 'sh', args: ['-c', 'true'] })).args).toEqual([
      'sh',
      '-c',
      'true',
    ]);
    expect(processRequest(image, flags({ entrypoint: '', args: ['ls'] })).args).toEqual(['ls']);
    expect(() => processRequest(image, flags({ entrypoint: '' }))).toThrow(UsageError);
    expect(() => processRequest({}, flags())).toThrow('no command specified');
  });

  it("builds Docker's environment: defaults, then the image's, then the flags'", () => {
    expect(processRequest({ Cmd: ['sh'] }, flags()).env).toEqual([
      `PATH=${DEFAULT_PATH}`,
      'HOSTNAME=abcdef123456',
    ]);
    expect(processRequest(image, flags({ tty: true, env: ['MODE=dev', 'X=1'] })).env).toEqual([
      'PATH=/opt/bin:/bin',
      'HOSTNAME=abcdef123456',
      'TERM=xterm',
      'MODE=dev',
      'X=1',
    ]);
  });

  it('takes -w (absolute only), else the image WorkingDir, else /', () => {
    expect(processRequest(image, flags()).cwd).toBe('/app');
    expect(processRequest(image, flags({ workdir: '/srv/../data' })).cwd).toBe('/data');
    expect(processRequest({ Cmd: ['sh'] }, flags()).cwd).toBe('/');
    expect(() => processRequest(image, flags({ workdir: 'rel' }))).toThrow(InvalidValueError);
  });

  it('takes -u, else the image User; the capabilities from the flags', () => {
    expect(processRequest(image, flags()).user).toBe('app');
    expect(processRequest(image, flags({ user: '0' })).user).toBe('0');
    expect(processRequest(image, flags({ capDrop: ['ALL'] })).capabilities).toEqual([]);
    expect(processRequest(image, flags()).capabilities).toHaveLength(14);
  });

  it('resolves the user in the container files and adds HOME when unset', () => {
    const users = {
      passwd: parsePasswd('root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'),
      groups: parseGroup('app:x:1000:\nstaff:x:50:app\n'),
    };
    const spec = resolveProcess(processRequest(image, flags()), users);
    expect(spec).toMatchObject({ uid: 1000, gid: 1000, additionalGids: [1000, 50], cwd: '/app' });
    expect(spec.env).toContain('HOME=/home/app');
    const withHome = resolveProcess(processRequest(image, flags({ env: ['HOME=/x'] })), users);
    expect(withHome.env.filter((e) => e.startsWith('HOME='))).toEqual(['HOME=/x']);
    expect(searchPath(spec.env)).toBe('/opt/bin:/bin');
    expect(searchPath([])).toBe(DEFAULT_PATH);
  });
});
