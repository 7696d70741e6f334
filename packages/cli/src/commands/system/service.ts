import { Command } from 'commander';
import { InvalidValueError, UsageError } from '@koker/core';
import { contextOf } from '../../command-context.js';

const DEFAULT_SOCKET = 'unix:///run/koker/koker.sock';

interface ServiceFlags {
  host?: string[];
  socket?: string;
  timeout: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `koker system service`: the Docker Engine API, in the foreground. */
export function serviceCommand(): Command {
  return new Command('service')
    .description('Serve the Docker Engine API (1.41-1.45) on sockets, in the foreground')
    .option(
      '-H, --host <address>',
      `unix:///PATH (root-owned, mode 0660, group koker if it exists) or tcp://HOST:PORT (with --tlsverify only); repeatable (default ${DEFAULT_SOCKET})`,
      collect,
    )
    .option('--socket <address>', 'the same as --host')
    .option('--tlsverify', 'TCP: require a client certificate signed by --tlscacert (TLS 1.2 or newer)')
    .option('--tlscacert <file>', 'the CA client certificates must chain to (PEM)')
    .option('--tlscert <file>', "the service's certificate (PEM)")
    .option('--tlskey <file>', "the service certificate's private key (PEM)")
    .option('-t, --timeout <seconds>', 'seconds without a request before the service exits; 0: never', '0')
    .action(async (options: ServiceFlags, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('system service');
      if (!/^\d+$/.test(options.timeout))
        throw new InvalidValueError('--timeout', options.timeout, 'expected a number of seconds');
      const hosts = [...(options.host ?? []), ...(options.socket ? [options.socket] : [])];
      const files = [options.tlscacert, options.tlscert, options.tlskey];
      if (options.tlsverify && files.some((file) => file === undefined))
        throw new UsageError('--tlsverify needs --tlscacert, --tlscert and --tlskey');
      if (!options.tlsverify && files.some((file) => file !== undefined))
        throw new UsageError('--tlscacert, --tlscert and --tlskey go with --tlsverify', {
          hint: 'koker serves TCP only with client certificates: add --tlsverify',
        });
      // Loaded on demand: no other command pays for the server.
      const { serveApi } = await import('../../api/serve-api.js');
      await serveApi(ctx, {
        hosts: hosts.length > 0 ? hosts : [DEFAULT_SOCKET],
        ...(options.tlsverify && options.tlscacert && options.tlscert && options.tlskey
          ? { tls: { ca: options.tlscacert, cert: options.tlscert, key: options.tlskey } }
          : {}),
        timeoutSeconds: Number(options.timeout),
      });
      // The containers are their monitors': nothing left here is worth waiting for.
      setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
    });
}
