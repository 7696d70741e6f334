import { Command } from 'commander';
import { cgroupParentSetting, cgroupSupport, type CgroupSupport } from '@koker/cgroups';
import {
  ImageSources,
  Network,
  Resources,
  Storage,
  Volumes,
  type CgroupLayout,
  type ContractKey,
  type ProbeReport,
} from '@koker/core';
import { contextOf } from '../../command-context.js';
import { startupSnapshotPath } from '../../startup-snapshot.js';

// Volumes: every usable driver serves (each volume names one); `local` is the default.
const CONTRACTS: readonly ContractKey<unknown>[] = [Resources, Storage, Network, ImageSources, Volumes];

function describeLimits(support: CgroupSupport, parent: string): string[] {
  const found = Object.entries(support.controllers).map(([c, where]) => `${c} ${where ? 'yes' : 'no'}`);
  const swap = support.swapAccounting === undefined ? 'unknown' : support.swapAccounting ? 'yes' : 'no';
  return [
    `  limits:        ${found.join(', ')}, swap accounting ${swap}`,
    `  containers in: ${parent}${parent.startsWith('/') ? '' : " (next to koker's own cgroup)"}`,
  ];
}

function describeLayout(layout: CgroupLayout): string[] {
  const lines = [`Cgroup layout:   ${layout.mode}`];
  if (layout.unifiedMount) {
    lines.push(
      `  cgroup2:       ${layout.unifiedMount} (controllers: ${layout.unifiedControllers.join(' ') || 'none'})`,
    );
  }
  for (const h of layout.v1) lines.push(`  v1:            ${h.mountPoint} (${h.controllers.join(',')})`);
  const own = Object.entries(layout.self).map(([k, v]) => `${k || 'cgroup2'}=${v}`);
  if (own.length) lines.push(`  koker's own:   ${own.join(' ')}`);
  return lines;
}

function describeDriver(report: ProbeReport, chosen: boolean): string {
  const state = chosen ? 'selected' : report.result.usable ? 'usable' : `not usable: ${report.result.reason}`;
  return `    ${chosen ? '*' : ' '} ${report.name.padEnd(16)} ${state}  (priority ${report.priority}; ${report.description})`;
}

/** `koker info`: kernel, cgroup layout, and per contract the driver picked and why not the others. */
export function infoCommand(): Command {
  return new Command('info')
    .description('Show the host layout and the driver picked for each contract')
    .option('--format <format>', 'text (default) or json')
    .action(async (options: { format?: string }, command: Command) => {
      const context = contextOf(command);
      const catalog = await context.catalog();
      const probeContext = { host: context.host, config: context.config };
      const drivers: Record<
        string,
        { selected?: string; forced?: string; error?: string; drivers: ProbeReport[] }
      > = {};
      for (const contract of CONTRACTS) {
        const reports = await catalog.probeAll(contract, probeContext);
        const forced = context.config.drivers[contract.id];
        let selected: string | undefined;
        let error: string | undefined;
        try {
          selected = (await catalog.select(contract, probeContext, forced)).chosen.name;
        } catch (e) {
          error = (e as Error).message;
        }
        drivers[contract.id] = {
          drivers: reports,
          ...(selected ? { selected } : {}),
          ...(forced ? { forced } : {}),
          ...(error ? { error } : {}),
        };
      }
      const layout = context.host.cgroupLayout;
      const support = cgroupSupport(layout);
      const parent = cgroupParentSetting(context.config);
      if (options.format === 'json') {
        const info = {
          kernel: context.host.kernelRelease,
          cgroupLayout: layout,
          cgroupSupport: support,
          cgroupParent: parent,
          root: context.config.root,
          runRoot: context.config.runRoot,
          startupSnapshot: startupSnapshotPath() ?? null,
          drivers,
        };
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const lines = [
        `Kernel:          ${context.host.kernelRelease}`,
        ...describeLayout(layout),
        ...describeLimits(support, parent),
        `Root:            ${context.config.root}`,
        `Running as root: ${context.host.isRoot ? 'yes' : 'no'}`,
        `Started from:    ${startupSnapshotPath() ?? 'the bundle (no start-up snapshot)'}`,
        'Drivers:',
      ];
      for (const [id, entry] of Object.entries(drivers)) {
        lines.push(
          `  ${id}:${entry.forced ? ` (forced: ${entry.forced})` : ''}${entry.error ? ` none usable: ${entry.error}` : ''}`,
        );
        for (const report of entry.drivers)
          lines.push(describeDriver(report, report.name === entry.selected));
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
