import { KokerError } from '@koker/core';

/** A `--format` template that does not parse, or fails on a value (Go's wording, as Docker prints it). */
export class TemplateError extends KokerError {
  readonly code = 'TEMPLATE';
}
