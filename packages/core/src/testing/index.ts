export * from './fake-cgroupfs.js';
export * from './recording-logger.js';
