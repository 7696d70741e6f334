export * from './koker-error.js';
export * from './kinds.js';
export * from './exit-code.js';
export * from './syscall-error.js';
export * from './no-space.js';
