import { describe, it } from 'vitest';
import { describeResourcesDriver } from '@koker/core/testing';
import { snapshotHost } from '../helpers/host-leaks.js';
import { detectedDriver, joined, startIn } from './harness.js';

// The ResourceDriver contract, for real: the driver auto-detection picks on this kernel, its
// cgroups under a parent of a temporary root, a real process placed as the launcher does.
describeResourcesDriver(
  { describe, it },
  {
    name: "the auto-detected cgroup driver on this machine's kernel",
    create: async () => {
      const detected = await detectedDriver();
      const started: { kill: () => void }[] = [];
      return {
        driver: detected.driver,
        startProcess: async (placement) => {
          const payload = startIn(placement, 'sleep 600');
          started.push({ kill: () => process.kill(payload.pid, 'SIGKILL') });
          await joined(placement, payload);
          let ended = false;
          void payload.exited.then(() => (ended = true));
          return {
            pid: payload.pid,
            // The kill is seen when Node reaps the child: give it a moment.
            alive: async () => {
              for (let i = 0; i < 100 && !ended; i++) await new Promise((resolve) => setTimeout(resolve, 20));
              return !ended;
            },
          };
        },
        leftovers: () => snapshotHost().cgroups,
        dispose: async () => {
          for (const id of await detected.driver.list()) await detected.driver.destroy(id);
          for (const payload of started) {
            try {
              payload.kill();
            } catch {
              // already gone
            }
          }
          detected.cleanup();
        },
      };
    },
  },
);
