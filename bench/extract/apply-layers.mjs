// Applies layer blobs with koker's applier, one new directory per blob: what the benchmark times.
// Usage: node bench/extract/apply-layers.mjs <out-dir> <blob>...
import { createReadStream } from 'node:fs';
import { join, basename } from 'node:path';
import { createLogger } from '@koker/log';
import { applyLayer } from '@koker/fs-overlay';

const [outDir, ...blobs] = process.argv.slice(2);
const log = createLogger({ level: process.env.KOKER_BENCH_DEBUG ? 'debug' : 'silent', format: 'console' });
const mediaTypes = {
  gz: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zst: 'application/vnd.oci.image.layer.v1.tar+zstd',
  tar: 'application/vnd.oci.image.layer.v1.tar',
};
for (const blob of blobs) {
  const mediaType = mediaTypes[blob.split('.').pop()] ?? mediaTypes.tar;
  const stream = createReadStream(blob, { highWaterMark: 1 << 20 });
  const applied = await applyLayer(stream, { target: join(outDir, basename(blob)), mediaType }, { log });
  if (process.env.KOKER_BENCH_VERBOSE) console.log(basename(blob), applied.diffId, applied.size);
}
