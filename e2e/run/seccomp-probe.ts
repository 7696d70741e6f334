import { installStaticProgram, staticProgramBase64 } from '../helpers/static-program.js';

/** seccomp-probe.c: calls what the default seccomp profile denies. */
export const seccompProbeBase64 = (): string =>
  staticProgramBase64(new URL('./seccomp-probe.c', import.meta.url));

/** The shell command that installs the probe from stdin at /tmp/probe and runs it. */
export const runSeccompProbe = `${installStaticProgram('/tmp/probe')} && /tmp/probe`;
