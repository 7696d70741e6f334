export * from './bpf.js';
export * from './compile.js';
export * from './profile.js';
