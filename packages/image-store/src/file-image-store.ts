import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Descriptor,
  type ImageRecord,
  type ImageStore,
  type HeldLock,
  digestHex,
  isDigest,
  parseDigest,
  type Digest,
  ImageReference,
  ConflictError,
  NotFoundError,
  StateError,
  type Logger,
  type ImageConfigFacts,
} from '@koker/core';
import {
  acquireFileLock,
  removeUnheldLocks,
  syncDirectory,
  withFileLock,
  writeFileAtomic,
  writeNewFile,
} from '@koker/host';
import { StoreLayout } from './store-layout.js';
import { readStoredImage, readStoredLayer, type StoredImage, type StoredLayer } from './records.js';
import { TagIndex } from './tag-index.js';
import { makeWorkDir, sweepWorkDirs } from './work-dir.js';

const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/;
const SHORT_ID = /^(?:sha256:)?([0-9a-f]{4,63})$/;

export interface NewImage {
  readonly configBytes: Uint8Array;
  readonly facts: ImageConfigFacts;
  readonly chainIds: readonly Digest[];
  /** Manifest and index blobs the image came as (verified by the caller). */
  readonly manifests: readonly { readonly descriptor: Descriptor; readonly bytes: Uint8Array }[];
  /** Tags to point at the image. */
  readonly tags: readonly ImageReference[];
  /** `name@digest` references that now name the image. */
  readonly digests: readonly ImageReference[];
}

export interface CommittedImage {
  readonly id: Digest;
  /** False when the store had the image already (only tags may have changed). */
  readonly isNew: boolean;
  /** Whether any tag now points somewhere it did not before. */
  readonly retagged: boolean;
}

export interface RemovalReport {
  readonly untagged: string[];
  readonly deleted: Digest[];
  readonly deletedLayers: Digest[];
  /** Bytes freed on disk (layers and blobs). */
  readonly reclaimed: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function sha256(bytes: Uint8Array): Digest {
  return parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
}

/**
 * The image store on disk (see StoreLayout). Readers take no lock: every entry appears by an
 * atomic rename after what it refers to. Writers serialize on flock files: the tag index under
 * `index.lock`, one layer under its own lock, and deletion of layers and blobs under `gc.lock`
 * held exclusively (pulls and loads hold it shared, so nothing they are building disappears).
 */
export class FileImageStore implements ImageStore {
  readonly layout: StoreLayout;

  constructor(
    root: string,
    private readonly log?: Logger,
  ) {
    this.layout = new StoreLayout(root);
  }

  // ---- readers ----

  async list(): Promise<ImageRecord[]> {
    const index = await TagIndex.read(this.layout.repositoriesFile);
    let files: string[];
    try {
      files = await readdir(this.layout.imagesDir);
    } catch {
      return [];
    }
    const records: ImageRecord[] = [];
    for (const file of files) {
      if (!/^[0-9a-f]{64}\.json$/.test(file)) continue;
      const stored = await readStoredImage(join(this.layout.imagesDir, file));
      if (stored) records.push(this.toRecord(stored, index));
    }
    const key = (r: ImageRecord) => r.repoTags[0] ?? `\uffff${r.id}`;
    return records.sort((a, b) => key(a).localeCompare(key(b)) || a.id.localeCompare(b.id));
  }

  async find(nameOrId: string | ImageReference): Promise<ImageRecord | undefined> {
    return (await this.resolve(nameOrId))?.image;
  }

  /** Finds an image the way Docker does: full ID, then tag or digest reference, then short ID. */
  private async resolve(
    nameOrId: string | ImageReference,
  ): Promise<{ image: ImageRecord; reference?: ImageReference } | undefined> {
    const index = await TagIndex.read(this.layout.repositoriesFile);
    if (typeof nameOrId !== 'string') {
      const image = await this.byId(index.lookup(nameOrId), index);
      return image ? { image, reference: nameOrId } : undefined;
    }
    const full = FULL_ID.exec(nameOrId);
    if (full) {
      const image = await this.byId(parseDigest(`sha256:${full[1]}`), index);
      return image ? { image } : undefined;
    }
    let reference: ImageReference | undefined;
    try {
      reference = ImageReference.parse(nameOrId);
    } catch {
      reference = undefined;
    }
    if (reference) {
      const image = await this.byId(index.lookup(reference), index);
      if (image) return { image, reference };
    }
    const short = SHORT_ID.exec(nameOrId);
    if (!short) return undefined;
    const prefix = short[1] as string;
    let files: string[];
    try {
      files = await readdir(this.layout.imagesDir);
    } catch {
      return undefined;
    }
    const matches = files.filter((f) => f.startsWith(prefix) && f.endsWith('.json'));
    if (matches.length > 1) {
      throw new ConflictError(`the image ID prefix "${nameOrId}" matches ${matches.length} images`, {
        hint: 'give more digits of the ID',
      });
    }
    const match = matches[0];
    const image = match ? await this.byId(parseDigest(`sha256:${match.slice(0, 64)}`), index) : undefined;
    return image ? { image } : undefined;
  }

  async layerDirs(image: ImageRecord): Promise<string[]> {
    const dirs: string[] = [];
    for (const chainId of image.chainIds) {
      const dir = this.layout.layerDiff(chainId);
      if (!(await exists(this.layout.layerRecord(chainId)))) {
        throw new StateError(`layer ${chainId} of image ${image.id} is missing from the store`, {
          hint: `pull or load the image again`,
        });
      }
      dirs.push(dir);
    }
    return dirs.reverse();
  }

  async configBlob(image: ImageRecord): Promise<Uint8Array> {
    return readFile(this.layout.blob(image.id));
  }

  async storedImage(id: Digest): Promise<StoredImage | undefined> {
    return readStoredImage(this.layout.image(id));
  }

  async readLayer(chainId: Digest): Promise<StoredLayer | undefined> {
    return readStoredLayer(this.layout.layerRecord(chainId));
  }

  async hasLayer(chainId: Digest): Promise<boolean> {
    return (await this.readLayer(chainId)) !== undefined;
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return exists(this.layout.blob(digest));
  }

  private async byId(id: Digest | undefined, index: TagIndex): Promise<ImageRecord | undefined> {
    if (!id) return undefined;
    const stored = await this.storedImage(id);
    return stored ? this.toRecord(stored, index) : undefined;
  }

  private toRecord(stored: StoredImage, index: TagIndex): ImageRecord {
    return {
      id: stored.id,
      repoTags: index
        .tagsOf(stored.id)
        .map((r) => r.toFamiliarString())
        .sort(),
      repoDigests: index
        .digestsOf(stored.id)
        .map((r) => r.toFamiliarString())
        .sort(),
      ...(stored.created ? { created: stored.created } : {}),
      architecture: stored.architecture,
      os: stored.os,
      ...(stored.variant ? { variant: stored.variant } : {}),
      size: stored.size,
      diffIds: stored.diffIds,
      chainIds: stored.chainIds,
      config: stored.config,
      stored: stored.stored,
    };
  }

  // ---- writers ----

  /** Creates the store's directories and removes work left by processes that are gone. */
  async prepare(): Promise<void> {
    for (const dir of [
      this.layout.blobsDir,
      this.layout.layersDir,
      this.layout.imagesDir,
      this.layout.tmpDir,
      this.layout.locksDir,
    ]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    await sweepWorkDirs(this.layout.tmpDir, this.log);
    // Layer locks left by a crash, or by a koker that did not remove them.
    const stale = (await readdir(this.layout.locksDir))
      .filter((name) => /^layer-[0-9a-f]+\.lock$/.test(name))
      .map((name) => join(this.layout.locksDir, name));
    if (stale.length > 0) {
      const removed = removeUnheldLocks(stale);
      this.log?.debug({ removed, dir: this.layout.locksDir }, 'Remove stale layer locks');
    }
  }

  /** Holds off deletions of layers and blobs while `fn` builds on them. */
  async whileBuilding<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireFileLock(this.layout.gcLock, {
      mode: 'shared',
      timeoutMs: 600_000,
      log: this.log,
      what: 'the image store',
    });
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /** Serializes work on one layer across processes. */
  async lockLayer(chainId: Digest): Promise<HeldLock> {
    return acquireFileLock(this.layout.layerLock(chainId), {
      // One file per layer: removed when released, so they do not pile up in the store.
      removeOnRelease: true,
      timeoutMs: 3_600_000,
      log: this.log,
      what: `layer ${chainId}`,
    });
  }

  workDir(): Promise<string> {
    return makeWorkDir(this.layout.tmpDir);
  }

  /** Stores small blobs (manifests, configs) after checking their digest. */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    const actual = sha256(bytes);
    if (actual !== digest) throw new StateError(`blob ${digest} does not match its content (${actual})`);
    const path = this.layout.blob(digest);
    if (await exists(path)) return;
    await writeFileAtomic(path, bytes, 0o644);
    this.log?.debug({ digest, path }, 'Store blob');
  }

  /**
   * Moves a verified (and fsynced) blob file (in a work directory, same filesystem) into the blob
   * store. The rename is made durable by `commitImage`, before any record refers to the blob.
   */
  async commitBlobFile(path: string, digest: Digest): Promise<void> {
    const target = this.layout.blob(digest);
    await rename(path, target);
    this.log?.debug({ digest, path: target }, 'Store blob');
  }

  /**
   * Makes `workDir` (holding `diff/`, the extracted layer) the stored layer `record.chainId`:
   * layer.json is written into it (and fsynced: nobody sees the work directory, so no temporary
   * name is needed), then the directory is renamed into place in one step. The rename is made
   * durable by `commitImage`, before any image record refers to the layer: one directory fsync
   * per image instead of one per layer (each costs 5-200 ms on this kind of VM disk).
   */
  async commitLayer(workDir: string, record: Omit<StoredLayer, 'version'>): Promise<void> {
    const stored: StoredLayer = { version: 1, ...record };
    await writeNewFile(join(workDir, 'layer.json'), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o644 });
    const target = this.layout.layer(record.chainId);
    if (await exists(target)) {
      // Only reached if a layer was committed without its lock: keep the first, drop ours.
      await rm(workDir, { recursive: true, force: true });
      return;
    }
    await rename(workDir, target);
    this.log?.debug({ chainId: record.chainId, diffId: record.diffId, path: target }, 'Store layer');
  }

  /** Records the image (after its layers) and then its tags, under the index lock. */
  async commitImage(image: NewImage): Promise<CommittedImage> {
    const id = sha256(image.configBytes);
    let size = 0;
    for (const chainId of image.chainIds) {
      const layer = await this.readLayer(chainId);
      if (!layer) throw new StateError(`layer ${chainId} of image ${id} is not in the store`);
      size += layer.size;
    }
    // The renames of the layers and blobs it refers to (commitLayer, commitBlobFile: this
    // process's or another's) become durable before the record does.
    await Promise.all([syncDirectory(this.layout.layersDir), syncDirectory(this.layout.blobsDir)]);
    await this.putBlob(id, image.configBytes);
    for (const manifest of image.manifests) await this.putBlob(manifest.descriptor.digest, manifest.bytes);

    return withFileLock(this.layout.indexLock, { log: this.log, what: 'the image tag index' }, async () => {
      const existing = await this.storedImage(id);
      const known = new Set(existing?.manifests.map((m) => m.digest) ?? []);
      const manifests = [
        ...(existing?.manifests ?? []),
        ...image.manifests.map((m) => m.descriptor).filter((d) => !known.has(d.digest)),
      ];
      if (!existing || manifests.length !== existing.manifests.length) {
        const facts = image.facts;
        const stored: StoredImage = {
          version: 1,
          id,
          ...(facts.created ? { created: facts.created } : {}),
          architecture: facts.architecture,
          os: facts.os,
          ...(facts.variant ? { variant: facts.variant } : {}),
          diffIds: facts.diffIds,
          chainIds: image.chainIds,
          size,
          config: facts.config,
          manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size })),
          stored: existing?.stored ?? new Date().toISOString(),
        };
        await writeFileAtomic(this.layout.image(id), `${JSON.stringify(stored, null, 2)}\n`, 0o644);
        this.log?.debug({ id, path: this.layout.image(id) }, 'Store image record');
      }
      const index = await TagIndex.read(this.layout.repositoriesFile);
      let retagged = false;
      for (const tag of image.tags) {
        if (index.lookup(tag) !== id) retagged = true;
        index.tag(tag, id);
      }
      for (const reference of image.digests) {
        if (reference.digest) index.addDigest(reference, reference.digest, id);
      }
      await writeFileAtomic(this.layout.repositoriesFile, index.serialize(), 0o644);
      this.log?.debug({ id, tags: image.tags.map((t) => t.toString()) }, 'Store tags');
      return { id, isNew: !existing, retagged };
    });
  }

  /** Records that `name@digest` (a registry's manifest, after a push) is this image. */
  async addRepoDigest(id: Digest, reference: ImageReference, digest: Digest): Promise<void> {
    await withFileLock(this.layout.indexLock, { log: this.log, what: 'the image tag index' }, async () => {
      const index = await TagIndex.read(this.layout.repositoriesFile);
      index.addDigest(reference, digest, id);
      await writeFileAtomic(this.layout.repositoriesFile, index.serialize(), 0o644);
    });
  }

  /** Points another tag at an image (koker tag, load). */
  async tag(id: Digest, reference: ImageReference): Promise<void> {
    await withFileLock(this.layout.indexLock, { log: this.log, what: 'the image tag index' }, async () => {
      const index = await TagIndex.read(this.layout.repositoriesFile);
      index.tag(reference, id);
      await writeFileAtomic(this.layout.repositoriesFile, index.serialize(), 0o644);
    });
  }

  /**
   * `image rm`, as Docker does it: a tag or digest reference is untagged, and the image deleted
   * when no tag is left; an ID deletes the image, refusing when several repositories name it
   * (unless `force`). An image a container uses is only untagged (with `force`) or refused.
   */
  async remove(
    nameOrId: string,
    options: { force: boolean; inUse: ReadonlySet<string> },
  ): Promise<RemovalReport> {
    const found = await this.resolve(nameOrId);
    if (!found) {
      throw new NotFoundError(`no such image: ${nameOrId}`, {
        hint: 'koker images lists the images there are',
      });
    }
    const { image } = found;
    const untagged: string[] = [];
    const deleted: Digest[] = [];
    const used = options.inUse.has(image.id);
    await withFileLock(this.layout.indexLock, { log: this.log, what: 'the image tag index' }, async () => {
      const index = await TagIndex.read(this.layout.repositoriesFile);
      const tags = index.tagsOf(image.id);
      if (!found.reference) {
        const repositories = new Set(tags.map((t) => t.name));
        if (repositories.size > 1 && !options.force) {
          throw new ConflictError(
            `unable to delete ${digestHex(image.id).slice(0, 12)} (must be forced): the image is referenced in multiple repositories`,
            { hint: 'remove it by tag, or use -f to remove every tag and the image' },
          );
        }
        if (used && !options.force) throw inUseError(nameOrId, image.id);
        for (const tag of tags) {
          index.remove(tag);
          untagged.push(tag.toFamiliarString());
        }
        for (const digest of index.digestsOf(image.id)) untagged.push(digest.toFamiliarString());
        index.removeImage(image.id);
      } else {
        const reference = found.reference;
        const remaining = tags.filter((t) => t.toString() !== reference.toString());
        if (used && remaining.length === 0 && !options.force) throw inUseError(nameOrId, image.id);
        const digests = index.digestsOf(image.id);
        index.remove(reference);
        untagged.push(reference.toFamiliarString());
        if (remaining.length === 0) {
          // The last tag takes the repo digests with it, as in Docker.
          for (const digest of digests) {
            if (digest.toString() !== reference.toString()) untagged.push(digest.toFamiliarString());
          }
          index.removeImage(image.id);
        }
      }
      await writeFileAtomic(this.layout.repositoriesFile, index.serialize(), 0o644);
      const left = index.tagsOf(image.id).length;
      if (left === 0 && !used) {
        await rm(this.layout.image(image.id), { force: true });
        this.log?.debug({ id: image.id }, 'Remove image record');
        deleted.push(image.id);
      }
    });
    const collected = deleted.length ? await this.collectGarbage() : { layers: [], reclaimed: 0 };
    return { untagged, deleted, deletedLayers: collected.layers, reclaimed: collected.reclaimed };
  }

  /** `image prune`: untagged images (all unused ones with `all`) that no container uses. */
  async prune(options: { all: boolean; inUse: ReadonlySet<string> }): Promise<RemovalReport> {
    const deleted: Digest[] = [];
    const untagged: string[] = [];
    await withFileLock(this.layout.indexLock, { log: this.log, what: 'the image tag index' }, async () => {
      const index = await TagIndex.read(this.layout.repositoriesFile);
      for (const image of await this.list()) {
        if (options.inUse.has(image.id)) continue;
        if (image.repoTags.length > 0 && !options.all) continue;
        for (const tag of index.tagsOf(image.id)) untagged.push(tag.toFamiliarString());
        index.removeImage(image.id);
        await rm(this.layout.image(image.id), { force: true });
        deleted.push(image.id);
      }
      await writeFileAtomic(this.layout.repositoriesFile, index.serialize(), 0o644);
    });
    const collected = await this.collectGarbage();
    return { untagged, deleted, deletedLayers: collected.layers, reclaimed: collected.reclaimed };
  }

  /**
   * Deletes layers no image uses and blobs nothing refers to, while no pull or load runs (they
   * hold the gc lock shared). A layer is renamed away before it is deleted, so a crash never
   * leaves a half-deleted layer that looks whole.
   */
  async collectGarbage(): Promise<{ layers: Digest[]; reclaimed: number }> {
    await this.prepare();
    return withFileLock(
      this.layout.gcLock,
      { timeoutMs: 600_000, log: this.log, what: 'the image store' },
      async () => {
        const images: StoredImage[] = [];
        for (const file of await readdir(this.layout.imagesDir)) {
          const stored = await readStoredImage(join(this.layout.imagesDir, file));
          if (stored) images.push(stored);
        }
        const liveChains = new Set<string>(images.flatMap((i) => [...i.chainIds]));
        const liveBlobs = new Set<string>(images.flatMap((i) => [i.id, ...i.manifests.map((m) => m.digest)]));
        const removedLayers: Digest[] = [];
        let reclaimed = 0;
        for (const hex of await readdir(this.layout.layersDir)) {
          const chainId = `sha256:${hex}`;
          if (!isDigest(chainId)) continue;
          if (liveChains.has(chainId)) {
            const layer = await this.readLayer(chainId);
            for (const blob of layer?.blobs ?? []) liveBlobs.add(blob.digest);
            continue;
          }
          const layer = await this.readLayer(chainId);
          const trash = await this.workDir();
          await rename(this.layout.layer(chainId), join(trash, 'layer'));
          this.log?.debug({ chainId }, 'Remove layer');
          await rm(trash, { recursive: true, force: true });
          await rm(this.layout.layerLock(chainId), { force: true });
          removedLayers.push(chainId);
          reclaimed += layer?.size ?? 0;
        }
        for (const hex of await readdir(this.layout.blobsDir)) {
          if (liveBlobs.has(`sha256:${hex}`) || !/^[0-9a-f]{64}$/.test(hex)) continue;
          const path = join(this.layout.blobsDir, hex);
          reclaimed += (await stat(path).catch(() => ({ size: 0 }))).size;
          await rm(path, { force: true });
          this.log?.debug({ digest: `sha256:${hex}` }, 'Remove blob');
        }
        await sweepWorkDirs(this.layout.tmpDir, this.log);
        return { layers: removedLayers, reclaimed };
      },
    );
  }
}

function inUseError(name: string, id: Digest): ConflictError {
  return new ConflictError(
    `unable to remove ${name} (must be forced): a container uses image ${digestHex(id).slice(0, 12)}`,
    { hint: 'remove the container first (koker rm), or use -f to untag it anyway' },
  );
}
