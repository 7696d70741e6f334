import { InvalidValueError, UsageError } from '@koker/core';

/** The most `--password-stdin` reads: a token is a few KiB; /dev/zero must not fill memory. */
export const STDIN_SECRET_MAX_BYTES = 64 * 1024;

/** All of stdin as text (for --password-stdin), refused past `maxBytes`. */
export async function readStdin(what: string, maxBytes = STDIN_SECRET_MAX_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      process.stdin.destroy();
      throw new InvalidValueError(what, 'stdin', `more than ${maxBytes / 1024} KiB`, {
        hint: `pipe in only the ${what}, e.g. koker login -u NAME --password-stdin < token.txt`,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on the terminal; without one, a prompt cannot be answered and the flag is needed instead. */
export async function readSecret(question: string, options: { echo: boolean }): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError(
      `cannot prompt for ${question.replace(/: $/, '').toLowerCase()}: stdin is not a terminal`,
      {
        hint: 'use -u NAME and --password-stdin',
      },
    );
  }
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let text = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (char === '\u0003') process.exit(130);
        if (char === '\u007f') text = text.slice(0, -1);
        else text += char;
        if (options.echo) process.stderr.write(char === '\u007f' ? '\b \b' : char);
      }
    };
    stdin.on('data', onData);
  });
}
