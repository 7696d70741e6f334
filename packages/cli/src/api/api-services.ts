import { type CliContext } from '../context.js';
import { type ContainerExits } from './monitor-bridge.js';
import { type StartWaiters } from './start-waiters.js';

/** What the routes share: koker's context (the same store and drivers as the CLI), and the service's own state. */
export interface ApiServices {
  readonly ctx: CliContext;
  readonly starts: StartWaiters;
  readonly exits: ContainerExits;
}
