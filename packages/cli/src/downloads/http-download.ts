import { Readable } from 'node:stream';
import { type ReadableStream } from 'node:stream/web';
import { InvalidValueError, RegistryError } from '@koker/core';

/** A download under way: its body, and what the server said of it. */
export interface HttpDownload {
  readonly url: URL;
  readonly body: Readable;
  readonly headers: Headers;
}

/** Whether a build context, import source or ADD source names a URL (any scheme: the scheme is checked when opened). */
export function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/**
 * GETs an http(s) URL (`import URL`, `ADD URL`, a build context at a URL): redirects followed
 * (fetch refuses them to other schemes), any answer but a 2xx with a body refused. `what` names
 * the URL in messages (`ADD source`, `build context`).
 */
export async function openHttpDownload(
  source: string,
  what: string,
  signal?: AbortSignal,
): Promise<HttpDownload> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new InvalidValueError(what, source, 'the URL does not parse');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidValueError(what, source, 'koker downloads http:// and https:// URLs only');
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new RegistryError(`cannot download ${url.href}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body)
    throw new RegistryError(`cannot download ${url.href}: HTTP ${response.status}`, {
      hint: 'check the URL',
    });
  return { url, body: Readable.fromWeb(response.body as ReadableStream), headers: response.headers };
}
