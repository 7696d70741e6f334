import { RegistryError, type Logger } from '@koker/core';
import { isLoopback, type Endpoint } from '../endpoints.js';
import { type HttpClient } from '../http.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { type Credentials, type DockerCredentialStore } from './docker-config.js';

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Tokens are renewed this long before they expire, so none runs out mid-request. */
const EXPIRY_MARGIN_MS = 10_000;
/** The distribution spec's default when a token response names no lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;

function loginHint(endpoint: Endpoint): string {
  return `log in with: koker login${endpoint.host === 'docker.io' ? '' : ` ${endpoint.host}`}`;
}

/**
 * Answers registry challenges the way Docker does: a 401 with `WWW-Authenticate: Bearer realm=,
 * service=, scope=` leads to a token request (anonymous, or with the user's credentials), the
 * token kept per scope until it expires; `Basic` challenges get the credentials directly.
 * Once a registry has challenged, later requests carry authorization up front.
 */
export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(
    private readonly http: HttpClient,
    private readonly store: DockerCredentialStore,
    private readonly log?: Logger,
    /** Credentials to use instead of the stored ones (`koker login` checks them this way). */
    private readonly override?: { host: string; credentials: Credentials },
  ) {}

  credentials(endpoint: Endpoint): Promise<Credentials | undefined> {
    if (this.override?.host === endpoint.host) return Promise.resolve(this.override.credentials);
    let found = this.credentialCache.get(endpoint.host);
    if (!found) {
      found = this.store.get(endpoint.host);
      this.credentialCache.set(endpoint.host, found);
    }
    return found;
  }

  /** The Authorization header for a request, when the registry has challenged before. */
  async headerFor(endpoint: Endpoint, scope: string): Promise<string | undefined> {
    const challenge = this.challenges.get(endpoint.url);
    return challenge ? this.authorize(endpoint, challenge, scope) : undefined;
  }

  /** Records a 401's challenge and returns the header to retry with. */
  async answer(endpoint: Endpoint, header: string | undefined, scope: string): Promise<string> {
    const challenge = parseChallenge(header);
    if (!challenge) {
      throw new RegistryError(
        `${endpoint.host} asked for authentication in a way koker does not know (${header ?? 'no WWW-Authenticate header'})`,
      );
    }
    this.challenges.set(endpoint.url, challenge);
    return this.authorize(endpoint, challenge, scope);
  }

  /** Whether credentials were sent (or used for the token) to this registry. */
  async usedCredentials(endpoint: Endpoint): Promise<boolean> {
    const credentials = await this.credentials(endpoint);
    return credentials !== undefined && !credentials.identityToken;
  }

  private async authorize(endpoint: Endpoint, challenge: Challenge, scope: string): Promise<string> {
    const credentials = await this.credentials(endpoint);
    if (challenge.scheme === 'basic') {
      if (!credentials || credentials.identityToken) {
        throw new RegistryError(`${endpoint.host} requires authentication`, { hint: loginHint(endpoint) });
      }
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64')}`;
    }
    return `Bearer ${await this.token(endpoint, challenge, scope, credentials)}`;
  }

  private async token(
    endpoint: Endpoint,
    challenge: Challenge,
    scope: string,
    credentials: Credentials | undefined,
  ): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${endpoint.host} sent a Bearer challenge without a realm`);
    const service = challenge.params.service;
    const basic = credentials && !credentials.identityToken ? credentials : undefined;
    const key = [realm, service ?? '', scope, basic?.username ?? ''].join('|');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return cached.token;

    const url = new URL(realm);
    // A registry reached over HTTPS must not get our password sent in clear to its token service.
    if (basic && url.protocol === 'http:' && endpoint.url.startsWith('https:') && !isLoopback(url.host)) {
      throw new RegistryError(
        `${endpoint.host} names a token service over plain HTTP (${url.origin}): koker will not send credentials there`,
      );
    }
    if (service) url.searchParams.set('service', service);
    // Several scopes (a push that mounts from another repository) go as several parameters.
    for (const one of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', one);
    if (basic) url.searchParams.set('account', basic.username);
    if (credentials?.identityToken) {
      this.log?.debug({ registry: endpoint.host }, 'Identity tokens are not supported: asking anonymously');
    }
    this.log?.debug({ realm, service, scope, account: basic?.username }, 'Request registry token');
    let response;
    try {
      response = await this.http.send(url.toString(), {
        headers: basic
          ? { authorization: `Basic ${Buffer.from(`${basic.username}:${basic.secret}`).toString('base64')}` }
          : {},
      });
    } catch (error) {
      throw new RegistryError(
        `cannot reach the token service ${url.origin} of ${endpoint.host}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.body.text();
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        basic
          ? `login to ${endpoint.host} failed for user "${basic.username}": incorrect username or password`
          : `${endpoint.host} refused an anonymous token`,
        { hint: loginHint(endpoint) },
      );
    }
    if (response.status !== 200) {
      throw new RegistryError(
        `the token service of ${endpoint.host} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RegistryError(`the token service of ${endpoint.host} sent something that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token service of ${endpoint.host} sent no token`);
    const issued = body.issued_at ? Date.parse(body.issued_at) : Date.now();
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    this.tokens.set(key, {
      token,
      expiresAt: (Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now())) + seconds * 1000,
    });
    return token;
  }
}
