export * from './atomic-file.js';
export * from './container-record-codec.js';
export * from './file-lock.js';
export * from './file-state-store.js';
export * from './flock.js';
