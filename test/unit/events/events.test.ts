import { describe, expect, test } from 'vitest';
import { MAX_EVENTS, podRef, recordEvent } from '../../../src/events/events.js';
import { formatEvents } from '../../../src/events/format.js';
import type { PodEvent } from '../../../src/state/types.js';

const t0 = new Date('2026-01-01T10:00:00.123Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);

describe('recordEvent', () => {
  test('a repeat of the same object, reason and message is folded: count and lastTimestamp move', () => {
    const events: PodEvent[] = [];
    const c = { name: 'web', init: false };
    recordEvent(
      events,
      { type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: x', container: c },
      t0,
    );
    recordEvent(
      events,
      { type: 'Normal', reason: 'Killing', message: 'Stopping container web', container: c },
      later(1),
    );
    recordEvent(
      events,
      { type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: x', container: c },
      later(10),
    );
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Liveness probe failed: x',
      involvedObject: { kind: 'Pod', fieldPath: 'spec.containers{web}' },
      source: { component: 'kubelet' },
      count: 2,
      firstTimestamp: '2026-01-01T10:00:00Z',
      lastTimestamp: '2026-01-01T10:00:10Z',
    });
  });

  test('another container, another message or the pod itself make distinct events', () => {
    const events: PodEvent[] = [];
    recordEvent(
      events,
      { type: 'Normal', reason: 'Started', message: 'Started container a', container: { name: 'a', init: true } },
      t0,
    );
    recordEvent(
      events,
      { type: 'Normal', reason: 'Started', message: 'Started container a', container: { name: 'a', init: false } },
      t0,
    );
    recordEvent(events, { type: 'Normal', reason: 'Scheduled', message: 'm', component: 'default-scheduler' }, t0);
    expect(events.map((e) => e.involvedObject.fieldPath)).toEqual([
      'spec.initContainers{a}',
      'spec.containers{a}',
      undefined,
    ]);
    expect(events[2].source.component).toBe('default-scheduler');
  });

  test('the list is bounded: the oldest go first', () => {
    const events: PodEvent[] = [];
    for (let i = 0; i < MAX_EVENTS + 5; i++) recordEvent(events, { type: 'Normal', reason: 'R', message: `m${i}` }, t0);
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[0].message).toBe('m5');
  });

  test('podRef is the kubelet format.Pod name', () => {
    expect(podRef({ name: 'p', uid: 'u-1', pod: { metadata: { namespace: 'default' } } })).toBe('p_default(u-1)');
  });
});

describe('formatEvents', () => {
  test('the describe table, with kubectl ages for repeated events', () => {
    const events: PodEvent[] = [];
    recordEvent(
      events,
      { type: 'Normal', reason: 'Started', message: 'Started container web', container: { name: 'web', init: false } },
      t0,
    );
    recordEvent(
      events,
      { type: 'Warning', reason: 'BackOff', message: 'Back-off', container: { name: 'web', init: false } },
      later(5),
    );
    recordEvent(
      events,
      { type: 'Warning', reason: 'BackOff', message: 'Back-off', container: { name: 'web', init: false } },
      later(30),
    );
    const text = formatEvents(
      events.map((event) => ({ pod: 'p', event })),
      later(40),
      false,
    );
    expect(text.split('\n')).toEqual([
      'TYPE     REASON   AGE                FROM     MESSAGE',
      'Normal   Started  40s                kubelet  Started container web',
      'Warning  BackOff  10s (x2 over 35s)  kubelet  Back-off',
      '',
    ]);
  });
});
