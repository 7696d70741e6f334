import { describe, expect, it } from 'vitest';
import { DockerfileError, parseDockerfile, parseRunMount } from '../src/index.js';

describe('RUN --mount', () => {
  it('keeps every --mount of an instruction, in order', () => {
    const [run] = parseDockerfile(
      'RUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b --network=none true\n',
    ).instructions;
    expect(run?.flagValues.mount).toEqual(['type=cache,target=/a', 'type=tmpfs,target=/b']);
    expect(run?.text).toBe(
      'RUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b --network=none true',
    );
  });

  it("reads BuildKit's fields: defaults, aliases, the target against the working directory", () => {
    expect(parseRunMount('type=cache,target=go', '/src', 1)).toEqual({
      type: 'cache',
      target: '/src/go',
      id: '/src/go',
      sharing: 'shared',
      source: '/',
      mode: 0o755,
      uid: 0,
      gid: 0,
      readonly: false,
    });
    expect(
      parseRunMount(
        'type=cache,dst=/c,id=x,sharing=locked,mode=0700,uid=7,gid=8,ro,from=base,src=/seed',
        '/',
        1,
      ),
    ).toEqual({
      type: 'cache',
      target: '/c',
      id: 'x',
      sharing: 'locked',
      from: 'base',
      source: '/seed',
      mode: 0o700,
      uid: 7,
      gid: 8,
      readonly: true,
    });
    expect(parseRunMount('target=/ctx', '/', 1)).toEqual({
      type: 'bind',
      target: '/ctx',
      source: '/',
      readwrite: false,
    });
    expect(parseRunMount('type=bind,from=tools,source=/t,destination=/t,rw', '/', 1)).toEqual({
      type: 'bind',
      target: '/t',
      from: 'tools',
      source: '/t',
      readwrite: true,
    });
    expect(parseRunMount('type=secret,id=token', '/', 1)).toEqual({
      type: 'secret',
      id: 'token',
      target: '/run/secrets/token',
      required: false,
      mode: 0o400,
      uid: 0,
      gid: 0,
    });
    expect(parseRunMount('type=secret,target=/etc/key,required,mode=0440,gid=5', '/', 1)).toMatchObject({
      id: 'key',
      target: '/etc/key',
      required: true,
      mode: 0o440,
      gid: 5,
    });
    expect(parseRunMount('type=tmpfs,target=/tmp,size=2m', '/', 1)).toEqual({
      type: 'tmpfs',
      target: '/tmp',
      size: 2 * 1024 * 1024,
    });
  });

  it('refuses what it cannot do, by name', () => {
    const refused = (text: string) => () => parseRunMount(text, '/', 3);
    expect(refused('type=cache')).toThrow('a target is required');
    expect(refused('type=cache,target=/c,sharing=sometimes')).toThrow('sharing is shared, private or locked');
    expect(refused('type=cache,target=/c,mode=999')).toThrow('invalid mode 999');
    expect(refused('type=tmpfs,target=/t,from=x')).toThrow("unexpected key 'from' for type=tmpfs");
    expect(refused('type=ssh')).toThrow('RUN --mount=type=ssh is not supported by koker yet');
    expect(refused('type=secret')).toThrow('a secret needs an id or a target');
    expect(refused('type=volume,target=/v')).toThrow(DockerfileError);
  });
});
