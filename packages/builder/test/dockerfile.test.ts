import { describe, expect, it } from 'vitest';
import { applyChanges, expandWords, keyValuePairs, parseDockerfile } from '../src/index.js';

describe('the Dockerfile parser', () => {
  it('reads directives, comments, continuations, flags and heredocs', () => {
    const file = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        '# escape=`',
        '',
        '# a comment',
        'from busybox AS base',
        'RUN echo a && `',
        '# dropped inside a continuation',
        '    echo b',
        'COPY --from=base --chown=1:2 /a /b',
        'RUN <<EOF',
        'echo in heredoc',
        'EOF',
        'ENV --not-a-flag=1',
      ].join('\n'),
    );
    expect(file.escape).toBe('`');
    expect(file.syntax).toBe('docker/dockerfile:1');
    expect(file.instructions.map((i) => [i.keyword, i.args, i.line])).toEqual([
      ['FROM', 'busybox AS base', 5],
      ['RUN', 'echo a &&     echo b', 6],
      ['COPY', '/a /b', 9],
      ['RUN', '<<EOF', 10],
      ['ENV', '--not-a-flag=1', 13],
    ]);
    expect(file.instructions[2]?.flags).toEqual({ from: 'base', chown: '1:2' });
    expect(file.instructions[3]?.heredocs).toEqual([
      { name: 'EOF', content: 'echo in heredoc\n', quoted: false },
    ]);
  });

  it('expands variables with defaults and quotes, as Docker does', () => {
    const vars = new Map([
      ['A', 'x'],
      ['E', ''],
    ]);
    expect(expandWords('$A ${A}y "${B:-d} $A" \'$A\' ${A:+alt} ${E:-empty} \\$A', vars)).toEqual([
      'x',
      'xy',
      'd x',
      '$A',
      'alt',
      'empty',
      '$A',
    ]);
    expect(keyValuePairs('ENV', 'K="a b" L=$A', vars)).toEqual([
      ['K', 'a b'],
      ['L', 'x'],
    ]);
    expect(keyValuePairs('ENV', 'K a value', vars)).toEqual([['K', 'a value']]);
  });
});

describe('commit --change', () => {
  it('applies config instructions in order, and refuses others', () => {
    const config = applyChanges({ Cmd: ['sh'], Env: ['PATH=/bin'] }, [
      'ENV A=1',
      // One instruction's values expand from the environment before it (Docker's rule).
      'ENV A=2 B=$A',
      'ENTRYPOINT ["/entry"]',
      'EXPOSE 80 90-91/udp',
      'LABEL a=b',
      'USER 1:2',
      'WORKDIR /w',
      'WORKDIR sub',
      'VOLUME /v',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=5s --retries=2 CMD true',
      'ONBUILD run echo hi',
    ]);
    expect(config).toEqual({
      Env: ['PATH=/bin', 'A=2', 'B=1'],
      Entrypoint: ['/entry'],
      // ENTRYPOINT resets an inherited CMD.
      Cmd: null,
      ExposedPorts: { '80/tcp': {}, '90/udp': {}, '91/udp': {} },
      Labels: { a: 'b' },
      User: '1:2',
      WorkingDir: '/w/sub',
      Volumes: { '/v': {} },
      StopSignal: 'SIGINT',
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000, Retries: 2 },
      OnBuild: ['RUN echo hi'],
    });
    expect(applyChanges({}, ['CMD echo hi'])).toEqual({ Cmd: ['/bin/sh', '-c', 'echo hi'] });
    expect(() => applyChanges({}, ['RUN true'])).toThrow('RUN is not a valid change command');
  });
});
