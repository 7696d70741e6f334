import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import {
  parseMountFlag,
  parseTmpfsFlag,
  parseVolumeFlag,
  parseVolumesFromFlag,
} from '../src/run/mount-flags.js';

const fails = (fn: () => unknown, says: RegExp) => {
  expect(fn).toThrow(InvalidValueError);
  expect(fn).toThrow(says);
};

describe('-v/--volume', () => {
  it('an absolute source is a bind (made if missing), rprivate, rw unless :ro', () => {
    expect(parseVolumeFlag('/srv/app/:/app')).toEqual({
      type: 'bind',
      source: '/srv/app',
      target: '/app',
      readOnly: false,
      propagation: 'rprivate',
      createSource: true,
      mode: '',
    });
    expect(parseVolumeFlag('/a:/b:ro,z')).toMatchObject({ type: 'bind', readOnly: true, mode: 'ro,z' });
    expect(parseVolumeFlag('/a:/b:rslave')).toMatchObject({ propagation: 'rslave', readOnly: false });
  });

  it('a name is a named volume; a lone path an anonymous one', () => {
    expect(parseVolumeFlag('data:/var/lib/db:nocopy')).toEqual({
      type: 'volume',
      name: 'data',
      target: '/var/lib/db',
      readOnly: false,
      noCopy: true,
      driverOptions: {},
      labels: {},
      mode: 'nocopy',
    });
    expect(parseVolumeFlag('/cache/')).toMatchObject({ type: 'volume', target: '/cache' });
    expect(parseVolumeFlag('/cache')).not.toHaveProperty('name');
  });

  it('refuses what Docker refuses, naming the flag', () => {
    fails(() => parseVolumeFlag('./rel:/x'), /-v\/--volume.*invalid characters for a local volume name/);
    fails(() => parseVolumeFlag('/a:rel'), /must be absolute/);
    fails(() => parseVolumeFlag('/a:/'), /destination can't be '\/'/);
    fails(() => parseVolumeFlag('/a:/b:ro:x'), /expected \[SOURCE:\]TARGET\[:MODES\]/);
    fails(() => parseVolumeFlag('/a:/b:ro,rw'), /more than one of ro and rw/);
    fails(() => parseVolumeFlag('/a:/b:nocopy'), /invalid mode "nocopy"/);
    fails(() => parseVolumeFlag('vol:/b:rshared'), /invalid mode "rshared"/);
    fails(() => parseVolumeFlag(''), /expected/);
  });
});

describe('--mount', () => {
  it('type=bind with its aliases; the source must exist (not made)', () => {
    expect(parseMountFlag('type=bind,src=/h,dst=/c,readonly,bind-propagation=rshared')).toEqual({
      type: 'bind',
      source: '/h',
      target: '/c',
      readOnly: true,
      propagation: 'rshared',
      createSource: false,
      mode: '',
    });
    expect(parseMountFlag('type=bind,source=/h,destination=/c,ro=false')).toMatchObject({ readOnly: false });
  });

  it('type=volume (the default) with driver, options and labels; no source is anonymous', () => {
    expect(
      parseMountFlag(
        'source=db,target=/d,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=a=b,volume-nocopy',
      ),
    ).toEqual({
      type: 'volume',
      name: 'db',
      target: '/d',
      readOnly: false,
      noCopy: true,
      driver: 'local',
      driverOptions: { type: 'tmpfs', device: 'tmpfs' },
      labels: { a: 'b' },
      mode: '',
    });
    expect(parseMountFlag('target=/d')).not.toHaveProperty('name');
    expect(parseMountFlag('"volume-opt=o=size=1m,uid=1000",target=/d')).toMatchObject({
      driverOptions: { o: 'size=1m,uid=1000' },
    });
  });

  it('type=tmpfs with a size in Docker units and an octal mode', () => {
    expect(parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({
      type: 'tmpfs',
      target: '/t',
      readOnly: false,
      flags: ['noexec', 'nosuid', 'nodev'],
      data: `size=${64 * 1024 * 1024},mode=1770`,
    });
  });

  it('refuses unknown keys, options of another type, a missing target, a relative bind source', () => {
    fails(() => parseMountFlag('type=bind,src=/a,dst=/b,foo=1'), /--mount.*unexpected key "foo"/);
    fails(
      () => parseMountFlag('type=bind,src=/a,dst=/b,volume-nocopy'),
      /cannot mix volume-nocopy with type=bind/,
    );
    fails(() => parseMountFlag('type=volume,dst=/b,tmpfs-size=1m'), /cannot mix tmpfs-size with type=volume/);
    fails(() => parseMountFlag('type=bind,src=/a'), /target is required/);
    fails(() => parseMountFlag('type=bind,src=rel,dst=/b'), /must be an absolute path/);
    fails(() => parseMountFlag('type=nfs,dst=/b'), /unknown mount type "nfs"/);
    fails(() => parseMountFlag('type=tmpfs,src=x,dst=/b'), /a tmpfs takes no source/);
    fails(() => parseMountFlag('type=tmpfs,dst=/b,tmpfs-mode=999'), /octal/);
    fails(() => parseMountFlag('type=bind,src=/a,dst=/b,bind-propagation=up'), /invalid bind-propagation/);
    fails(() => parseMountFlag('dst=/b,volume-opt=novalue'), /KEY=VALUE/);
    fails(() => parseMountFlag('"dst=/b'), /quote is not closed/);
  });
});

describe('--tmpfs', () => {
  it("takes mount(8)'s options: data apart from flags, Docker's noexec,nosuid,nodev unless undone", () => {
    expect(parseTmpfsFlag('/run:size=64m,mode=1777,exec,uid=1000')).toEqual({
      type: 'tmpfs',
      target: '/run',
      readOnly: false,
      flags: ['nosuid', 'nodev'],
      data: 'size=64m,mode=1777,uid=1000',
    });
    expect(parseTmpfsFlag('/ro:ro')).toMatchObject({
      readOnly: true,
      flags: ['noexec', 'nosuid', 'nodev', 'ro'],
    });
    fails(() => parseTmpfsFlag('/t:bogus'), /--tmpfs.*unknown tmpfs option "bogus"/);
    fails(() => parseTmpfsFlag('t'), /must be absolute/);
  });
});

describe('--volumes-from', () => {
  it('CONTAINER[:ro|rw]', () => {
    expect(parseVolumesFromFlag('db')).toEqual({ container: 'db' });
    expect(parseVolumesFromFlag('db:ro')).toEqual({ container: 'db', mode: 'ro' });
    fails(() => parseVolumesFromFlag('db:rx'), /CONTAINER\[:ro\|rw\]/);
    fails(() => parseVolumesFromFlag(''), /CONTAINER/);
  });
});
