import { layoutProbe } from '@koker/cgroups';

/** Usable only where the host's cgroup layout is hybrid. */
export const probe = layoutProbe('hybrid');
