import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientCertificateTls, formatListenAddress, parseListenAddress } from '../src/index.js';

describe('listen addresses', () => {
  it('reads dockerd -H forms and writes them back', () => {
    expect(parseListenAddress('tcp://[::1]:2376')).toEqual({ kind: 'tcp', host: '::1', port: 2376 });
    expect(formatListenAddress(parseListenAddress('tcp://[::1]:2376'))).toBe('tcp://[::1]:2376');
    expect(formatListenAddress(parseListenAddress('/run/k.sock'))).toBe('unix:///run/k.sock');
    expect(() => parseListenAddress('tcp://127.0.0.1:70000')).toThrow(/invalid socket address/);
    expect(() => parseListenAddress('tcp://127.0.0.1')).toThrow(/invalid socket address/);
  });
});

describe('TCP without client certificates', () => {
  it('is refused, saying which flags to give', () => {
    expect(() => clientCertificateTls(undefined, 'tcp://0.0.0.0:2376')).toThrow(
      'refusing to serve the API on tcp://0.0.0.0:2376 without TLS client certificates',
    );
  });

  it('names a TLS file it cannot read, and refuses files that are not PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-tls-unit-'));
    try {
      const missing = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
      expect(() => clientCertificateTls(missing, 'tcp://127.0.0.1:2376')).toThrow(
        `cannot read --tlscacert ${missing.ca}: ENOENT`,
      );
      for (const file of Object.values(missing)) writeFileSync(file, 'not a certificate\n');
      expect(() => clientCertificateTls(missing, 'tcp://127.0.0.1:2376')).toThrow(/invalid TLS files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
