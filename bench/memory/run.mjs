// bench/memory: peak resident memory. The koker CLI's (GNU `/usr/bin/time -v`, the largest process
// of the command's tree) for its main commands, podman's for the same runs, and a detached
// container's monitor (koker-monitor vs podman's conmon: VmHWM read from /proc while the container
// runs, the figure time -v would report for that process alone, before koker-monitor execs the
// cleanup). Registry commands too: `koker pull` of busybox and of the large fixture image, and
// `koker run` of it when not in the store yet (the run pulls it first), `koker push` of it to an
// empty loopback registry, `koker save` and `load` of it, beside
// skopeo's copy of the same image.
//
// KOKER_BENCH_MEMORY_ROWS=pull measures the pulls only (no podman, no monitors: a change's A/B
// within a short hold of the host-wide lock), written to bench/results/memory-pull.*;
// KOKER_BENCH_BEFORE=<another checkout's bin/koker> pulls with that build too, in alternating
// rounds (bench/lib/paired.mjs) with their wall and CPU times.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_PEAK_RSS_GOAL_KIB,
  KOKER,
  ensureApt,
  loadAverage,
  peakRssRow,
  runCleanups,
  writeResults,
} from '../lib/harness.mjs';
import { fixtureRegistry } from '../lib/fixtures.mjs';
import { busyboxArchive, freePrefix, setupKoker } from '../lib/koker-root.mjs';
import { paired } from '../lib/paired.mjs';
import { setupPodman } from '../lib/podman.mjs';

ensureApt('time', 'busybox-static', 'skopeo');
const RUNS = Number(process.env.KOKER_BENCH_RUNS ?? 5);
const MONITORS = 10;
const PULLS_ONLY = process.env.KOKER_BENCH_MEMORY_ROWS === 'pull';
const BEFORE = process.env.KOKER_BENCH_BEFORE;

/** VmHWM (KiB) of every live process whose argv[0] ends with `program` and whose argv contains `marker`. */
function peakOf(program, marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith(program) || !argv.some((a) => a.includes(marker))) continue;
      found.push(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

const dir = mkdtempSync(join(tmpdir(), 'koker-bench-memory-'));
const cleanups = [];
try {
  const rows = [];
  const notes = [];
  const source = await fixtureRegistry({ large: true });
  cleanups.push(() => source.stop());
  const pullRoot = join(dir, 'pull-root');
  const pullCommand = (koker, image) => `${koker} -q --root ${pullRoot} pull ${image} > /dev/null`;
  // `run` of an image not in the store pulls it first, in the same process.
  const pullingRunCommand = (koker, image) =>
    `${koker} -q --root ${pullRoot} run --rm --network none ${image} true > /dev/null`;
  const PULLING_RUN = 'koker run --rm --network none of the large fixture image, pulled first';
  if (PULLS_ONLY) {
    for (const [name, image, command] of [
      ['koker pull busybox', source.images.busybox, pullCommand],
      ['koker pull of the large fixture image', source.images.large, pullCommand],
      [PULLING_RUN, source.images.large, pullingRunCommand],
    ]) {
      const builds = [
        { name, koker: KOKER },
        ...(BEFORE ? [{ name: `${name} (before)`, koker: BEFORE }] : []),
      ];
      const measured = paired(
        builds.map((b) => ({
          name: b.name,
          prepare: `rm -rf ${pullRoot}`,
          command: command(b.koker, image),
        })),
        { rounds: RUNS, log: false },
      );
      for (const row of measured) {
        rows.push({
          name: row.name,
          peakKiB: row.peakRssKiB,
          minKiB: row.minRssKiB,
          maxKiB: row.maxRssKiB,
          runs: row.runs,
        });
        notes.push(`${row.name}: wall ${row.median.toFixed(2)} s, CPU ${row.cpu.toFixed(2)} s (medians)`);
      }
    }
    if (BEFORE) notes.push(`before: ${BEFORE}; alternating rounds, one untimed warm-up`);
    writeResults('memory-pull', {
      title: 'Peak memory (RSS) of koker pull',
      rows,
      goals: rows
        .filter((r) => !r.name.endsWith('(before)'))
        .map((r) => ({
          text: `${r.name}: peak RSS <= 80 MB (largest ${(r.maxKiB / 1024).toFixed(1)} MiB)`,
          ok: r.maxKiB <= CLI_PEAK_RSS_GOAL_KIB,
        })),
      notes: [...notes, `load average at the end: ${loadAverage()}`],
    });
  } else {
    const archive = busyboxArchive(dir);
    const koker = setupKoker({ dir, archive, subnet: freePrefix() });
    cleanups.push(() => koker.cleanup());
    const podman = setupPodman({ dir, archive, subnet: freePrefix() });
    cleanups.push(() => podman.cleanup());

    rows.push(
      peakRssRow('node -e 0', `${process.execPath} -e 0`, { runs: RUNS }),
      peakRssRow('koker --version', koker.command('--version'), { runs: RUNS }),
      peakRssRow(
        'koker run --rm --network none busybox true',
        koker.command('-q run --rm --network none busybox true'),
        {
          runs: RUNS,
        },
      ),
      peakRssRow('koker run --rm busybox true (bridge)', koker.command('-q run --rm busybox true'), {
        runs: RUNS,
      }),
      peakRssRow('koker images', koker.command('images'), { runs: RUNS }),
      peakRssRow(
        'podman run --rm --network none busybox true',
        podman.command('run --rm --network none busybox true'),
        { runs: RUNS },
      ),
    );

    // Registry commands: the pull's and push's memory is the buffers of the blobs passing through.
    const target = await fixtureRegistry({ writable: true });
    cleanups.push(() => target.stop());
    const pulled = (name, image) =>
      peakRssRow(name, `rm -rf ${pullRoot} && ${pullCommand(KOKER, image)}`, { runs: RUNS });
    rows.push(pulled('koker pull busybox', source.images.busybox));
    rows.push(pulled('koker pull of the large fixture image', source.images.large));
    rows.push(
      peakRssRow(PULLING_RUN, `rm -rf ${pullRoot} && ${pullingRunCommand(KOKER, source.images.large)}`, {
        runs: RUNS,
      }),
    );
    // Every push goes to an emptied registry, so every blob is sent.
    const pushed = `${target.host}/large:bench`;
    execFileSync(KOKER, ['-q', '--root', pullRoot, 'tag', source.images.large, pushed]);
    rows.push(
      peakRssRow(
        'koker push of the large fixture image to an empty registry',
        `rm -rf ${target.storage}/docker && ${KOKER} -q --root ${pullRoot} push ${pushed} > /dev/null`,
        { runs: RUNS },
      ),
    );
    const largeArchive = join(dir, 'large.tar');
    rows.push(
      peakRssRow(
        'koker save of the large fixture image',
        `rm -f ${largeArchive} && ${KOKER} -q --root ${pullRoot} save -o ${largeArchive} ${source.images.large}`,
        { runs: RUNS },
      ),
    );
    const loadRoot = join(dir, 'load-root');
    rows.push(
      peakRssRow(
        'koker load of that archive',
        `rm -rf ${loadRoot} && ${KOKER} -q --root ${loadRoot} load -i ${largeArchive} > /dev/null`,
        { runs: RUNS },
      ),
    );
    rows.push(
      peakRssRow(
        'skopeo copy of the large fixture image (registry to an OCI layout)',
        `rm -rf ${dir}/oci && skopeo --insecure-policy copy -q --src-tls-verify=false docker://${source.images.large} oci:${dir}/oci:large`,
        { runs: RUNS },
      ),
    );

    // Detached containers: each one's monitor, while it runs.
    for (let i = 0; i < MONITORS; i++) {
      koker.run('-q run -d --network none busybox sleep 600');
      podman.run('run -d --network none busybox sleep 600');
    }
    const monitors = peakOf('koker-monitor', koker.root);
    const conmons = peakOf('conmon', dir);
    if (monitors.length !== MONITORS)
      throw new Error(`found ${monitors.length} koker-monitors, expected ${MONITORS}`);
    const memoryRow = (name, peaks) => ({
      name,
      peakKiB: peaks[Math.floor(peaks.length / 2)],
      minKiB: peaks[0],
      maxKiB: peaks[peaks.length - 1],
      runs: peaks.length,
    });
    rows.push(memoryRow(`koker-monitor of a detached container (${MONITORS} containers)`, monitors));
    if (conmons.length > 0)
      rows.push(memoryRow(`podman's conmon of a detached container (${conmons.length})`, conmons));

    const cli = rows
      .filter((r) => r.name.startsWith('koker '))
      .reduce((a, b) => (a.maxKiB >= b.maxKiB ? a : b));
    const monitorMax = monitors[monitors.length - 1];
    writeResults('memory', {
      title: 'Peak memory (RSS): the koker CLI and a container monitor',
      rows,
      goals: [
        {
          text: `CLI peak RSS <= 80 MB (largest: ${(cli.maxKiB / 1024).toFixed(1)} MiB, ${cli.name})`,
          ok: cli.maxKiB <= CLI_PEAK_RSS_GOAL_KIB,
        },
        {
          text: `a monitor's RSS <= 2 MB (largest of ${MONITORS}: ${monitorMax} KiB)`,
          ok: monitorMax <= 2048,
        },
      ],
      notes: [
        'CLI rows: GNU time -v of the whole command (its largest process; koker-init and the container are far smaller than Node)',
        'monitor rows: VmHWM (peak RSS) of each live monitor process while its container sleeps',
        `load average at the end: ${loadAverage()}`,
      ],
    });
  }
} finally {
  await runCleanups(cleanups);
  rmSync(dir, { recursive: true, force: true });
}
