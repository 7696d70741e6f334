// bench/build: `koker build` of a 10-step Dockerfile beside `podman build` of the same Dockerfile
// and context (Debian's podman: a private --root/--runroot, runc, cgroupfs, file events, network
// none, the Docker format), cold (--no-cache: every RUN runs, every layer is written) and cached
// (an unchanged rebuild: every step a cache hit). Paired rounds (bench/lib/paired.mjs), the ratio
// taken within each round.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';
import { paired } from '../lib/paired.mjs';
import { setupPodman } from '../lib/podman.mjs';

// Ten steps (FROM included): config-only steps, two COPYs, a WORKDIR that makes its directory,
// three RUNs (one writing 200 files).
const DOCKERFILE = `FROM busybox
ARG VERSION=1
ENV APP=/app
WORKDIR /app
COPY files/ ./files/
RUN mkdir -p /app/data && echo "$VERSION" > /app/data/version
RUN for i in $(seq 1 200); do echo "$i" > /app/data/f$i; done
COPY app.sh ./
RUN ./app.sh > /app/out
CMD ["./app.sh"]
`;

const work = mkdtempSync(join(tmpdir(), 'koker-bench-build-'));
const cleanups = [() => rmSync(work, { recursive: true, force: true })];
try {
  const context = join(work, 'context');
  mkdirSync(join(context, 'files'), { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(context, 'app.sh'), '#!/bin/sh\nls /app/data | wc -l\n');
  chmodSync(join(context, 'app.sh'), 0o755);
  // 100 files, 1 MiB in all: what COPY reads, hashes for the cache key and writes.
  for (let i = 0; i < 100; i++)
    writeFileSync(join(context, 'files', `file-${i}`), Buffer.alloc(10 * 1024, i));

  const archive = busyboxArchive(work);
  const koker = setupKoker({ dir: work, archive });
  cleanups.push(() => koker.cleanup());
  const podman = setupPodman({
    dir: work,
    archive,
    flags: '--cgroup-manager cgroupfs --events-backend file',
  });
  cleanups.push(() => podman.cleanup());
  const podmanBuild = (flags) =>
    podman.command(`build -q --format docker --network none ${flags} -t bench-build ${context}`) +
    ' > /dev/null';
  const kokerBuild = (flags) =>
    koker.command(`build -q --network none ${flags} -t bench-build ${context} > /dev/null`);
  // The cached rounds need a first build of each (untimed).
  koker.run(`build -q --network none -t bench-build ${context}`);
  podman.run(`build -q --format docker --network none -t bench-build ${context}`);

  const rounds = Number(process.env.KOKER_BENCH_RUNS ?? 5);
  const cold = paired(
    [
      { name: 'koker build --no-cache', command: kokerBuild('--no-cache') },
      { name: 'podman build --no-cache', command: podmanBuild('--no-cache') },
    ],
    { rounds },
  );
  const cached = paired(
    [
      { name: 'koker build (every step cached)', command: kokerBuild('') },
      { name: 'podman build (every step cached)', command: podmanBuild('') },
    ],
    { rounds: rounds * 2 },
  );
  // The ratio column: podman / koker within a round; the goals read koker / podman.
  const toPodman = (rows) => 1 / rows[1].ratio;
  const cpuToPodman = (rows) => 1 / rows[1].cpuRatio;
  writeResults('build', {
    title: `Build of a 10-step Dockerfile (3 RUN, 2 COPY, 1 MiB context), cold and cached (${cold[0].runs} and ${cached[0].runs} paired rounds)`,
    rows: [...cold, ...cached],
    goals: [
      {
        text: `cold build (--no-cache) <= podman build (median per-round ratio ${toPodman(cold).toFixed(2)}x, CPU ${cpuToPodman(cold).toFixed(2)}x)`,
        ok: toPodman(cold) <= 1,
      },
      {
        text: `cached rebuild <= podman build (median per-round ratio ${toPodman(cached).toFixed(2)}x, CPU ${cpuToPodman(cached).toFixed(2)}x)`,
        ok: toPodman(cached) <= 1,
      },
    ],
    notes: [
      `CPU time (user + system, children included, median): ${[...cold, ...cached].map((r) => `${r.name} ${r.cpu.toFixed(2)} s`).join(', ')}.`,
      `peak RSS (median, the largest process): ${[...cold, ...cached].map((r) => `${r.name} ${(r.peakRssKiB / 1024).toFixed(0)} MiB`).join(', ')}.`,
      `load average at the end: ${loadAverage()} (2 CPUs, shared with other work).`,
      'ratio column: the median over rounds of (command / the koker row of its table) in the same round; mean ± σ, min … max are wall times.',
      'koker runs each RUN as a child `koker run` and commits its upper directory; podman (buildah) runs runc directly. Both keep every intermediate image.',
    ],
  });
} finally {
  await runCleanups(cleanups);
}
