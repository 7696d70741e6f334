import { RegistryError, STALL_MIN_BYTES, type RegistryTimeouts } from '@koker/core';
import { networkCode } from './retry.js';

export type Deadline = keyof RegistryTimeouts;

const SETTING: Readonly<Record<Deadline, string>> = {
  connect: 'KOKER_REGISTRY_CONNECT_TIMEOUT',
  idle: 'KOKER_REGISTRY_IDLE_TIMEOUT',
  stall: 'KOKER_REGISTRY_STALL_TIMEOUT',
};

/** A transfer passed one of its deadlines: the pull ends here, without another try. */
export class RegistryDeadlineError extends RegistryError {
  constructor(
    readonly deadline: Deadline,
    readonly seconds: number,
    registry: string,
    what: string,
    options: { cause?: unknown } = {},
  ) {
    const words =
      deadline === 'connect'
        ? `could not connect within ${seconds} s`
        : deadline === 'idle'
          ? `sent no byte for ${seconds} s`
          : `moved less than ${STALL_MIN_BYTES} bytes in ${seconds} s`;
    super(`registry ${registry} ${words} while sending ${what} (the ${deadline} deadline)`, {
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      hint: `the registry or the network is stalled; on a slow link raise registry.timeouts.${deadline} in koker's config or ${SETTING[deadline]} (seconds)`,
    });
  }
}

/** Which deadline undici's timeout error stands for, if it is one. */
export function deadlineOf(error: unknown): Deadline | undefined {
  if (error instanceof StallError) return 'stall';
  switch (networkCode(error)) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'idle';
    default:
      return undefined;
  }
}

/** The body of a response stopped by the stall watchdog. */
export class StallError extends Error {
  readonly code = 'KOKER_STALL';
}

/**
 * Iterates a response body, destroying it with a StallError when a `stallSeconds` window ends
 * with fewer than STALL_MIN_BYTES received: a registry that drips a byte now and then (never
 * idle long enough for the idle deadline) still ends.
 */
export async function* watchedChunks(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  stallSeconds: number,
): AsyncGenerator<Buffer> {
  let inWindow = 0;
  const timer = setInterval(() => {
    if (inWindow < STALL_MIN_BYTES)
      body.destroy(new StallError(`stalled: ${inWindow} bytes in ${stallSeconds} s`));
    inWindow = 0;
  }, stallSeconds * 1000);
  try {
    for await (const chunk of body) {
      inWindow += chunk.length;
      yield chunk;
    }
  } finally {
    clearInterval(timer);
  }
}
