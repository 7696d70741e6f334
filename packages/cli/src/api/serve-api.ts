import { createServer } from 'node:net';
import {
  ApiServer,
  type ClientCertificateFiles,
  activatedSocketFd,
  clientCertificateServer,
  clientCertificateTls,
  formatListenAddress,
  listenFd,
  listenTcp,
  listenUnix,
  parseListenAddress,
} from '@koker/api-server';
import { settleReported } from '../containers/settle-reported.js';
import { type CliContext } from '../context.js';
import { VERSION } from '../version.js';
import { type ApiServices } from './api-services.js';
import { containerExtraRoutes } from './container-extra-routes.js';
import { containerRoutes } from './container-routes.js';
import { StartWaiters } from './start-waiters.js';
import { execRoutes } from './exec-routes.js';
import { imageBuildRoutes } from './image-build-routes.js';
import { imageRoutes } from './image-routes.js';
import { ContainerExits, type SettleAtExit } from './monitor-bridge.js';
import { networkRoutes } from './network-routes.js';
import { systemRoutes } from './system-routes.js';
import { volumeRoutes } from './volume-routes.js';

export interface ServeOptions {
  /** dockerd's `-H`: `unix:///run/koker/koker.sock`, `tcp://HOST:PORT` (with `tls` only); one or more. */
  readonly hosts: readonly string[];
  /** `--tlsverify` with its CA, certificate and key: what every TCP host needs. */
  readonly tls?: ClientCertificateFiles;
  /** Seconds without a request before the service exits; 0: never. */
  readonly timeoutSeconds: number;
}

/**
 * `koker system service`: the Engine API over this invocation's context, the same store and
 * drivers as the CLI's commands, until SIGINT/SIGTERM (or the idle timeout). Running containers
 * are their monitors' and stay when the service stops.
 */
export async function serveApi(ctx: CliContext, options: ServeOptions): Promise<void> {
  const api: ApiServices = { ctx, starts: new StartWaiters(), exits: new ContainerExits(settleAtExit(ctx)) };
  const server = new ApiServer({
    routes: [
      ...systemRoutes(api),
      ...containerRoutes(api),
      ...containerExtraRoutes(api),
      ...execRoutes(api),
      ...imageRoutes(api),
      ...imageBuildRoutes(api),
      ...networkRoutes(api),
      ...volumeRoutes(api),
    ],
    log: ctx.log,
    serverName: `koker/${VERSION} (linux)`,
  });
  // Every address and the TLS files checked before anything listens: a bad one starts nothing.
  const addresses = options.hosts.map(parseListenAddress);
  const firstTcp = addresses.find((address) => address.kind === 'tcp');
  const tls = firstTcp ? clientCertificateTls(options.tls, formatListenAddress(firstTcp)) : undefined;
  const activated = activatedSocketFd();
  try {
    if (activated !== undefined) {
      const listener = createServer();
      server.serve(listener);
      await listenFd(listener, activated);
      ctx.log.info({ fd: activated }, 'API service listening on the socket systemd passed');
    } else {
      for (const address of addresses) {
        if (address.kind === 'unix') {
          const listener = createServer();
          server.serve(listener);
          await listenUnix(listener, address.path, ctx.log);
        } else if (tls) {
          const listener = clientCertificateServer(tls, ctx.log);
          server.serve(listener);
          await listenTcp(listener, address.host, address.port, ctx.log);
        }
        ctx.log.info({ host: formatListenAddress(address) }, 'API service listening');
      }
    }
  } catch (error) {
    await server.close();
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = (reason: string) => {
      ctx.log.info({ reason }, 'API service stopping');
      clearInterval(idle);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Streams still open (followed logs, events, attaches) are not waited for.
      void server.close().then(resolve);
    };
    const onSignal = (signal: NodeJS.Signals) => stop(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const idle = setInterval(() => {
      if (options.timeoutSeconds > 0 && server.idleFor() >= options.timeoutSeconds * 1000)
        stop('idle timeout');
    }, 250);
    idle.unref();
  });
}

/** The service settles what it hears has ended, as an attached `koker run` does. */
function settleAtExit(ctx: CliContext): SettleAtExit {
  return async (id) => {
    const lock = await ctx.state.lockContainer(id);
    try {
      return (await settleReported(ctx, id, { exitReported: true })).settled;
    } catch (error) {
      ctx.log.debug({ err: error, container: id.slice(0, 12) }, "Container left to its monitor's cleanup");
      return undefined;
    } finally {
      lock.release();
    }
  };
}
