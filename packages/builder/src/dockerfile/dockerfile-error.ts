import { UsageError } from '@koker/core';

/** A Dockerfile (or `--change`) that does not parse: the message names the line when known. */
export class DockerfileError extends UsageError {
  constructor(message: string, line?: number) {
    super(
      line === undefined
        ? `dockerfile parse error: ${message}`
        : `dockerfile parse error on line ${line}: ${message}`,
    );
  }
}
