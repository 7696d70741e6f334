import { readFileSync } from 'node:fs';
import { createSecureContext, createServer, type Server, type TlsOptions } from 'node:tls';
import { HostError, InvalidValueError, NotFoundError, UsageError, type Logger } from '@koker/core';

/** dockerd's `--tlscacert`, `--tlscert`, `--tlskey`: PEM files. */
export interface ClientCertificateFiles {
  /** The CA every client certificate must chain to. */
  readonly ca: string;
  /** The service's certificate and its key. */
  readonly cert: string;
  readonly key: string;
}

const HINT =
  'give --tlsverify --tlscacert CA.pem --tlscert SERVER-CERT.pem --tlskey SERVER-KEY.pem, or listen on unix:// only';

/**
 * The TLS a TCP listener needs: TLS 1.2 or newer, and a client certificate that chains to the
 * CA, required (dockerd's `--tlsverify`). koker has no plain or server-only TCP: whoever reaches
 * the port would drive the engine as root.
 */
export function clientCertificateTls(files: ClientCertificateFiles | undefined, where: string): TlsOptions {
  if (!files)
    throw new UsageError(`refusing to serve the API on ${where} without TLS client certificates`, {
      hint: HINT,
    });
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new NotFoundError(
        `cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        {
          hint: HINT,
        },
      );
    }
  };
  const options: TlsOptions = {
    ca: read('--tlscacert', files.ca),
    cert: read('--tlscert', files.cert),
    key: read('--tlskey', files.key),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
  try {
    // Bad PEM or a key that is not the certificate's: said now, not at the first client.
    createSecureContext(options);
  } catch (error) {
    throw new InvalidValueError(
      'TLS files',
      `${files.ca}, ${files.cert}, ${files.key}`,
      (error as Error).message,
      { hint: 'PEM files: the CA certificate, the service certificate and its private key' },
    );
  }
  return options;
}

/** A TLS listener that admits a connection only once its client certificate checked out. */
export function clientCertificateServer(options: TlsOptions, log: Logger): Server {
  const server = createServer(options);
  server.on('tlsClientError', (error, socket) => {
    log.debug({ err: error, remote: socket.remoteAddress }, 'TLS client refused');
    socket.destroy();
  });
  return server;
}

/** Listens on HOST:PORT; a port in use or an address not this host's is said with the address. */
export function listenTcp(server: Server, host: string, port: number, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        new HostError(`cannot listen on tcp://${host}:${port}: ${error.code ?? error.message}`, {
          cause: error,
          ...(error.code === 'EADDRINUSE' ? { hint: 'stop what listens there, or give another port' } : {}),
        }),
      );
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      log.debug({ host, port, tls: 'client certificates required', minVersion: 'TLSv1.2' }, 'Listen on TCP');
      resolve();
    });
  });
}
