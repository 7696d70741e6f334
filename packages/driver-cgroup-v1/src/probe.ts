import { layoutProbe } from '@koker/cgroups';

/** Usable only where the host's cgroup layout is legacy. */
export const probe = layoutProbe('legacy');
