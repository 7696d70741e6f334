import { afterAll, beforeAll, describe, it } from 'vitest';
import { detectedDriver } from '../cgroups/harness.js';
import { RUN_CHECKS } from './checks.js';

// The launcher's layout-dependent checks on this machine; `npm run test:kernels` runs the same
// ones in a guest of each cgroup layout.
let detected: Awaited<ReturnType<typeof detectedDriver>>;
beforeAll(async () => {
  detected = await detectedDriver();
});
afterAll(() => detected?.cleanup());

describe('the launcher in this cgroup layout', () => {
  for (const check of RUN_CHECKS) it(check.name, () => check.run(detected));
});
