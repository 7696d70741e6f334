import 'reflect-metadata';
import { CommanderError } from 'commander';
import { DEFAULT_ROOT, UsageError, noSpaceOr } from '@koker/core';
import { exitCodeOf } from './exit-code.js';
import { failureExitCode } from './exit-status.js';
import { reportError } from './output/report-error.js';
import { buildProgram } from './program.js';
import { finishTrace, markMainStart, markProgramBuilt, traceTo } from './trace/command-trace.js';

/** Runs `koker` with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  markMainStart();
  const traceFile = process.env.KOKER_TRACE;
  if (traceFile) {
    // This invocation's alone: the processes it starts (a container's monitor and its cleanup)
    // would write theirs over it.
    delete process.env.KOKER_TRACE;
    traceTo(traceFile);
  }
  try {
    return await runMain(argv);
  } finally {
    finishTrace(argv);
  }
}

async function runMain(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  markProgramBuilt();
  program.exitOverride();
  // Commander's own error text is dropped: reportError prints the failure once, in koker's words.
  program.configureOutput({ outputError: () => undefined });
  const silence = (command: typeof program) => {
    command.exitOverride();
    command.configureOutput({ outputError: () => undefined });
    for (const sub of command.commands) silence(sub);
  };
  silence(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors are Docker's 125.
      if (
        error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
      )
        return 0;
      if (error.code === 'commander.help') return 0;
      return reportError(
        new UsageError(error.message.replace(/^error: /, ''), {
          hint: 'run koker --help (or koker COMMAND --help) for usage',
        }),
        {
          json: false,
          debug: false,
        },
      );
    }
    const globals = program.opts<{ logFormat?: string; debug?: boolean; root?: string }>();
    // A full disk anywhere (a state write, a layer, a log) is reported as such, with a path: the
    // one Node names, else the root koker writes under.
    const reported = noSpaceOr(error, globals.root || process.env.KOKER_ROOT || DEFAULT_ROOT);
    return reportError(reported, {
      json: globals.logFormat === 'json',
      debug: globals.debug === true,
      exitCode: failureExitCode(argv, reported),
    });
  }
}
