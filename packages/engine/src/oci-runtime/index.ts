export * from './bundle-plan.js';
export * from './runtime-config.js';
export * from './spec-reader.js';
export * from './launch-hooks.js';
