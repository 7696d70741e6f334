import { installStaticProgram, staticProgramBase64 } from '../helpers/static-program.js';

/** exe-scan.c: looks for the host's koker-init through /proc/<pid>/exe and maps. */
export const exeScanBase64 = (): string => staticProgramBase64(new URL('./exe-scan.c', import.meta.url));

/** The shell command that installs the scanner from stdin at `path` in a container. */
export const installExeScan = installStaticProgram;
