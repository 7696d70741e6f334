export * from './koffi-syscalls.js';
export * from './syscall-error.js';
export * from './syscalls.js';
export * from './native-addon.js';
export * from './xattr.js';
