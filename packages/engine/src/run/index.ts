export * from './container-files.js';
export * from './exec-process.js';
export * from './crash-point.js';
export * from './resource-scope.js';
export * from './run-host.js';
export * from './run-orchestrator.js';
export * from './run-request.js';
export * from './signal-guard.js';
