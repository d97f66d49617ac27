/**
 * What a container runs: the four command/args cases, environment resolution and merging, the
 * downward API, the working directory.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PATH,
  resolveProcess,
  validatePod,
  type Container,
  type DownwardFacts,
  type ImageConfig,
} from '../../../src/manifest/index.js';
import type { Json } from './helpers.js';

const facts: DownwardFacts = {
  podName: 'web',
  namespace: 'default',
  uid: '0b8c1c5e-0000-4000-8000-000000000001',
  podIP: '10.88.0.5',
  hostIP: '192.168.1.10',
  nodeName: 'host-1',
  serviceAccountName: 'default',
};

const image: ImageConfig = {
  Entrypoint: ['/docker-entrypoint.sh'],
  Cmd: ['nginx', '-g', 'daemon off;'],
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NGINX_VERSION=1.25', 'LANG=C'],
  WorkingDir: '/srv',
};

/** A defaulted container built from a manifest fragment. */
function container(fields: Json): Container {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'c', image: 'nginx', ...fields }] },
  };
  return validatePod(manifest).pod.spec.containers[0]!;
}

describe('command and args against ENTRYPOINT and CMD', () => {
  test('neither: the image ENTRYPOINT and CMD', () => {
    expect(resolveProcess(container({}), image, facts).argv).toEqual([
      '/docker-entrypoint.sh',
      'nginx',
      '-g',
      'daemon off;',
    ]);
  });

  test('command only: the command, and the image CMD is dropped', () => {
    expect(resolveProcess(container({ command: ['/bin/sh'] }), image, facts).argv).toEqual(['/bin/sh']);
  });

  test('args only: the image ENTRYPOINT with the args', () => {
    expect(resolveProcess(container({ args: ['nginx', '-T'] }), image, facts).argv).toEqual([
      '/docker-entrypoint.sh',
      'nginx',
      '-T',
    ]);
  });

  test('both: the command with the args', () => {
    const c = container({ command: ['/bin/sh'], args: ['-c', 'echo hi'] });
    expect(resolveProcess(c, image, facts).argv).toEqual(['/bin/sh', '-c', 'echo hi']);
  });

  test('an empty command counts as none', () => {
    expect(resolveProcess(container({ command: [], args: ['x'] }), image, facts).argv).toEqual([
      '/docker-entrypoint.sh',
      'x',
    ]);
  });

  test('an image without ENTRYPOINT runs CMD, or the args', () => {
    const busybox: ImageConfig = { Cmd: ['sh'] };
    expect(resolveProcess(container({}), busybox, facts).argv).toEqual(['sh']);
    expect(resolveProcess(container({ args: ['echo', 'hi'] }), busybox, facts).argv).toEqual(['echo', 'hi']);
  });

  test('nothing to run is an error naming the container', () => {
    expect(() => resolveProcess(container({}), {}, facts)).toThrow(
      'container "c" has no command: the manifest sets neither command nor args, ' +
        'and the image has no Entrypoint or Cmd',
    );
  });
});

describe('environment', () => {
  test('image Env first, then the manifest env; a manifest value replaces the image one in place', () => {
    const c = container({
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'LANG', value: 'C.UTF-8' },
      ],
    });
    expect(resolveProcess(c, image, facts).env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'NGINX_VERSION=1.25',
      'LANG=C.UTF-8',
      'GREETING=hello',
    ]);
  });

  test('a default PATH when neither the image nor the manifest sets one', () => {
    expect(resolveProcess(container({ command: ['true'] }), {}, facts).env).toEqual([`PATH=${DEFAULT_PATH}`]);
    const c = container({ command: ['true'], env: [{ name: 'PATH', value: '/opt/bin' }] });
    expect(resolveProcess(c, {}, facts).env).toEqual(['PATH=/opt/bin']);
  });

  test('HOSTNAME is not added', () => {
    expect(resolveProcess(container({}), image, facts).env.some((e) => e.startsWith('HOSTNAME='))).toBe(false);
  });

  test('a later manifest entry of the same name wins', () => {
    const c = container({
      command: ['env'],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'A', value: '3' },
      ],
    });
    expect(resolveProcess(c, {}, facts).env.slice(1)).toEqual(['A=3', 'B=2']);
  });

  test('values expand $(VAR) from earlier manifest entries only', () => {
    const c = container({
      env: [
        { name: 'HOST', value: 'db' },
        { name: 'URL', value: 'postgres://$(HOST):5432/$(NAME)' },
        { name: 'NAME', value: 'app' },
        { name: 'LITERAL', value: '$$(HOST)' },
        { name: 'FROM_IMAGE', value: '$(NGINX_VERSION)' },
      ],
    });
    expect(resolveProcess(c, image, facts).env.slice(3)).toEqual([
      'HOST=db',
      'URL=postgres://db:5432/$(NAME)',
      'NAME=app',
      'LITERAL=$(HOST)',
      'FROM_IMAGE=$(NGINX_VERSION)',
    ]);
  });

  test('the downward API fields', () => {
    const paths = [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      'status.podIP',
      'status.hostIP',
      'spec.nodeName',
      'spec.serviceAccountName',
    ];
    const c = container({
      command: ['true'],
      env: paths.map((fieldPath, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { fieldPath } } })),
    });
    expect(resolveProcess(c, {}, facts).env.slice(1)).toEqual([
      'V0=web',
      'V1=default',
      `V2=${facts.uid}`,
      'V3=10.88.0.5',
      'V4=192.168.1.10',
      'V5=host-1',
      'V6=default',
    ]);
  });

  test('an unknown pod IP is empty', () => {
    const c = container({
      command: ['true'],
      env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    });
    expect(resolveProcess(c, {}, { ...facts, podIP: undefined }).env).toContain('IP=');
  });

  test('command and args expand from the resolved manifest env', () => {
    const c = container({
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'MSG', value: 'hi from $(POD)' },
      ],
      command: ['/bin/echo', '$(MSG)'],
      args: ['$(POD)', '$$(POD)', '$(NGINX_VERSION)', '$(undefined'],
    });
    expect(resolveProcess(c, image, facts).argv).toEqual([
      '/bin/echo',
      'hi from web',
      'web',
      '$(POD)',
      '$(NGINX_VERSION)',
      '$(undefined',
    ]);
  });

  test('the image ENTRYPOINT and CMD are not expanded', () => {
    const c = container({ env: [{ name: 'X', value: 'x' }] });
    expect(resolveProcess(c, { Entrypoint: ['echo', '$(X)'], Cmd: ['$(X)'] }, facts).argv).toEqual([
      'echo',
      '$(X)',
      '$(X)',
    ]);
  });
});

describe('working directory', () => {
  test('workingDir, else the image WORKDIR, else /', () => {
    expect(resolveProcess(container({ workingDir: '/app' }), image, facts).workingDir).toBe('/app');
    expect(resolveProcess(container({}), image, facts).workingDir).toBe('/srv');
    expect(resolveProcess(container({ command: ['true'] }), {}, facts).workingDir).toBe('/');
  });
});
