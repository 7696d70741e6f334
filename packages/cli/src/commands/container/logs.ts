import { Command } from 'commander';
import { InvalidValueError, NotFoundError } from '@koker/core';
import { followContainerLog, readContainerLog, type LogLine } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';

interface LogsOptions {
  readonly follow?: boolean;
  readonly tail: string;
  readonly timestamps?: boolean;
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
    .action(async (container: string, options: LogsOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('logs');
      const tail = parseTail(options.tail);
      const id = await ctx.state.resolve(container);
      if (!(await lifecycleOf(ctx).settle(id))) throw new NotFoundError(`no such container: ${container}`);
      const dir = ctx.state.directory(id);
      const { lines, offset, assembler } = await readContainerLog(dir, { complete: !options.follow });
      const shown = tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
      for (const line of shown) await emit(line, options.timestamps === true);
      if (!options.follow) return;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const ended = () => !ctx.state.isKept(id);
        for await (const line of followContainerLog(dir, { offset, assembler }, ended, stop.signal))
          await emit(line, options.timestamps === true);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
