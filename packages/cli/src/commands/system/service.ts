import { Command } from 'commander';
import { InvalidValueError } from '@koker/core';
import { contextOf } from '../../command-context.js';

const DEFAULT_SOCKET = 'unix:///run/koker/koker.sock';

/** `koker system service`: the Docker Engine API, in the foreground. */
export function serviceCommand(): Command {
  return new Command('service')
    .description('Serve the Docker Engine API (1.41-1.45) on a socket, in the foreground')
    .option(
      '--socket <address>',
      'unix:///PATH (root-owned, mode 0660, group koker if it exists)',
      DEFAULT_SOCKET,
    )
    .option('-t, --timeout <seconds>', 'seconds without a request before the service exits; 0: never', '0')
    .action(async (options: { socket: string; timeout: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('system service');
      if (!/^\d+$/.test(options.timeout))
        throw new InvalidValueError('--timeout', options.timeout, 'expected a number of seconds');
      // Loaded on demand: no other command pays for the server.
      const { serveApi } = await import('../../api/serve-api.js');
      await serveApi(ctx, { socket: options.socket, timeoutSeconds: Number(options.timeout) });
      // The containers are their monitors': nothing left here is worth waiting for.
      setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
    });
}
