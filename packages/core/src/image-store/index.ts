export * from './file-image-store.js';
export * from './records.js';
export * from './shared-lock.js';
export * from './store-layout.js';
export * from './tag-index.js';
export * from './work-dir.js';
