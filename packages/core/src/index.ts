import 'reflect-metadata';

export * from './cgroups/index.js';
export * from './config/index.js';
export * from './contracts/index.js';
export * from './discovery/index.js';
export * from './domain/index.js';
export * from './errors/index.js';
export * from './host/index.js';
export * from './image-store/index.js';
export * from './kernel/index.js';
export * from './launch/index.js';
export * from './lifecycle/index.js';
export * from './log/index.js';
export * from './oci/index.js';
export * from './run/index.js';
export * from './state/index.js';
