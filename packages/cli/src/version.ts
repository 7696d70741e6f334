import packageJson from '../package.json' with { type: 'json' };

/** koker's version (the CLI package's). */
export const VERSION: string = packageJson.version;
