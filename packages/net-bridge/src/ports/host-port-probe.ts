import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { ConflictError, InvalidValueError, type PortProtocol } from '@koker/core';

/** Binds `hostIp:port` for a moment: the port the kernel gave (for port 0), or why it cannot. */
function bindOnce(protocol: PortProtocol, hostIp: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen({ host: hostIp, port, exclusive: true }, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
      });
    } else {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind({ address: hostIp, port, exclusive: true }, () => {
        const bound = socket.address().port;
        socket.close(() => resolve(bound));
      });
    }
  });
}

function explain(error: unknown, protocol: PortProtocol, hostIp: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new ConflictError(`host port ${hostIp}:${port}/${protocol} is already in use on this host`, {
      hint: 'publish on another host port, or stop what listens there',
    });
  }
  if (code === 'EADDRNOTAVAIL')
    return new InvalidValueError('host address', hostIp, 'it is not an address of this host');
  return error as Error;
}

/** Checks that nothing on the host listens on the port: DNAT would silently take it over. */
export async function assertHostPortFree(
  protocol: PortProtocol,
  hostIp: string,
  port: number,
): Promise<void> {
  try {
    await bindOnce(protocol, hostIp, port);
  } catch (error) {
    throw explain(error, protocol, hostIp, port);
  }
}

/** A port the kernel considers free, and `isTaken` (koker's own claims) does not. */
export async function pickFreeHostPort(
  protocol: PortProtocol,
  hostIp: string,
  isTaken: (port: number) => boolean,
): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let port: number;
    try {
      port = await bindOnce(protocol, hostIp, 0);
    } catch (error) {
      throw explain(error, protocol, hostIp, 0);
    }
    if (!isTaken(port)) return port;
  }
  throw new ConflictError(`found no free host port for ${protocol} on ${hostIp}`);
}
