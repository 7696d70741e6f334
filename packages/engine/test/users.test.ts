import { describe, expect, it } from 'vitest';
import { NotFoundError } from '@koker/core';
import { parseGroup, parsePasswd, resolveUser } from '../src/index.js';

const passwd = parsePasswd(
  [
    'root:x:0:0:root:/root:/bin/sh',
    '# a comment',
    'app:x:1000:1000::/home/app:/bin/sh',
    'broken:x:notanumber:1',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  ].join('\n'),
);
const groups = parseGroup(
  ['root:x:0:', 'wheel:x:10:root,app', 'audio:x:29:app', 'app:x:1000:', 'bad:x:'].join('\n'),
);

describe('users from the container /etc/passwd and /etc/group', () => {
  it('parses entries and skips malformed lines', () => {
    expect(passwd.map((p) => p.name)).toEqual(['root', 'app', 'nobody']);
    expect(groups.map((g) => g.name)).toEqual(['root', 'wheel', 'audio', 'app']);
    expect(groups[1]?.members).toEqual(['root', 'app']);
  });

  it('resolves a name with its primary group, home and supplementary groups', () => {
    expect(resolveUser('app', passwd, groups)).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 10, 29],
      home: '/home/app',
    });
    expect(resolveUser('', passwd, groups)).toEqual({
      uid: 0,
      gid: 0,
      additionalGids: [0, 10],
      home: '/root',
    });
  });

  it('takes a number without an entry as is, with group 0 and home /', () => {
    expect(resolveUser('4242', passwd, groups)).toEqual({
      uid: 4242,
      gid: 0,
      additionalGids: [0],
      home: '/',
    });
    expect(resolveUser('1000', passwd, groups).home).toBe('/home/app');
  });

  it('takes an explicit group by name or number, and then no supplementary groups', () => {
    expect(resolveUser('app:audio', passwd, groups)).toMatchObject({
      uid: 1000,
      gid: 29,
      additionalGids: [29],
    });
    expect(resolveUser('app:777', passwd, groups)).toMatchObject({ gid: 777, additionalGids: [777] });
    expect(resolveUser('5:6', passwd, groups)).toMatchObject({ uid: 5, gid: 6 });
  });

  it('fails for names the container does not have', () => {
    expect(() => resolveUser('ghost', passwd, groups)).toThrow(NotFoundError);
    expect(() => resolveUser('ghost', passwd, groups)).toThrow('unable to find user ghost');
    expect(() => resolveUser('app:ghosts', passwd, groups)).toThrow('unable to find group ghosts');
    expect(() => resolveUser('app:', passwd, groups)).toThrow('the group after ":" is empty');
  });
});
