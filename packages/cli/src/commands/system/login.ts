import { Command } from 'commander';
import { DEFAULT_REGISTRY, InvalidValueError, UsageError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { readSecret, readStdin } from '../../output/read-input.js';

/** `https://index.docker.io/v1/`, `docker.io`, `host:5000`, `http://host:5000/` -> the registry host. */
export function registryHost(server: string | undefined): string {
  if (!server) return DEFAULT_REGISTRY;
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!host || /[\s@]/.test(host))
    throw new InvalidValueError('registry', server, 'expected a host name, e.g. localhost:5000');
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DEFAULT_REGISTRY : host;
}

export function loginCommand(): Command {
  return new Command('login')
    .description('Log in to a registry (credentials go to ~/.docker/config.json, or its credential helper)')
    .argument('[server]', 'registry host (default: Docker Hub)')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password or token (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .action(
      async (
        server: string | undefined,
        options: { username?: string; password?: string; passwordStdin?: boolean },
        command: Command,
      ) => {
        const context = contextOf(command);
        const registry = registryHost(server);
        if (options.password && options.passwordStdin) {
          throw new UsageError('--password and --password-stdin are mutually exclusive');
        }
        if (options.passwordStdin && !options.username) {
          throw new UsageError('--password-stdin needs --username');
        }
        if (options.password) {
          context.log.warn('Using --password on the command line is insecure: prefer --password-stdin');
        }
        const username = options.username ?? (await readSecret('Username: ', { echo: true }));
        const password = options.passwordStdin
          ? (await readStdin('password')).replace(/\r?\n$/, '')
          : (options.password ?? (await readSecret('Password: ', { echo: false })));
        if (!username || !password) throw new UsageError('a user name and a password are needed to log in');
        const { OciRegistrySource, DockerCredentialStore } = await import('@koker/registry-oci');
        const credentials = { username, secret: password };
        const source = new OciRegistrySource(
          {
            mirrors: [],
            insecure: context.config.registry.insecure,
            timeouts: context.config.registry.timeouts,
            log: context.log,
          },
          { host: registry, credentials },
        );
        try {
          await source.checkLogin(registry);
        } finally {
          await source.close();
        }
        await new DockerCredentialStore(undefined, context.log).store(registry, credentials);
        process.stdout.write('Login Succeeded\n');
      },
    );
}

export function logoutCommand(): Command {
  return new Command('logout')
    .description('Log out from a registry')
    .argument('[server]', 'registry host (default: Docker Hub)')
    .action(async (server: string | undefined, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const registry = registryHost(server);
      const { DockerCredentialStore } = await import('@koker/registry-oci');
      const removed = await new DockerCredentialStore(undefined, context.log).erase(registry);
      process.stdout.write(
        removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`,
      );
    });
}
