export * from './chain-id.js';
export * from './image-config.js';
export * from './image-format-error.js';
export * from './manifest.js';
export * from './media-types.js';
export * from './platform-select.js';
