import { NotFoundError, RegistryError } from '@koker/core';
import { type HttpResponse } from '../http.js';
import { type RegistryClient } from '../registry-client.js';

function loginHint(host: string): string {
  return `log in with: koker login${host === 'docker.io' ? '' : ` ${host}`}`;
}

/**
 * A failed push request in words: what was being sent, what the registry said, and what to do
 * (log in, check the name, push again).
 */
export async function pushFailure(
  client: RegistryClient,
  response: HttpResponse,
  what: string,
  repository: string,
): Promise<Error> {
  const host = client.endpoint.host;
  const name = `${host}/${repository}`;
  const { first, said } = await client.errorOf(response, what);
  const saying = said ? ` (${said})` : '';
  if (response.status === 401 || response.status === 403) {
    const withCredentials = await client.usesCredentials();
    return new RegistryError(
      withCredentials
        ? `push access denied for ${name}: these credentials may not push to it${saying}`
        : `push access denied for ${name}: not logged in, or the repository does not exist${saying}`,
      { hint: withCredentials ? 'check the repository name and your rights on it' : loginHint(host) },
    );
  }
  switch (first?.code) {
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${name} does not exist at ${host}${saying}`, {
        hint: 'create the repository first (some registries do not create it on push)',
      });
    case 'NAME_INVALID':
    case 'TAG_INVALID':
      return new RegistryError(`${host} refused the name ${name} while sending ${what}${saying}`);
    case 'BLOB_UPLOAD_INVALID':
    case 'BLOB_UPLOAD_UNKNOWN':
      return new RegistryError(`blob upload invalid: ${host} refused the upload of ${what}${saying}`, {
        hint: 'the upload session ended or was refused by the registry; push again',
      });
    case 'DIGEST_INVALID':
    case 'SIZE_INVALID':
      return new RegistryError(`${host} received ${what} with another digest or size than it has${saying}`, {
        hint: 'the bytes changed on the way or the local store is damaged; push again, or pull the image again',
      });
    case 'MANIFEST_BLOB_UNKNOWN':
      return new RegistryError(`${host} does not have a blob ${what} refers to${saying}`, {
        hint: 'push again (a blob the registry said it had may have been removed meanwhile)',
      });
    case 'MANIFEST_INVALID':
    case 'MANIFEST_UNVERIFIED':
      return new RegistryError(`${host} refused ${what} as invalid${saying}`);
    case 'DENIED':
      return new RegistryError(`push access denied for ${name}${saying}`, { hint: loginHint(host) });
    case 'UNSUPPORTED':
      return new RegistryError(`${host} does not support ${what}${saying}`);
    default:
  }
  if (response.status === 404) {
    return new NotFoundError(`${what}: ${host} answered 404 Not Found${saying}`, {
      hint: 'check the repository name (the registry does not know it or the upload)',
    });
  }
  if (response.status === 413) {
    return new RegistryError(`${what} is too large for ${host} (HTTP 413)${saying}`);
  }
  return new RegistryError(`${what}: ${host} answered HTTP ${response.status}${saying}`);
}
