import { Command } from 'commander';
import { NotFoundError, UsageError } from '@koker/core';
import { contextOf } from '../command-context.js';
import { type CliContext } from '../context.js';
import { GoTemplate } from '../output/template/index.js';
import { INSPECT_KINDS, inspectKind, type InspectKind } from './inspect-kinds.js';

/**
 * Docker's inspect output for `names`: a JSON array (4-space indents) of the documents found,
 * or `-f TEMPLATE` run on each, one line each; then a failure naming what was not found
 * (`No such object`, or `No such container` for one kind), exit 1.
 */
export async function inspectObjects(
  ctx: CliContext,
  names: readonly string[],
  kinds: readonly InspectKind[],
  format: string | undefined,
): Promise<void> {
  const template =
    format === undefined || format === '' || format === 'json'
      ? undefined
      : new GoTemplate(format.replace(/\\t/g, '\t').replace(/\\n/g, '\n'));
  const documents: unknown[] = [];
  const missing: string[] = [];
  try {
    for (const name of names) {
      let found: unknown;
      for (const kind of kinds) {
        found = await kind.find(ctx, name);
        if (found !== undefined) break;
      }
      if (found === undefined) missing.push(name);
      else if (template) process.stdout.write(`${template.execute(found)}\n`);
      else documents.push(found);
    }
  } finally {
    if (!template) process.stdout.write(`${JSON.stringify(documents, null, 4)}\n`);
  }
  if (missing.length > 0) {
    const what = kinds.length === 1 ? (kinds[0] as InspectKind).type : 'object';
    throw new NotFoundError(`no such ${what}: ${missing.join(', ')}`);
  }
}

/** `koker inspect` (every kind, or `--type`), `container inspect`, `image inspect`. */
export function inspectCommand(name = 'inspect', only?: string): Command {
  const what = only ? `${only}s` : 'containers, images and other objects';
  const command = new Command(name)
    .description(`Display detailed information on ${what}, as JSON`)
    .argument('<names...>', only ? `${only} names or IDs` : 'names or IDs')
    .option('-f, --format <template>', 'format the output using a Go template ({{.State.Pid}}) or json');
  if (!only)
    command.option(
      '--type <type>',
      `only objects of this type (${INSPECT_KINDS.map((k) => k.type).join(', ')})`,
    );
  if (only !== 'image') command.option('-s, --size', 'display total file sizes (koker: not computed)');
  return command.action(
    async (names: string[], options: { format?: string; type?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      ctx.requireRoot(only ? `${only} inspect` : 'inspect');
      const type = only ?? options.type;
      let kinds = INSPECT_KINDS;
      if (type !== undefined) {
        const kind = inspectKind(type);
        if (!kind) throw new UsageError(`"${type}" is not a valid value for --type`);
        kinds = [kind];
      }
      await inspectObjects(ctx, names, kinds, options.format);
    },
  );
}
