import { describe, expect, it } from 'vitest';
import { containerHostsEntries, hostHostsEntries } from '../src/dns/hosts-file.js';
import { containerResolvConf, parseDnsServers, parseResolverWords } from '../src/dns/resolv-conf.js';
import { extraHostsLines } from '../src/dns/extra-hosts.js';

describe("the container's resolv.conf", () => {
  it("copies the host's servers, search and options", () => {
    const host = '# generated\nnameserver 192.0.2.53\nsearch example.org\noptions ndots:2\n';
    expect(containerResolvConf({ host }, [])).toEqual({
      text: 'nameserver 192.0.2.53\nsearch example.org\noptions ndots:2\n',
      source: 'host',
    });
  });

  it("uses systemd-resolved's upstream servers when the host points at 127.0.0.53", () => {
    const host = 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n';
    const resolvedUpstream = 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch lan\n';
    expect(containerResolvConf({ host, resolvedUpstream }, [])).toEqual({
      text: 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch lan\n',
      source: 'systemd-resolved',
    });
  });

  it('drops loopback servers, falling back to public ones when none is left', () => {
    expect(containerResolvConf({ host: 'nameserver 127.0.0.1\nnameserver ::1\n' }, [])).toEqual({
      text: 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n',
      source: 'fallback',
    });
  });

  it('replaces the servers with --dns and keeps search', () => {
    expect(containerResolvConf({ host: 'nameserver 192.0.2.53\nsearch lan\n' }, ['192.0.2.9']).text).toBe(
      'nameserver 192.0.2.9\nsearch lan\n',
    );
  });

  it("keeps the host's file as is with --network host (its loopback resolver is reachable)", () => {
    expect(containerResolvConf({ host: 'nameserver 127.0.0.53' }, [], true).text).toBe(
      'nameserver 127.0.0.53\n',
    );
  });

  it('rejects a --dns value that is not an address', () => {
    expect(parseDnsServers(['192.0.2.1', '2001:db8::1'])).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(() => parseDnsServers(['dns.example'])).toThrow('invalid --dns "dns.example"');
  });
});

describe("the container's /etc/hosts", () => {
  it('has localhost, then the address with hostname and name', () => {
    const lines = containerHostsEntries({ hostname: 'web', name: 'cobalt_nile', ipAddress: '10.69.0.7' });
    expect(lines[0]).toBe('127.0.0.1\tlocalhost');
    expect(lines.at(-1)).toBe('10.69.0.7\tweb cobalt_nile');
  });

  it('names the hostname once when it equals the name, and uses 127.0.1.1 without an address', () => {
    expect(containerHostsEntries({ hostname: 'a1', name: 'a1' }).at(-1)).toBe('127.0.1.1\ta1');
  });

  it("is the host's own file with --network host", () => {
    expect(hostHostsEntries('127.0.0.1 localhost\n192.0.2.2 box\n')).toEqual([
      '127.0.0.1 localhost',
      '192.0.2.2 box',
    ]);
  });
});

describe('--dns-search, --dns-option and --add-host', () => {
  const host = 'nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n';

  it('replaces the search and options lines, and "." leaves no search domain', () => {
    expect(
      containerResolvConf({ host }, [], false, { search: ['a.example', 'b.example'], options: ['ndots:2'] })
        .text,
    ).toBe('nameserver 192.0.2.53\nsearch a.example b.example\noptions ndots:2\n');
    expect(containerResolvConf({ host }, [], false, { search: ['.'] }).text).toBe(
      'nameserver 192.0.2.53\noptions edns0\n',
    );
    expect(() => parseResolverWords('--dns-option', ['a b'])).toThrow('one word');
  });

  it('adds NAME:IP lines, host-gateway as the gateway, and refuses bad names and addresses', () => {
    expect(
      extraHostsLines(
        [
          { name: 'db', ip: '192.0.2.9' },
          { name: 'host.local', ip: 'host-gateway' },
        ],
        '10.70.0.1',
      ),
    ).toEqual(['192.0.2.9\tdb', '10.70.0.1\thost.local']);
    expect(() => extraHostsLines([{ name: 'db', ip: 'nope' }], '10.70.0.1')).toThrow('NAME:IP');
    expect(() => extraHostsLines([{ name: 'bad name', ip: '192.0.2.9' }], '10.70.0.1')).toThrow(
      'invalid host name',
    );
  });
});
