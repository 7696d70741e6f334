export * from './load-archive.js';
export * from './save-archive.js';
export * from './tar-index.js';
