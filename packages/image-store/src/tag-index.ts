import { readFile } from 'node:fs/promises';
import { isDigest, parseDigest, type Digest, ImageReference, StateError } from '@koker/core';

interface RepositoryEntry {
  /** tag -> image ID */
  tags: Record<string, Digest>;
  /** manifest or index digest -> image ID */
  digests: Record<string, Digest>;
}

interface TagIndexFile {
  version: 1;
  /** Keyed by the full repository name, e.g. `docker.io/library/busybox`. */
  repositories: Record<string, RepositoryEntry>;
}

/** Tags and repo digests of the store (repositories.json), read whole and written whole. */
export class TagIndex {
  private constructor(private readonly data: TagIndexFile) {}

  static empty(): TagIndex {
    return new TagIndex({ version: 1, repositories: {} });
  }

  static async read(path: string): Promise<TagIndex> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return TagIndex.empty();
      throw error;
    }
    return TagIndex.parse(text, path);
  }

  static parse(text: string, path: string): TagIndex {
    const fail = (reason: string): never => {
      throw new StateError(`the image tag index ${path} is corrupt: ${reason}`, {
        hint: 'remove it to forget every tag (images stay and show as <none>)',
      });
    };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return fail((error as Error).message);
    }
    const file = json as TagIndexFile;
    if (
      typeof file !== 'object' ||
      file === null ||
      file.version !== 1 ||
      typeof file.repositories !== 'object'
    ) {
      return fail('unknown format');
    }
    for (const entry of Object.values(file.repositories)) {
      for (const id of [...Object.values(entry.tags ?? {}), ...Object.values(entry.digests ?? {})]) {
        if (!isDigest(id)) fail(`bad image ID ${JSON.stringify(id)}`);
      }
      entry.tags ??= {};
      entry.digests ??= {};
    }
    return new TagIndex(file);
  }

  serialize(): string {
    return `${JSON.stringify(this.data, null, 2)}\n`;
  }

  private entry(name: string): RepositoryEntry {
    let entry = this.data.repositories[name];
    if (!entry) {
      entry = { tags: {}, digests: {} };
      this.data.repositories[name] = entry;
    }
    return entry;
  }

  /** Points `reference`'s tag at `id`; returns the image it pointed at before, if another. */
  tag(reference: ImageReference, id: Digest): Digest | undefined {
    if (!reference.tag) throw new RangeError(`${reference.toString()} has no tag`);
    const entry = this.entry(reference.name);
    const previous = entry.tags[reference.tag];
    entry.tags[reference.tag] = id;
    return previous !== id ? previous : undefined;
  }

  addDigest(reference: ImageReference, digest: Digest, id: Digest): void {
    this.entry(reference.name).digests[digest] = id;
  }

  /** The image a tag or digest reference names. */
  lookup(reference: ImageReference): Digest | undefined {
    const entry = this.data.repositories[reference.name];
    if (!entry) return undefined;
    if (reference.digest) return entry.digests[reference.digest];
    return reference.tag ? entry.tags[reference.tag] : undefined;
  }

  /** Removes a tag or digest reference; returns the image it named. */
  remove(reference: ImageReference): Digest | undefined {
    const entry = this.data.repositories[reference.name];
    if (!entry) return undefined;
    let id: Digest | undefined;
    if (reference.digest) {
      id = entry.digests[reference.digest];
      delete entry.digests[reference.digest];
    } else if (reference.tag) {
      id = entry.tags[reference.tag];
      delete entry.tags[reference.tag];
    }
    // A repository with no tag left keeps no digests either (Docker drops them together).
    if (Object.keys(entry.tags).length === 0) {
      for (const [digest, owner] of Object.entries(entry.digests))
        if (owner === id) delete entry.digests[digest];
    }
    if (Object.keys(entry.tags).length === 0 && Object.keys(entry.digests).length === 0) {
      delete this.data.repositories[reference.name];
    }
    return id;
  }

  /** Forgets every tag and digest of an image. */
  removeImage(id: Digest): void {
    for (const [name, entry] of Object.entries(this.data.repositories)) {
      for (const [tag, owner] of Object.entries(entry.tags)) if (owner === id) delete entry.tags[tag];
      for (const [digest, owner] of Object.entries(entry.digests))
        if (owner === id) delete entry.digests[digest];
      if (Object.keys(entry.tags).length === 0 && Object.keys(entry.digests).length === 0) {
        delete this.data.repositories[name];
      }
    }
  }

  /** Tag references of an image, as ImageReferences. */
  tagsOf(id: Digest): ImageReference[] {
    const result: ImageReference[] = [];
    for (const [name, entry] of Object.entries(this.data.repositories)) {
      for (const [tag, owner] of Object.entries(entry.tags)) {
        if (owner === id) result.push(ImageReference.parse(`${name}:${tag}`));
      }
    }
    return result;
  }

  /** `name@digest` references of an image. */
  digestsOf(id: Digest): ImageReference[] {
    const result: ImageReference[] = [];
    for (const [name, entry] of Object.entries(this.data.repositories)) {
      for (const [digest, owner] of Object.entries(entry.digests)) {
        if (owner === id) result.push(ImageReference.parse(`${name}@${parseDigest(digest)}`));
      }
    }
    return result;
  }
}
