/**
 * How `tspod events` prints events: the table of `kubectl describe pod` (TYPE, REASON, AGE, FROM,
 * MESSAGE), where AGE is kubectl's `<last seen> (x<count> over <since first>)` for a repeated
 * event. Pure: the events and the time in, the text out.
 */
import { humanAge } from '../pods/view.js';
import type { PodEvent } from '../state/types.js';
import { padColumns } from '../table.js';

export interface EventRow {
  pod: string;
  event: PodEvent;
}

function age(e: PodEvent, now: Date): string {
  const last = humanAge(new Date(e.lastTimestamp), now);
  if (e.count <= 1) return last;
  return `${last} (x${e.count} over ${humanAge(new Date(e.firstTimestamp), now)})`;
}

/** `kubelet` for the pod itself, as kubectl prints FROM. */
function from(e: PodEvent): string {
  return e.source.component;
}

/** The table; with `withPod`, an OBJECT column names `pod/NAME` (events of every pod). */
export function formatEvents(rows: EventRow[], now: Date, withPod: boolean): string {
  const head = [...(withPod ? ['POD'] : []), 'TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'];
  const cells = [
    head,
    ...rows.map((r) => [
      ...(withPod ? [r.pod] : []),
      r.event.type,
      r.event.reason,
      age(r.event, now),
      from(r.event),
      r.event.message,
    ]),
  ];
  return padColumns(cells, 2).join('\n') + '\n';
}
