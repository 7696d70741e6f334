export * from './fake-cgroupfs.js';
export * from './driver-suite.js';
