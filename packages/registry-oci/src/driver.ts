import { type Readable } from 'node:stream';
import {
  NotImplementedError,
  type Descriptor,
  type ImageReference,
  type ImageSource,
  type Platform,
  type ResolvedImage,
} from '@koker/core';

/** The OCI distribution protocol: Docker Hub and any v2 registry. */
export class OciRegistrySource implements ImageSource {
  readonly name = 'oci-registry';

  async resolve(reference: ImageReference, _platform: Platform): Promise<ResolvedImage> {
    throw new NotImplementedError(`pulling ${reference.toString()}`);
  }

  async openBlob(_reference: ImageReference, descriptor: Descriptor): Promise<Readable> {
    throw new NotImplementedError(`fetching blob ${descriptor.digest}`);
  }
}
