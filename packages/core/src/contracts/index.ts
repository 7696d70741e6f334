export * from './contract-key.js';
export * from './image-source.js';
export * from './image-store.js';
export * from './launcher.js';
export * from './network.js';
export * from './resources.js';
export * from './state-store.js';
export * from './storage.js';
