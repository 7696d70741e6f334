import { describe, expect, it } from 'vitest';
import { InvalidValueError, loadConfig } from '../src/index.js';

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
