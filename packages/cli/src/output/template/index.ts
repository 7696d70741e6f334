export { GoTemplate } from './execute-template.js';
export { parseFormat, renderItems, renderTemplate, type OutputFormat } from './format-output.js';
export { alignTabs } from './tab-writer.js';
export { TemplateError } from './template-error.js';
export { TEMPLATE_FUNCTIONS, HEADER_FUNCTIONS, type TemplateFunction } from './template-functions.js';
export { goString, sprintf } from './go-format.js';
