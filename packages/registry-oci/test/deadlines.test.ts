import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RegistryDeadlineError, StallError, deadlineOf, watchedChunks } from '../src/deadlines.js';

describe('watchedChunks', () => {
  it('passes a body that moves through', async () => {
    const body = new PassThrough();
    body.end(Buffer.alloc(4096, 1));
    const chunks: Buffer[] = [];
    for await (const chunk of watchedChunks(body, 0.2)) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toHaveLength(4096);
  });

  it('ends a body that drips less than 1 KiB per window with a StallError', async () => {
    const body = new PassThrough();
    const drip = setInterval(() => body.write('x'), 20);
    const started = Date.now();
    try {
      await expect(
        (async () => {
          for await (const _chunk of watchedChunks(body, 0.3)) {
            // reading
          }
        })(),
      ).rejects.toBeInstanceOf(StallError);
    } finally {
      clearInterval(drip);
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('deadlines', () => {
  it("maps undici's timeouts and the stall to the deadline they stand for", () => {
    expect(deadlineOf(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe('connect');
    expect(deadlineOf(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('idle');
    expect(deadlineOf(Object.assign(new Error('x'), { code: 'UND_ERR_BODY_TIMEOUT' }))).toBe('idle');
    expect(deadlineOf(new StallError('stalled'))).toBe('stall');
    expect(deadlineOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
  });

  it('names the registry, what it was sending, the deadline and the setting', () => {
    const error = new RegistryDeadlineError(
      'idle',
      30,
      'reg.example',
      'layer sha256:ab of reg.example/app:1',
    );
    expect(error.message).toBe(
      'registry reg.example sent no byte for 30 s while sending layer sha256:ab of reg.example/app:1 (the idle deadline)',
    );
    expect(error.hint).toMatch(/registry\.timeouts\.idle .* KOKER_REGISTRY_IDLE_TIMEOUT/);
    expect(error.exitCode).toBe(125);
  });
});
