import { KokerError } from '@koker/core';

/** A RUN step's command failed: `koker build` exits 1, as `docker build` does. */
export class BuildStepError extends KokerError {
  readonly code = 'BUILD_STEP';
  override readonly exitCode: number = 1;
}
