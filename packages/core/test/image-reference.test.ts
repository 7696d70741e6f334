import { describe, expect, it } from 'vitest';
import { ImageReference, InvalidValueError } from '../src/index.js';

const HEX = 'a'.repeat(64);

describe('ImageReference.parse normalises as Docker does', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'],
    ['library/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['index.docker.io/library/alpine:edge', 'docker.io/library/alpine:edge', 'alpine:edge'],
    [
      'fabianlee/golang-memtest:1.0.0',
      'docker.io/fabianlee/golang-memtest:1.0.0',
      'fabianlee/golang-memtest:1.0.0',
    ],
    ['jwilder/whoami', 'docker.io/jwilder/whoami:latest', 'jwilder/whoami:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest', '127.0.0.1:5000/busybox:latest'],
    ['quay.io/podman/stable:v4', 'quay.io/podman/stable:v4', 'quay.io/podman/stable:v4'],
    [
      'Registry.Example.com/team/app',
      'Registry.Example.com/team/app:latest',
      'Registry.Example.com/team/app:latest',
    ],
    ['[::1]:5000/app:1', '[::1]:5000/app:1', '[::1]:5000/app:1'],
    ['a/b/c/d', 'docker.io/a/b/c/d:latest', 'a/b/c/d:latest'],
    ['my_app.v2-beta__x', 'docker.io/library/my_app.v2-beta__x:latest', 'my_app.v2-beta__x:latest'],
    [`alpine@sha256:${HEX}`, `docker.io/library/alpine@sha256:${HEX}`, `alpine@sha256:${HEX}`],
    [`alpine:3@sha256:${HEX}`, `docker.io/library/alpine:3@sha256:${HEX}`, `alpine:3@sha256:${HEX}`],
  ])('%s -> %s', (input, full, familiar) => {
    const ref = ImageReference.parse(input);
    expect(ref.toString()).toBe(full);
    expect(ref.toFamiliarString()).toBe(familiar);
  });

  it('splits registry, repository, tag and digest', () => {
    const ref = ImageReference.parse(`host:5000/a/b:t@sha256:${HEX}`);
    expect(ref.registry).toBe('host:5000');
    expect(ref.repository).toBe('a/b');
    expect(ref.tag).toBe('t');
    expect(ref.digest).toBe(`sha256:${HEX}`);
    expect(ref.manifestReference).toBe(`sha256:${HEX}`);
  });

  it('asks the registry for the tag when there is no digest', () => {
    expect(ImageReference.parse('busybox').manifestReference).toBe('latest');
    expect(ImageReference.parse('busybox').name).toBe('docker.io/library/busybox');
  });
});

describe('ImageReference.parse rejects invalid references with the reason', () => {
  it.each([
    ['', /empty/],
    [' alpine', /white space/],
    ['alp ine', /white space/],
    ['Alpine', /must be lower-case/],
    ['docker.io/Library/alpine', /must be lower-case/],
    ['user/App:1', /must be lower-case/],
    [HEX, /64-hex image ID/],
    ['alpine:', /bad tag ""/],
    ['alpine:-x', /bad tag/],
    ['alpine:.x', /bad tag/],
    ['alpine:a+b', /bad tag/],
    [`alpine:${'t'.repeat(129)}`, /longer than 128/],
    ['alpine@sha256:abc', /bad digest/],
    ['alpine@md5:' + 'a'.repeat(32), /unsupported algorithm/],
    [`alpine@sha256:${'A'.repeat(64)}`, /lower-case hex/],
    ['alpine@', /bad digest/],
    ['/alpine', /empty path component/],
    ['a//b', /empty path component/],
    ['alpine/', /empty path component/],
    ['-alpine', /bad path component "-alpine"/],
    ['alpine-', /bad path component/],
    ['al..pine', /bad path component/],
    ['a___b', /bad path component/],
    ['a$b', /bad path component|bad tag/],
    ['localhost:5000/', /empty/],
    ['exa_mple.com/app', /bad registry host/],
    ['-bad.com/app', /bad registry host/],
    [':tag', /repository name is empty/],
    [`docker.io/${'a'.repeat(250)}/b`, /longer than 255/],
  ])('%j', (input, reason) => {
    let error: unknown;
    try {
      ImageReference.parse(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).message).toMatch(reason);
    expect((error as InvalidValueError).exitCode).toBe(125);
  });
});
