import { describe, expect, it } from 'vitest';
import { InvalidValueError, NotImplementedError } from '@koker/core';
import { parseSecurityOptions, runRequestFromFlags, type RunFlagContext } from '../src/run/run-request.js';

const context: RunFlagContext = {
  hostEnv: { FROM_HOST: 'h' },
  readFile: (path, _what) => {
    if (path === 'app.env') return '# settings\nA=from-file\nB=file\n';
    throw new Error('ENOENT: no such file');
  },
};

describe('run flags -> RunRequest', () => {
  it('takes Docker defaults when no flag is given', () => {
    expect(runRequestFromFlags('busybox', [], {}, context)).toEqual({
      image: 'busybox',
      process: {
        args: [],
        env: [],
        tty: false,
        interactive: false,
        capAdd: [],
        capDrop: [],
        privileged: false,
        noNewPrivileges: false,
      },
      limits: {},
      network: { mode: 'bridge', ports: [], dns: [] },
      readOnlyRootfs: false,
      init: false,
      autoRemove: false,
    });
  });

  it('parses --device-cgroup-rule, refusing a malformed one', () => {
    const request = runRequestFromFlags(
      'busybox',
      [],
      { deviceCgroupRule: ['c 42:* rmw', 'b 8:0 r'] },
      context,
    );
    expect(request.deviceCgroupRules).toEqual([
      { allow: true, type: 'c', major: 42, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
    ]);
    expect(() => runRequestFromFlags('busybox', [], { deviceCgroupRule: ['c 42 rwm'] }, context)).toThrow(
      InvalidValueError,
    );
  });

  it('reads env files first, then -e (a bare name comes from koker’s environment)', () => {
    const request = runRequestFromFlags(
      'busybox',
      ['env'],
      { envFile: ['app.env'], env: ['A=flag', 'FROM_HOST', 'UNSET'] },
      context,
    );
    expect(request.process.env).toEqual(['A=from-file', 'B=file', 'A=flag', 'FROM_HOST=h']);
    expect(() => runRequestFromFlags('busybox', [], { envFile: ['missing.env'] }, context)).toThrow(
      'invalid env file "missing.env"',
    );
  });

  it('carries the process flags, name, hostname, network and limits', () => {
    const request = runRequestFromFlags(
      'app',
      ['sh', '-c', 'true'],
      {
        name: 'web_1',
        hostname: 'web.local',
        entrypoint: '',
        workdir: '/srv',
        user: 'app:staff',
        tty: true,
        interactive: true,
        rm: true,
        init: true,
        readOnly: true,
        net: 'none',
        capAdd: ['NET_ADMIN'],
        securityOpt: ['no-new-privileges'],
        memory: '64m',
        pidsLimit: '50',
      },
      context,
    );
    expect(request).toMatchObject({
      name: 'web_1',
      hostname: 'web.local',
      process: {
        entrypoint: '',
        args: ['sh', '-c', 'true'],
        workdir: '/srv',
        user: 'app:staff',
        tty: true,
        interactive: true,
        capAdd: ['NET_ADMIN'],
        noNewPrivileges: true,
      },
      network: { mode: 'none' },
      limits: { memory: 64 * 1024 * 1024, pidsLimit: 50 },
      readOnlyRootfs: true,
      init: true,
      autoRemove: true,
    });
  });

  it('refuses bad values before anything is made', () => {
    expect(() => runRequestFromFlags('busybox', [], { network: 'no/such' }, context)).toThrow(
      InvalidValueError,
    );
    expect(() => runRequestFromFlags('busybox', [], { hostname: 'bad_host!' }, context)).toThrow(
      'invalid hostname',
    );
    expect(() => runRequestFromFlags('busybox', [], { hostname: 'a'.repeat(65) }, context)).toThrow(
      'invalid hostname',
    );
    expect(() => runRequestFromFlags('busybox', [], { name: '-x' }, context)).toThrow(
      'invalid container name',
    );
    expect(() => runRequestFromFlags('busybox', [], { env: ['=x'] }, context)).toThrow(InvalidValueError);
    expect(() => runRequestFromFlags('busybox', [], { publish: ['80:80'] }, context)).toThrow(
      NotImplementedError,
    );
  });

  it('takes any other --network value as the name of a user network, on the bridge', () => {
    const request = runRequestFromFlags('busybox', [], { network: 'backend' }, context);
    expect(request.network).toEqual({ mode: 'bridge', ports: [], dns: [], network: 'backend' });
  });

  it('carries --add-host, --dns-search and --dns-option; --network host takes the host name', () => {
    const request = runRequestFromFlags(
      'busybox',
      [],
      { addHost: ['db:192.0.2.9', 'gw:host-gateway'], dnsSearch: ['a.example'], dnsOpt: ['ndots:2'] },
      context,
    );
    expect(request.network.extraHosts).toEqual([
      { name: 'db', ip: '192.0.2.9' },
      { name: 'gw', ip: 'host-gateway' },
    ]);
    expect(request.network.dnsSearch).toEqual(['a.example']);
    expect(request.network.dnsOptions).toEqual(['ndots:2']);
    expect(() => runRequestFromFlags('busybox', [], { addHost: ['nocolon'] }, context)).toThrow('--add-host');
    const onHost = runRequestFromFlags(
      'busybox',
      [],
      { network: 'host' },
      { ...context, hostHostname: () => 'the-host' },
    );
    expect(onHost.hostname).toBe('the-host');
  });

  it('--network container:NAME joins that container, and refuses the flags that would change its network', () => {
    const request = runRequestFromFlags('busybox', [], { network: 'container:web' }, context);
    expect(request.network).toEqual({ mode: 'container', ports: [], dns: [], container: 'web' });
    expect(() =>
      runRequestFromFlags('busybox', [], { network: 'container:web', hostname: 'x' }, context),
    ).toThrow('conflicting options: hostname and the container type network mode');
    expect(() => runRequestFromFlags('busybox', [], { network: 'container:' }, context)).toThrow(
      'container:NAME',
    );
  });

  it('publishes ports through the network parser', () => {
    const request = runRequestFromFlags(
      'busybox',
      [],
      { publish: ['8080:80'] },
      {
        ...context,
        parsePorts: (values) =>
          values.map(() => ({ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' })),
      },
    );
    expect(request.network.ports).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    ]);
  });
});

describe('--security-opt', () => {
  it('knows no-new-privileges, seccomp=unconfined, and the AppArmor/SELinux settings koker meets', () => {
    const none = { noNewPrivileges: false, seccomp: 'default' };
    expect(parseSecurityOptions([])).toEqual(none);
    expect(parseSecurityOptions(['no-new-privileges'])).toEqual({ ...none, noNewPrivileges: true });
    expect(parseSecurityOptions(['no-new-privileges:true'])).toEqual({ ...none, noNewPrivileges: true });
    expect(parseSecurityOptions(['no-new-privileges=false'])).toEqual(none);
    expect(parseSecurityOptions(['seccomp=unconfined', 'apparmor=unconfined', 'label=disable'])).toEqual({
      noNewPrivileges: false,
      seccomp: 'unconfined',
    });
    expect(() =>
      parseSecurityOptions(['seccomp=/no/profile.json'], () => {
        throw new Error('ENOENT');
      }),
    ).toThrow('ENOENT');
    expect(() =>
      parseSecurityOptions(['seccomp=/p.json'], () => '{"defaultAction":"SCMP_ACT_NOTIFY"}'),
    ).toThrow('SCMP_ACT_NOTIFY');
    expect(parseSecurityOptions(['seccomp=/p.json'], () => '{"defaultAction":"SCMP_ACT_ALLOW"}')).toEqual({
      noNewPrivileges: false,
      seccomp: { profile: '{"defaultAction":"SCMP_ACT_ALLOW"}' },
    });
    expect(() => parseSecurityOptions(['no-new-privileges:maybe'])).toThrow('takes true or false');
    expect(() => parseSecurityOptions(['systempaths=unconfined'])).toThrow('unknown option systempaths');
  });
});
