import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KOKER_BIN } from '../helpers/koker.js';

/** `koker system service` on a socket of its own, over a suite's root and config. */
export interface ApiService {
  readonly socket: string;
  /** DOCKER_HOST for clients. */
  readonly host: string;
  /** What the service logged (its pino lines). */
  log(): string;
  stop(): Promise<number | null>;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request over the unix socket. */
export function apiRequest(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method, path, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The service on `ROOT/api.sock`, and on whatever `more` adds (`-H tcp://...` with its TLS flags). */
export async function startApiService(
  root: string,
  env: NodeJS.ProcessEnv,
  more: readonly string[] = [],
): Promise<ApiService> {
  const socket = join(root, 'api.sock');
  let output = '';
  const child: ChildProcess = spawn(
    KOKER_BIN,
    ['--root', root, '--debug', 'system', 'service', '--socket', `unix://${socket}`, ...more],
    { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await apiRequest(socket, 'GET', '/_ping').catch(() => undefined);
    if (answer?.status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API service did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    socket,
    host: `unix://${socket}`,
    log: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface ClientResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A client binary (Debian's `docker`, `docker-compose`) pointed at the service, with a config dir of its own. */
export function dockerClient(service: ApiService) {
  const config = mkdtempSync(join(tmpdir(), 'koker-e2e-docker-config-'));
  /**
   * `input`: what the command reads, then the end of its stdin; `null`: its stdin stays open
   * until it ends (`script` passes the end of its stdin to the terminal as its EOF character,
   * which a client that made the terminal raw forwards to the container as a byte).
   */
  const run = (
    command: string,
    args: readonly string[],
    input: string | null = '',
    timeoutMs = 60_000,
  ): Promise<ClientResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: { ...process.env, DOCKER_HOST: service.host, DOCKER_CONFIG: config, NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      if (input !== null) child.stdin.end(input);
      else child.on('exit', () => child.stdin.destroy());
    });
  return {
    docker: (args: readonly string[], input?: string) => run('docker', args, input),
    run,
    env: { DOCKER_HOST: service.host, DOCKER_CONFIG: config },
    remove: () => rmSync(config, { recursive: true, force: true }),
  };
}
