/**
 * `image` volumes in the manifest and the plan: the reference required, the pull policy defaulted
 * from it as a container image's is, and every mount of one read-only, from the pod's directory.
 */
import { describe, expect, test } from 'vitest';
import { ManifestError, validatePod } from '../../../src/manifest/index.js';
import { containerInput } from '../../../src/plan/pod-inputs.js';
import { image, layout, proc } from '../plan/fixtures.js';
import { imageVolumeOptions } from '../../../src/runtime/volumes.js';

const withVolume = (src: object, mount: object = { name: 'v', mountPath: '/data' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { volumes: [{ name: 'v', image: src }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [mount] }] },
});

describe('image volumes', () => {
  test('pullPolicy defaults from the reference, as a container image does', () => {
    expect(validatePod(withVolume({ reference: 'quay.io/m/model' })).pod.spec.volumes[0]!.image).toEqual({
      reference: 'quay.io/m/model',
      pullPolicy: 'Always',
    });
    expect(validatePod(withVolume({ reference: 'model:v1' })).pod.spec.volumes[0]!.image).toEqual({
      reference: 'model:v1',
      pullPolicy: 'IfNotPresent',
    });
    expect(
      validatePod(withVolume({ reference: 'model:latest', pullPolicy: 'Never' })).pod.spec.volumes[0]!.image!
        .pullPolicy,
    ).toBe('Never');
  });

  test('the reference is required; a bad policy is refused by name', () => {
    const err = (() => {
      try {
        validatePod(withVolume({ pullPolicy: 'Sometimes' }));
      } catch (e) {
        return e as ManifestError;
      }
    })();
    expect(err).toBeInstanceOf(ManifestError);
    expect(err!.message).toMatch(/spec\.volumes\[0\]\.image\.reference: /);
    expect(err!.message).toMatch(/spec\.volumes\[0\]\.image\.pullPolicy: /);
  });

  test("every mount of an image volume is read-only, with subPath, from the pod's volume directory", () => {
    const { pod } = validatePod(
      withVolume({ reference: 'model:v1' }, { name: 'v', mountPath: '/m', subPath: 'weights' }),
    );
    const l = layout('p');
    const input = containerInput(pod, l, pod.spec.containers[0]!, {
      image,
      process: proc,
      instance: l.instance('c', 0),
      terminationLog: l.terminationLog('c', 0),
      cgroupProcs: [],
    });
    expect(input.volumes).toEqual([
      expect.objectContaining({ source: l.volume('v'), subPath: 'weights', target: '/m', readOnly: true }),
    ]);
  });
});

describe('the overlay of an image volume', () => {
  test('its layers topmost first, an empty one below a single layer, userxattr; separators escaped', () => {
    expect(imageVolumeOptions(['/l/top', '/l/base'], '/e')).toBe('lowerdir=/l/top:/l/base,userxattr');
    expect(imageVolumeOptions(['/images/x/rootfs'], '/pod/volumes/v.empty')).toBe(
      'lowerdir=/images/x/rootfs:/pod/volumes/v.empty,userxattr',
    );
    expect(imageVolumeOptions(['/l/sha256:ab,c'], '/e')).toBe('lowerdir=/l/sha256\\:ab\\,c:/e,userxattr');
  });

  test('options that do not fit a page are refused, naming the layers', () => {
    expect(() =>
      imageVolumeOptions(
        Array.from({ length: 100 }, (_, i) => `/var/lib/tspod/images/layers/${'f'.repeat(40)}${i}`),
        '/e',
      ),
    ).toThrow('the image has 100 layers, too many to mount as a volume');
  });
});
