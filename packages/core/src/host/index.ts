export * from './cgroup-layout.js';
export * from './host-facts.js';
export * from './mountinfo.js';
