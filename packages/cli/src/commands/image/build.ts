import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { InvalidValueError } from '@koker/core';
import { buildImage } from '../../builds/build-image.js';
import { parseSecrets } from '../../builds/build-secrets.js';
import { collect, contextOf } from '../../command-context.js';

interface BuildFlags {
  readonly file?: string;
  readonly tag: string[];
  readonly buildArg: string[];
  readonly label: string[];
  readonly cache: boolean;
  readonly pull?: boolean;
  readonly quiet?: boolean;
  readonly iidfile?: string;
  readonly network?: string;
  readonly target?: string;
  readonly secret: string[];
}

function keyValues(flag: string, values: readonly string[], fromEnv: boolean): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of values) {
    const at = value.indexOf('=');
    if (at === 0) throw new InvalidValueError(flag, value, 'the key is empty');
    if (at < 0) {
      // `--build-arg KEY` takes the value from koker's environment (skipped when unset).
      const env = fromEnv ? process.env[value] : '';
      if (env !== undefined) map.set(value, env);
      continue;
    }
    map.set(value.slice(0, at), value.slice(at + 1));
  }
  return map;
}

/**
 * stdout for the build's progress and its steps' output: when the reader goes away (`| head`),
 * the build goes on without output instead of failing on EPIPE.
 */
function stdoutWhileRead(): Writable {
  let gone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    gone = true;
  });
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!gone) process.stdout.write(chunk);
      done();
    },
  });
}

/** `koker build [OPTIONS] PATH | -`: an image from a Dockerfile. */
export function buildCommand(name = 'build'): Command {
  return new Command(name)
    .description('Build an image from a Dockerfile')
    .argument(
      '<context>',
      'the build context: a directory, a Git URL (#ref:dir), an http(s) URL or - (a tar archive or a Dockerfile)',
    )
    .option('-f, --file <path>', "Name of the Dockerfile (default: 'PATH/Dockerfile')")
    .option('-t, --tag <name>', "Name and optionally a tag in the 'name:tag' format", collect, [])
    .option('--build-arg <key=value>', 'Set build-time variables', collect, [])
    .option('--label <key=value>', 'Set metadata for an image', collect, [])
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--iidfile <file>', 'Write the image ID to the file')
    .option('--network <mode>', 'Set the networking mode for the RUN instructions during build')
    .option('--target <stage>', 'Set the target build stage to build')
    .option(
      '--secret <id=ID,src=FILE|env=VAR>',
      'Secret to expose to the build (RUN --mount=type=secret)',
      collect,
      [],
    )
    .action(async (path: string, flags: BuildFlags, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('build');
      const out = flags.quiet ? undefined : stdoutWhileRead();
      const id = await buildImage(
        ctx,
        { path, file: flags.file },
        {
          buildArgs: keyValues('--build-arg', flags.buildArg, true),
          ...(flags.target !== undefined ? { target: flags.target } : {}),
          noCache: !flags.cache,
          pull: flags.pull === true,
          ...(flags.network !== undefined ? { network: flags.network } : {}),
          labels: Object.fromEntries(keyValues('--label', flags.label, false)),
          tags: flags.tag,
          secrets: parseSecrets(flags.secret),
        },
        out,
      );
      if (flags.iidfile !== undefined) writeFileSync(flags.iidfile, id);
      if (flags.quiet) process.stdout.write(`${id}\n`);
    });
}
