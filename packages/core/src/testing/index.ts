export * from './recording-logger.js';
