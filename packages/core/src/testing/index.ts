export * from './recording-logger.js';
export * from './conformance/index.js';
