import { spawn } from 'node:child_process';

/** A loopback HTTP server of the files in a directory: 404 for anything else. */
export interface FileServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  stop(): void;
}

/**
 * Starts it in a process of its own, so that a test that runs koker synchronously (which blocks
 * this one) is still answered. Every file is served as `application/octet-stream`, as a server
 * that does not know the type says.
 */
export async function serveFiles(dir: string): Promise<FileServer> {
  const program = `
    const { createReadStream, statSync } = require('node:fs');
    const { join, normalize } = require('node:path');
    const root = ${JSON.stringify(dir)};
    require('node:http').createServer((q, r) => {
      const path = join(root, normalize('/' + decodeURIComponent(q.url.split('?')[0])));
      let file;
      try { file = statSync(path).isFile(); } catch { file = false; }
      if (!file) { r.statusCode = 404; r.end('not found'); return; }
      r.setHeader('Content-Type', 'application/octet-stream');
      createReadStream(path).pipe(r);
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const server = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (c: Buffer) => resolve(c.toString().trim()));
    server.once('exit', (code) => reject(new Error(`the file server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => server.kill() };
}
