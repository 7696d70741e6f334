// Writes the x86_64 syscall-number table koker's seccomp compiler uses, from the kernel headers:
//   node scripts/syscall-table.mjs > packages/engine/src/launch/seccomp/syscalls-x86_64.ts
import { readFileSync } from 'node:fs';

const header = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
const rows = [...header.matchAll(/^#define __NR_(\w+)\s+(\d+)$/gm)].map(
  ([, name, nr]) => `  ${name}: ${nr},`,
);
process.stdout.write(
  `/** x86_64 syscall numbers (generated from asm/unistd_64.h by scripts/syscall-table.mjs). */\n` +
    `export const SYSCALLS_X86_64: Readonly<Record<string, number>> = {\n${rows.join('\n')}\n};\n`,
);
