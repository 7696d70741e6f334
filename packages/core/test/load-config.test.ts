import { describe, expect, it } from 'vitest';
import {
  InvalidValueError,
  NoSpaceError,
  SyscallError,
  isNoSpace,
  loadConfig,
  noSpaceOr,
  parseRootDirectory,
} from '../src/index.js';

const noFile = () => undefined;

describe('loadConfig', () => {
  it('defaults to /var/lib/koker and a private subnet', () => {
    const config = loadConfig({ env: {}, readFile: noFile });
    expect(config.root).toBe('/var/lib/koker');
    expect(config.runRoot).toBe('/run/koker');
    expect(config.network).toEqual({ bridge: 'koker0', subnet: '10.69.0.0/16' });
  });

  it('lets the file, then the environment, then flags override', () => {
    const file = JSON.stringify({
      root: '/from/file',
      drivers: { storage: 'copy' },
      registry: { insecure: ['reg.local:5000'] },
    });
    const readFile = () => file;
    expect(loadConfig({ env: {}, readFile }).root).toBe('/from/file');
    expect(loadConfig({ env: { KOKER_ROOT: '/from/env' }, readFile }).root).toBe('/from/env');
    const config = loadConfig({
      env: { KOKER_ROOT: '/from/env', KOKER_REGISTRY_MIRROR: 'http://127.0.0.1:5001, http://m2' },
      readFile,
      flags: { root: '/from/flag', drivers: { resources: 'cgroup-v1' } },
    });
    expect(config.root).toBe('/from/flag');
    expect(config.runRoot).toBe('/from/flag/run');
    expect(config.drivers).toEqual({ storage: 'copy', resources: 'cgroup-v1' });
    expect(config.registry.insecure).toEqual(['reg.local:5000']);
    expect(config.registry.mirrors).toEqual(['http://127.0.0.1:5001', 'http://m2']);
  });

  it('rejects a relative root and a broken file with the reason', () => {
    expect(() => loadConfig({ env: { KOKER_ROOT: 'rel' }, readFile: noFile })).toThrow(InvalidValueError);
    expect(() => loadConfig({ env: {}, readFile: () => '{oops' })).toThrow(
      /invalid config file "\/etc\/koker\/config.json"/,
    );
    expect(() => loadConfig({ env: {}, readFile: () => '[1]' })).toThrow(/expected a JSON object/);
  });
});

describe('the root directory', () => {
  const noDir = () => undefined;
  it('is normalised', () => {
    expect(parseRootDirectory('/tmp//a/../b/', '--root', noDir)).toBe('/tmp/b');
  });
  it('refuses empty, relative, / and kernel file systems, and a file', () => {
    expect(() => parseRootDirectory('', '--root', noDir)).toThrow(
      'invalid root directory (--root) "": it is empty',
    );
    expect(() => parseRootDirectory('rel/dir', 'KOKER_ROOT', noDir)).toThrow(/must be an absolute path/);
    expect(() => parseRootDirectory('/', '--root', noDir)).toThrow(/not keep its state in \//);
    expect(() => parseRootDirectory('/proc/1/root', '--root', noDir)).toThrow(
      /\/proc is a kernel file system/,
    );
    expect(() => parseRootDirectory('/sys', '--root', noDir)).toThrow(/\/sys is a kernel file system/);
    expect(() => parseRootDirectory('/tmp/file', '--root', () => false)).toThrow(/not a directory/);
  });
  it('from an empty KOKER_ROOT is refused, not taken for the default', () => {
    expect(() => loadConfig({ env: { KOKER_ROOT: '' }, readFile: () => undefined })).toThrow(/it is empty/);
    expect(() => loadConfig({ flags: { root: '' }, env: {}, readFile: () => undefined })).toThrow(
      /it is empty/,
    );
  });
});

describe('isNoSpace', () => {
  it("finds ENOSPC in Node's errors, system call errors and causes", () => {
    expect(isNoSpace(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
    expect(isNoSpace(new SyscallError('write', 28, 'fd 3'))).toBe(true);
    expect(isNoSpace(new Error('wrapped', { cause: Object.assign(new Error('x'), { errno: -28 }) }))).toBe(
      true,
    );
    expect(isNoSpace(new Error('other'))).toBe(false);
    const mapped = noSpaceOr(Object.assign(new Error('x'), { code: 'ENOSPC', path: '/r/x' }), '/r');
    expect(mapped).toBeInstanceOf(NoSpaceError);
    expect((mapped as Error).message).toBe('no space left on device: /r/x');
  });
});

describe('registry deadlines', () => {
  it('default to 15 s connect, 30 s idle, 120 s stall; the file and then the environment override', () => {
    expect(loadConfig({ env: {}, readFile: noFile }).registry.timeouts).toEqual({
      connect: 15,
      idle: 30,
      stall: 120,
    });
    const readFile = () => JSON.stringify({ registry: { timeouts: { idle: 60, stall: 600 } } });
    expect(loadConfig({ env: { KOKER_REGISTRY_STALL_TIMEOUT: '0.5' }, readFile }).registry.timeouts).toEqual({
      connect: 15,
      idle: 60,
      stall: 0.5,
    });
  });
  it('must be seconds > 0', () => {
    expect(() => loadConfig({ env: { KOKER_REGISTRY_IDLE_TIMEOUT: 'soon' }, readFile: noFile })).toThrow(
      'invalid registry idle timeout (KOKER_REGISTRY_IDLE_TIMEOUT) "soon": expected seconds > 0',
    );
    expect(() => loadConfig({ env: {}, readFile: () => '{"registry":{"timeouts":{"connect":0}}}' })).toThrow(
      /registry connect timeout \(registry.timeouts.connect in .*\) "0"/,
    );
  });
});
