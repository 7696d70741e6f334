export * from './resource-scope.js';
export * from './run-orchestrator.js';
export * from './signal-guard.js';
