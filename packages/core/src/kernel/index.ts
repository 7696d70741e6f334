export * from './koffi-syscalls.js';
export * from './syscall-error.js';
export * from './syscalls.js';
