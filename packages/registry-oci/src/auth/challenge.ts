/** A parsed WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export interface Challenge {
  readonly scheme: 'bearer' | 'basic';
  readonly params: Readonly<Record<string, string>>;
}

/** Parses the first Bearer or Basic challenge of a header (RFC 7235 auth-params, quoted or not). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  let param: RegExpExecArray | null;
  while ((param = pattern.exec(match[2] as string)) !== null) {
    params[(param[1] as string).toLowerCase()] =
      param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme, params };
}
