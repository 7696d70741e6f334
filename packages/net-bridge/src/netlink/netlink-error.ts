import { HostError, errnoName } from '@koker/core';

/** The kernel refused a netlink request: which step, the errno, and the kernel's own words. */
export class NetlinkError extends HostError {
  constructor(
    readonly step: string,
    readonly errno: number,
    readonly kernelMessage?: string,
  ) {
    super(`netlink: ${step} failed: ${errnoName(errno)}${kernelMessage ? ` (${kernelMessage})` : ''}`);
  }

  get errnoName(): string {
    return errnoName(this.errno);
  }
}
