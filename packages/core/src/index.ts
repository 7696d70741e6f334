import 'reflect-metadata';

// The public surface of @koker/core: what drivers and front ends build on. Reviewed through
// the API report (api/core.api.md); a change here is a change to every driver.
export * from './config/index.js';
export * from './contracts/index.js';
export * from './discovery/index.js';
export * from './domain/index.js';
export * from './errors/index.js';
export * from './host/cgroup-layout.js';
export * from './host/host-view.js';
export * from './host/mountinfo.js';
export * from './kernel/syscalls.js';
export * from './log/logger.js';
export * from './oci/index.js';
export * from './trace/tracer.js';
