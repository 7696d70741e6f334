export * from './driver-catalog.js';
export * from './driver-registration.js';
