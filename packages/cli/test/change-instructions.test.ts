import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { applyChanges, shellWords } from '../src/image-config/change-instructions.js';

describe('import --change', () => {
  it('applies CMD and ENTRYPOINT in exec and shell form', () => {
    expect(applyChanges({}, ['CMD ["echo", "hi"]', 'ENTRYPOINT /bin/run --fast'])).toEqual({
      Cmd: ['echo', 'hi'],
      Entrypoint: ['/bin/sh', '-c', '/bin/run --fast'],
    });
    // Not JSON: Docker takes the text as the shell form.
    expect(applyChanges({}, ['cmd [not json'])).toEqual({ Cmd: ['/bin/sh', '-c', '[not json'] });
  });

  it('sets ENV and LABEL pairs (quoted, legacy form), replacing earlier values of a key', () => {
    const config = applyChanges({ Env: ['PATH=/bin', 'A=0'] }, [
      'ENV A=1 B="two words" C=three\\ words',
      'ENV LEGACY some value',
      'LABEL a=1 "b c"=d',
    ]);
    expect(config.Env).toEqual(['PATH=/bin', 'A=1', 'B=two words', 'C=three words', 'LEGACY=some value']);
    expect(config.Labels).toEqual({ a: '1', 'b c': 'd' });
  });

  it('exposes ports and ranges, declares volumes, and continues a relative WORKDIR', () => {
    expect(
      applyChanges({}, [
        'EXPOSE 80 53/udp 8000-8001',
        'VOLUME ["/data", "/logs"]',
        'VOLUME /cache',
        'WORKDIR /srv',
        'WORKDIR app',
        'USER 1000:1000',
        'STOPSIGNAL SIGQUIT',
        'ONBUILD RUN make',
      ]),
    ).toEqual({
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} },
      Volumes: { '/data': {}, '/logs': {}, '/cache': {} },
      WorkingDir: '/srv/app',
      User: '1000:1000',
      StopSignal: 'SIGQUIT',
      OnBuild: ['RUN make'],
    });
  });

  it('refuses what import cannot apply, saying why', () => {
    expect(() => applyChanges({}, ['RUN rm -rf /'])).toThrow(InvalidValueError);
    expect(() => applyChanges({}, ['RUN rm -rf /'])).toThrow(/RUN is not an instruction import can apply/);
    expect(() => applyChanges({}, ['EXPOSE 70000'])).toThrow(/"70000" is not a port range/);
    expect(() => applyChanges({}, ['ENV A="open'])).toThrow(/unterminated " quote/);
    expect(() => applyChanges({}, ['LABEL novalue'])).toThrow(/needs a value/);
    expect(() => applyChanges({}, ['CMD'])).toThrow(/needs a command/);
  });

  it('splits words as a shell would', () => {
    expect(shellWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', 'b c', 'd e', 'f g']);
    expect(shellWords(`k=""`)).toEqual(['k=']);
  });
});
