import { type LaunchHook, type LaunchHooks } from '@koker/core';
import { type SpecHook, type SpecHooks } from './runtime-config.js';

/** What a hook's state JSON says besides its status and pid. */
export interface HookStateBase {
  readonly ociVersion: string;
  readonly id: string;
  readonly bundle: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * The runtime-spec's state JSON, split where the pid goes: the native helper, which alone knows
 * the container's pid when the hook runs, writes the two parts around it.
 */
export function splitHookState(base: HookStateBase, status: string): LaunchHook['state'] {
  const head = JSON.stringify({ ociVersion: base.ociVersion, id: base.id, status });
  const tail = JSON.stringify({
    bundle: base.bundle,
    ...(Object.keys(base.annotations).length > 0 ? { annotations: base.annotations } : {}),
  });
  return { beforePid: `${head.slice(0, -1)},"pid":`, afterPid: `,${tail.slice(1)}` };
}

function launchHook(hook: SpecHook, state: LaunchHook['state']): LaunchHook {
  return {
    path: hook.path,
    args: hook.args,
    env: hook.env,
    ...(hook.timeout !== undefined && hook.timeout > 0 ? { timeout: hook.timeout } : {}),
    state,
  };
}

/**
 * The hooks that run while the container is made, with the state each sees (runc's: `creating`
 * until the process waits for `start`, `created` for startContainer). poststart and poststop run
 * from koker-runtime itself, after `start` and `delete`.
 */
export function launchHooks(hooks: SpecHooks, base: HookStateBase): LaunchHooks | undefined {
  const creating = splitHookState(base, 'creating');
  const created = splitHookState(base, 'created');
  const plan: LaunchHooks = {
    prestart: hooks.prestart.map((h) => launchHook(h, creating)),
    createRuntime: hooks.createRuntime.map((h) => launchHook(h, creating)),
    createContainer: hooks.createContainer.map((h) => launchHook(h, creating)),
    startContainer: hooks.startContainer.map((h) => launchHook(h, created)),
  };
  return Object.values(plan).some((list) => list.length > 0) ? plan : undefined;
}
