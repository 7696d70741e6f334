export * from './mount-request.js';
export * from './mount-steps.js';
export * from './resolve-mounts.js';
export * from './volume-drivers.js';
export * from './volume-filters.js';
export * from './volume-usage.js';
export * from './held-mounts.js';
export * from './volume-locks.js';
