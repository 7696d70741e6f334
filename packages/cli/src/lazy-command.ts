import { Command } from 'commander';

/**
 * A command known by its names only; its module (and everything that module imports) is loaded
 * when the command line names it, or when help needs the whole tree. Start-up time is a goal
 * (docs/benchmarks.md): `koker run` must not load the code of `pull`, `save` or `stats`.
 */
export interface LazyCommand {
  readonly names: readonly string[];
  readonly hidden?: boolean;
  load(): Promise<Command>;
}

// Global options that take a value (the value is not a command name).
const WITH_VALUE = new Set([
  '--root',
  '--log-format',
  '--cgroup-driver',
  '--storage-driver',
  '--network-driver',
]);

/** Where the first word of `argv` that is not an option or an option's value is (`run` in `-D run x`), or -1. */
export function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!word.startsWith('-') || word === '-') return i;
    if (WITH_VALUE.has(word)) i++;
  }
  return -1;
}

/**
 * Adds to `parent` the one command `argv` (the words after the parent's) names, or every command
 * when it names none of them (help, a typo: commander then explains, with the whole tree), or
 * none at all with `none` when `argv` has no command word (`koker --version`).
 */
export async function addCommands(
  parent: Command,
  table: readonly LazyCommand[],
  argv: readonly string[],
  options: { none?: boolean } = {},
): Promise<void> {
  const at = commandIndex(argv);
  const word = at < 0 ? undefined : argv[at];
  const named = word === undefined ? undefined : table.find((c) => c.names.includes(word));
  const chosen = named ? [named] : options.none && word === undefined ? [] : table;
  for (const command of chosen) {
    const loaded = await command.load();
    if (loaded instanceof LazyGroup) await loaded.populate(named ? argv.slice(at + 1) : []);
    parent.addCommand(loaded, { hidden: command.hidden ?? false });
  }
}

/** A command group (`container`, `image`, `system`) whose subcommands load lazily too. */
export class LazyGroup extends Command {
  constructor(
    name: string,
    private readonly subcommands: readonly LazyCommand[],
  ) {
    super(name);
  }

  populate(argv: readonly string[]): Promise<void> {
    return addCommands(this, this.subcommands, argv);
  }
}
