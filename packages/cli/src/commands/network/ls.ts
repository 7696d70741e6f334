import { Command } from 'commander';
import { collect, contextOf } from '../../command-context.js';
import { parseFormat, renderItems } from '../../output/template/index.js';
import {
  DEFAULT_NETWORK_FORMAT,
  NETWORK_HEADERS,
  NetworkContext,
} from '../../output/volume-network-context.js';
import { networkMatches, userNetworksOf } from '../../networks/user-networks.js';
import { listedUserNetwork, predefinedNetworks } from '../../networks/predefined-networks.js';

export function networkLsCommand(): Command {
  return new Command('ls')
    .description('List networks')
    .option('-q, --quiet', 'only display network IDs')
    .option('--no-trunc', 'do not truncate the output')
    .option(
      '-f, --filter <filter>',
      'filter output (name=, id=, label=, driver=, scope=, type=, dangling=)',
      collect,
    )
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(
      async (
        flags: { quiet?: boolean; trunc: boolean; filter?: string[]; format?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        const format = parseFormat(flags.format);
        context.requireRoot('network ls');
        const users = (await (await userNetworksOf(context)).list()).map(listedUserNetwork);
        const networks = [...(await predefinedNetworks(context)), ...users]
          .filter((n) => networkMatches(n, flags.filter ?? []))
          .sort((a, b) => a.name.localeCompare(b.name));
        const id = (full: string) => (flags.trunc ? full.slice(0, 12) : full);
        if (flags.quiet) {
          process.stdout.write(networks.map((n) => `${id(n.id)}\n`).join(''));
          return;
        }
        process.stdout.write(
          renderItems(
            format,
            DEFAULT_NETWORK_FORMAT,
            networks.map((n) => new NetworkContext(n, flags.trunc)),
            NETWORK_HEADERS,
          ),
        );
      },
    );
}
