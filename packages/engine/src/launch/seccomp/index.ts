export * from './bpf.js';
export * from './compile.js';
export * from './profile.js';
export * from './docker-profile.js';
