export * from './fake-cgroupfs.js';
