import { UsageError } from '@koker/core';

/** All of stdin as text (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
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
