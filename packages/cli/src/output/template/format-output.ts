import { GoTemplate } from './execute-template.js';
import { alignTabs } from './tab-writer.js';
import { HEADER_FUNCTIONS } from './template-functions.js';

/**
 * A `--format` value as Docker reads it: `table`, `json`, `table TEMPLATE` (a header line, then
 * aligned columns) or a bare TEMPLATE (one line per item, no header). `\t` and `\n` written as
 * two characters mean a tab and a newline.
 */
export type OutputFormat =
  | { readonly kind: 'table'; readonly template: GoTemplate | undefined }
  | { readonly kind: 'json' }
  | { readonly kind: 'template'; readonly template: GoTemplate };

export function parseFormat(format: string | undefined): OutputFormat {
  const value = format ?? '';
  if (value === '' || value === 'table') return { kind: 'table', template: undefined };
  if (value === 'json') return { kind: 'json' };
  const table = value.startsWith('table');
  const body = (table ? value.slice('table'.length) : value)
    .trim()
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n');
  const template = new GoTemplate(body);
  return table ? { kind: 'table', template } : { kind: 'template', template };
}

/**
 * Items through a template: with a header (the template run on `headers`, Docker's functions
 * returning their argument as is) and aligned with Docker's tabwriter when `table`.
 */
export function renderTemplate(
  template: GoTemplate,
  items: readonly unknown[],
  options: { table: boolean; headers?: Readonly<Record<string, unknown>> },
): string {
  const rows = items.map((item) => `${template.execute(item)}\n`).join('');
  if (!options.table) return rows;
  const header = options.headers
    ? `${template.withFunctions(HEADER_FUNCTIONS).execute(options.headers)}\n`
    : '';
  return alignTabs(header + rows);
}

/** The default table of a command (Docker's tabwriter) from its default `table ...` template. */
export function renderItems(
  format: OutputFormat,
  defaultTable: string,
  items: readonly unknown[],
  headers: Readonly<Record<string, unknown>>,
): string {
  switch (format.kind) {
    case 'json':
      return items.map((item) => `${JSON.stringify(item)}\n`).join('');
    case 'template':
      return renderTemplate(format.template, items, { table: false });
    case 'table':
      return renderTemplate(
        format.template ?? (parseFormat(defaultTable) as { template: GoTemplate }).template,
        items,
        {
          table: true,
          headers,
        },
      );
  }
}
