import { afterAll, beforeAll, expect } from 'vitest';
import { dockerClient, startApiService, type ApiService, type ClientResult } from '../api/api-service.js';
import { startContainerSuite, type ContainerSuite } from '../containers/helpers/container-suite.js';

/** A container suite, `koker system service` over its root, and Debian's docker CLI pointed at it. */
export interface DockerCliSuite {
  readonly suite: ContainerSuite;
  readonly service: ApiService;
  readonly client: ReturnType<typeof dockerClient>;
  docker(...args: string[]): Promise<ClientResult>;
  /** The CLI's stdout; a failure throws with its exit code and stderr. */
  mustDocker(...args: string[]): Promise<string>;
  /** Stops the service (it must exit 0), runs `between`, and starts it again over the same root and socket. */
  restartService(between?: () => Promise<void>): Promise<void>;
}

/**
 * Registers the file's beforeAll and afterAll: everything started there, and at the end the
 * service stopped with exit 0, the client's config removed, nothing of koker's left on the host.
 */
export function dockerCliSuite(): DockerCliSuite {
  let suite: ContainerSuite;
  let service: ApiService;
  let client: ReturnType<typeof dockerClient>;
  const startService = () => startApiService(suite.root, { KOKER_CONFIG: `${suite.root}/config.json` });
  beforeAll(async () => {
    suite = await startContainerSuite();
    service = await startService();
    client = dockerClient(service);
  });
  afterAll(async () => {
    if (service) expect(await service.stop()).toBe(0);
    client?.remove();
    await suite?.stop();
    expect(suite?.leaks() ?? []).toEqual([]);
  });
  return {
    get suite() {
      return suite;
    },
    get service() {
      return service;
    },
    get client() {
      return client;
    },
    docker: (...args) => client.docker(args),
    async mustDocker(...args) {
      const result = await client.docker(args);
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: ${result.code}\n${result.stderr}`);
      return result.stdout;
    },
    async restartService(between) {
      expect(await service.stop()).toBe(0);
      await between?.();
      service = await startService();
    },
  };
}
