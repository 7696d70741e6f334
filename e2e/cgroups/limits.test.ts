import { afterAll, beforeAll, describe, it } from 'vitest';
import { CGROUP_CHECKS, type CgroupCheckContext } from './checks.js';
import { detectedDriver } from './harness.js';

let context: CgroupCheckContext;
let cleanup: () => void;

beforeAll(async () => {
  const detected = await detectedDriver();
  context = detected;
  cleanup = detected.cleanup;
});

afterAll(async () => {
  // Whatever a failed check left: the real teardown path removes it.
  for (const id of (await context?.driver.list()) ?? []) await context.driver.destroy(id);
  cleanup?.();
});

// The same checks run in a guest of every cgroup layout with `npm run test:kernels`.
describe("cgroup drivers on this machine's kernel and layout", () => {
  for (const check of CGROUP_CHECKS) it(check.name, () => check.run(context));
});
