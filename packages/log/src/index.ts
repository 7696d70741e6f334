export * from './console-format.js';
export * from './logger.js';
