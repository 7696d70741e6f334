import { type DriverCatalog } from '@koker/core';
import { register as cgroupHybrid } from '@koker/driver-cgroup-hybrid';
import { register as cgroupV1 } from '@koker/driver-cgroup-v1';
import { register as cgroupV2 } from '@koker/driver-cgroup-v2';
import { register as overlay } from '@koker/fs-overlay/register';
import { register as bridge } from '@koker/net-bridge/register';
import { register as registry } from '@koker/registry-oci/register';
import { register as localVolumes } from '@koker/volume-local/register';

/** The drivers shipped with koker. Only this package knows them all. */
export function registerBuiltinDrivers(catalog: DriverCatalog): void {
  for (const register of [cgroupV2, cgroupHybrid, cgroupV1, overlay, bridge, registry, localVolumes])
    register(catalog);
}
