export * from './container-lifecycle.js';
export * from './exit-file.js';
export * from './observe-container.js';
export * from './signals.js';
export * from './teardown.js';
export * from './garbage-collector.js';
export * from './container-log.js';
export * from './start-container.js';
