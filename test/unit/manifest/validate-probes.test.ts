/** Validation and defaults of probes and lifecycle handlers, as the API server applies them. */
import { describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { basePod, linesAfter } from './helpers.js';

describe('probes', () => {
  const set = (field: string, p: unknown) => linesAfter((pod) => (pod.spec.containers[0][field] = p));
  test('one handler; ports by number or name; the thresholds of liveness and startup', () => {
    expect(set('livenessProbe', { httpGet: { port: 'http' } })).toEqual([]);
    expect(set('readinessProbe', { tcpSocket: { port: 8080 }, successThreshold: 2 })).toEqual([]);
    expect(set('startupProbe', { grpc: { port: 9000, service: 'db' } })).toEqual([]);
    expect(set('livenessProbe', {})).toEqual(['spec.containers[0].livenessProbe: must specify a handler']);
    expect(set('livenessProbe', { exec: { command: ['true'] }, tcpSocket: { port: 1 } })).toEqual([
      'spec.containers[0].livenessProbe.tcpSocket: may not be set together with exec: specify only one handler',
    ]);
    expect(set('livenessProbe', { exec: { command: ['true'] }, successThreshold: 2 })).toEqual([
      'spec.containers[0].livenessProbe.successThreshold: invalid value 2: must be 1',
    ]);
    expect(set('readinessProbe', { exec: { command: ['true'] }, terminationGracePeriodSeconds: 3 })).toEqual([
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: must not be set for readinessProbes',
    ]);
    expect(set('livenessProbe', { httpGet: { port: 0 } })[0]).toMatch(
      /^spec\.containers\[0\]\.livenessProbe\.httpGet\.port: /,
    );
    expect(set('livenessProbe', { httpGet: { port: 'Not_A_Port' } })[0]).toMatch(
      /^spec\.containers\[0\]\.livenessProbe\.httpGet\.port: /,
    );
    expect(set('livenessProbe', { exec: { command: ['true'] }, periodSeconds: 0 })[0]).toMatch(
      /^spec\.containers\[0\]\.livenessProbe\.periodSeconds: /,
    );
  });

  test('the API server defaults: every 10 s, 1 s timeout, 1 success, 3 failures; httpGet path / and HTTP', () => {
    const pod = basePod();
    pod.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
    pod.spec.containers[0].lifecycle = { postStart: { httpGet: { port: 80 } }, stopSignal: 'SIGQUIT' };
    const c = validatePod(pod).pod.spec.containers[0];
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      initialDelaySeconds: 0,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.lifecycle).toEqual({
      postStart: { httpGet: { port: 80, path: '/', scheme: 'HTTP' } },
      stopSignal: 'SIGQUIT',
    });
  });
});

describe('lifecycle handlers', () => {
  const lc = (l: unknown) => linesAfter((pod) => (pod.spec.containers[0].lifecycle = l));
  test('postStart and preStop take exec, httpGet, tcpSocket or sleep; stopSignal is a signal name', () => {
    expect(lc({ postStart: { sleep: { seconds: 1 } }, preStop: { httpGet: { port: 80, path: '/quit' } } })).toEqual([]);
    expect(lc({ preStop: { sleep: {} } })).toEqual(['spec.containers[0].lifecycle.preStop.sleep.seconds: required']);
    expect(lc({ stopSignal: 'SIGNOPE' })[0]).toMatch(
      /^spec\.containers\[0\]\.lifecycle\.stopSignal: invalid value "SIGNOPE"/,
    );
  });
});
