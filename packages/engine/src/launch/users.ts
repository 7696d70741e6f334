import { InvalidValueError, NotFoundError } from '@koker/core';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** The user a process runs as, resolved the way Docker (runc's libcontainer/user) does it. */
export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** From /etc/passwd; `/` when the user has no entry. */
  readonly home: string;
}

const MAX_ID = 2 ** 31 - 1;

function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** `/etc/passwd` lines: `name:password:uid:gid:gecos:home:shell`; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name = '', , uid = '', gid = '', , home = ''] = line.split(':');
    const u = parseId(uid);
    const g = parseId(gid);
    if (name && u !== undefined && g !== undefined) entries.push({ name, uid: u, gid: g, home: home || '/' });
  }
  return entries;
}

/** `/etc/group` lines: `name:password:gid:member,member`; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name = '', , gid = '', members = ''] = line.split(':');
    const g = parseId(gid);
    if (name && g !== undefined) entries.push({ name, gid: g, members: members.split(',').filter(Boolean) });
  }
  return entries;
}

/**
 * `-u user[:group]` (names or numbers) against the container's own files. A number without an
 * entry is taken as is (group 0); a name without one is an error. Supplementary groups are
 * the primary group and, when no group is given, the groups listing the user as a member.
 */
export function resolveUser(
  spec: string,
  passwd: readonly PasswdEntry[],
  groups: readonly GroupEntry[],
): ResolvedUser {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const userPart = colon < 0 ? text : text.slice(0, colon);
  const groupPart = colon < 0 ? '' : text.slice(colon + 1);
  if (colon >= 0 && groupPart === '')
    throw new InvalidValueError('user', spec, 'the group after ":" is empty');

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  if (userPart !== '') {
    const number = parseId(userPart);
    const entry =
      passwd.find((p) => p.name === userPart) ??
      (number !== undefined ? passwd.find((p) => p.uid === number) : undefined);
    if (entry) {
      ({ uid, gid, home, name } = entry);
    } else if (number !== undefined) {
      uid = number;
    } else {
      throw new NotFoundError(
        `unable to find user ${userPart}: no matching entries in the container's /etc/passwd`,
        {
          hint: 'give a user that exists in the image, or a numeric UID',
        },
      );
    }
  } else {
    const root = passwd.find((p) => p.uid === 0);
    if (root) ({ home, name } = root);
  }

  if (groupPart !== '') {
    const number = parseId(groupPart);
    const entry =
      groups.find((g) => g.name === groupPart) ??
      (number !== undefined ? groups.find((g) => g.gid === number) : undefined);
    if (entry) gid = entry.gid;
    else if (number !== undefined) gid = number;
    else
      throw new NotFoundError(
        `unable to find group ${groupPart}: no matching entries in the container's /etc/group`,
        {
          hint: 'give a group that exists in the image, or a numeric GID',
        },
      );
    return { uid, gid, additionalGids: [gid], home };
  }
  // The primary group is always one of the groups (containerd's and moby's fix of CVE-2023-25173).
  const members = name ? groups.filter((g) => g.members.includes(name)).map((g) => g.gid) : [];
  return { uid, gid, additionalGids: [...new Set([gid, ...members])], home };
}
