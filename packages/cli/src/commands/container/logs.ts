import { Command } from 'commander';
import { InvalidValueError, NotFoundError } from '@koker/core';
import { parseLogTimeFlag, readContainerLog, type LogLine, type LogReadOptions } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';

interface LogsOptions {
  readonly follow?: boolean;
  readonly tail: string;
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly until?: string;
}

function parseTail(input: string): number | undefined {
  if (input === 'all') return undefined;
  if (!/^\d+$/.test(input))
    throw new InvalidValueError('--tail', input, 'expected a number of lines or "all"');
  return Number(input);
}

/** Writes a line to the stream it came from, waiting when the reader is slow. */
async function emit(line: LogLine, timestamps: boolean): Promise<void> {
  const out = line.stream === 'stderr' ? process.stderr : process.stdout;
  const text = timestamps ? `${line.time} ${line.text}` : line.text;
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

export function logsCommand(name = 'logs'): Command {
  return new Command(name)
    .description("Show a container's output (stdout and stderr to their own streams)")
    .argument('<container>', 'container ID, ID prefix or name')
    .option('-f, --follow', 'follow the output')
    .option('-n, --tail <n>', 'number of lines from the end', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option(
      '--since <time>',
      'lines since a time (2024-05-01T10:00:00Z, a Unix time) or a duration before now (10m)',
    )
    .option('--until <time>', 'lines before a time or a duration before now')
    .action(async (container: string, options: LogsOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('logs');
      const tail = parseTail(options.tail);
      const since = options.since !== undefined ? parseLogTimeFlag('--since', options.since) : undefined;
      const until = options.until !== undefined ? parseLogTimeFlag('--until', options.until) : undefined;
      const id = await ctx.state.resolve(container);
      if (!(await lifecycleOf(ctx).settle(id))) throw new NotFoundError(`no such container: ${container}`);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      const read: LogReadOptions = {
        ...(tail !== undefined ? { tail } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(options.follow ? { follow: { ended: () => !ctx.state.isKept(id), signal: stop.signal } } : {}),
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for await (const line of readContainerLog(ctx.state.directory(id), read))
          await emit(line, options.timestamps === true);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
