import { layoutProbe } from '@koker/cgroups';

/** Usable only where the host's cgroup layout is unified. */
export const probe = layoutProbe('unified');
