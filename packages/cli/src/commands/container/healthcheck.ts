import { Command } from 'commander';
import { parseContainerId } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { runHealthChecks } from '../../containers/health-checker.js';

/**
 * `koker container healthcheck ID` (hidden): started by koker-monitor beside a container with a
 * health check (`--companion`), ended by it with SIGTERM when the container ends.
 */
export function healthcheckCommand(name = 'healthcheck'): Command {
  return new Command(name)
    .description("Run a container's health checks while it runs (run by its monitor)")
    .argument('<id>', 'full container ID')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('container healthcheck');
      // The monitor's SIGTERM ends the loop at once (a check in flight dies with its helper).
      process.once('SIGTERM', () => process.exit(0));
      await runHealthChecks(ctx, parseContainerId(id));
    });
}
