import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { buildRuntimeProgram } from './runtime-program.js';
import { type RuntimeServices } from './runtime-services.js';

/**
 * An error as runc reports it: the message on stderr, and with --log a line in the log file
 * (`{"level":"error","msg":...,"time":...}` with --log-format json); exit status 1.
 */
function reportFailure(
  message: string,
  services: RuntimeServices | undefined,
  argv: readonly string[],
): number {
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
  };
  const log = services?.globals.log ?? flag('--log');
  const json = (services?.globals.logFormat ?? flag('--log-format')) === 'json';
  const time = new Date().toISOString();
  if (log) {
    try {
      appendFileSync(
        log,
        json
          ? `${JSON.stringify({ level: 'error', msg: message, time })}\n`
          : `time="${time}" level=error msg="${message.replace(/"/g, '\\"')}"\n`,
      );
    } catch {
      // the message still reaches stderr
    }
  }
  process.stderr.write(`${message}\n`);
  return 1;
}

export async function runtimeMain(argv: readonly string[]): Promise<number> {
  const result: { code: number; services?: RuntimeServices } = { code: 0 };
  const program = buildRuntimeProgram(result);
  const silence = (command: typeof program) => {
    command.exitOverride();
    command.configureOutput({ outputError: () => undefined });
    for (const sub of command.commands) silence(sub);
  };
  silence(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.exitCode === 0 ||
        ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)
      )
        return 0;
      return reportFailure(error.message.replace(/^error: /, ''), result.services, argv);
    }
    return reportFailure(error instanceof Error ? error.message : String(error), result.services, argv);
  } finally {
    result.services?.close();
  }
}

const code = await runtimeMain(process.argv.slice(2));
process.exitCode = code;
