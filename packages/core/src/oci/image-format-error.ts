import { KokerError } from '../errors/koker-error.js';

/** A manifest, index, config or archive that is not a valid container image (or one koker cannot use). */
export class ImageFormatError extends KokerError {
  readonly code = 'IMAGE_FORMAT';
}
