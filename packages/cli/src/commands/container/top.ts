import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { HostError, Resources } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { runningContainer } from '../../containers/running-container.js';
import { alignTabs } from '../../output/template/index.js';

/**
 * `ps` output cut to the container's processes, as Docker's `top`: the PID column found by its
 * header, each line split on blanks with the last column (the command) kept whole.
 */
export function processTable(
  psOutput: string,
  pids: ReadonlySet<number>,
): { titles: string[]; rows: string[][] } {
  const lines = psOutput.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0)
    throw new HostError('ps output has no PID column (pass an option that keeps it, e.g. -o pid,args)');
  const rows: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidColumn]))) rows.push(row);
  }
  return { titles, rows };
}

/** A running container's processes as `ps ARGS` shows them (default `-ef`); `top` and the API. */
export async function containerProcesses(
  ctx: CliContext,
  container: string,
  psOptions: readonly string[],
): Promise<{ titles: string[]; rows: string[][] }> {
  const record = await runningContainer(ctx, container);
  const placement = await (await ctx.driver(Resources)).placement(record.id);
  const pids = new Set<number>();
  for (const file of placement.procsFiles)
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) pids.add(Number(line));
  const args = psOptions.length > 0 ? [...psOptions] : ['-ef'];
  ctx.log.debug({ args: args.join(' '), pids: pids.size }, 'Run ps for the container');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    throw new HostError(`ps ${args.join(' ')} failed: ${(error as Error).message.trim()}`);
  }
  return processTable(stdout, pids);
}

/** `koker top CONTAINER [ps OPTIONS]` (default `-ef`). */
export function topCommand(name = 'top'): Command {
  return new Command(name)
    .description('Display the running processes of a container')
    .usage('[options] CONTAINER [ps OPTIONS]')
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('[psOptions...]', 'options passed to ps (default -ef)')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (container: string, psOptions: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('top');
      const { titles, rows } = await containerProcesses(ctx, container, psOptions);
      process.stdout.write(
        alignTabs([titles, ...rows].map((r) => `${r.join('\t')}\n`).join(''), { minWidth: 20 }),
      );
    });
}
