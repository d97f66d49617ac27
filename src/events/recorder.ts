/**
 * The events the supervisor records, each in the kubelet's own words (pkg/kubelet/events and the
 * messages of pkg/kubelet/kuberuntime, pkg/kubelet/prober, pkg/kubelet/lifecycle), so that
 * `tspod events` reads as `kubectl describe pod` would for the same pod.
 */
import os from 'node:os';
import type { PodState } from '../state/types.js';
import { podRef, recordPodEvent } from './events.js';
import type { PullOutcome } from '../image/store.js';

export interface Subject {
  name: string;
  init: boolean;
}

export class EventRecorder {
  constructor(private readonly state: PodState) {}

  normal(c: Subject | undefined, reason: string, message: string): void {
    recordPodEvent(this.state, { type: 'Normal', reason, message, container: c });
  }

  warning(c: Subject | undefined, reason: string, message: string): void {
    recordPodEvent(this.state, { type: 'Warning', reason, message, container: c });
  }

  scheduled(): void {
    const m = this.state.pod.metadata;
    recordPodEvent(this.state, {
      type: 'Normal',
      reason: 'Scheduled',
      component: 'default-scheduler',
      message: `Successfully assigned ${m.namespace}/${this.state.name} to ${this.state.pod.spec.nodeName ?? os.hostname()}`,
    });
  }

  /**
   * The image was resolved (pulled or found) before the pod was claimed; what happened is told at
   * the first start: `Pulling` + `Pulled` after a download, a `Failed` warning when the registry
   * could not be reached and the stored image runs (ARCHITECTURE §13), else "already present".
   */
  pulled(c: Subject, image: string, pull?: PullOutcome, first = true): void {
    if (first && pull?.how === 'pulled') {
      this.normal(c, 'Pulling', `Pulling image "${image}"`);
      this.normal(c, 'Pulled', `Successfully pulled image "${image}" in ${pull.seconds?.toFixed(3)}s`);
      return;
    }
    if (first && pull?.how === 'offline')
      this.warning(
        c,
        'Failed',
        `Failed to pull image "${image}": ${pull.message}; running the image present on machine`,
      );
    this.normal(c, 'Pulled', `Container image "${image}" already present on machine`);
  }

  created(c: Subject): void {
    this.normal(c, 'Created', `Created container: ${c.name}`);
  }

  started(c: Subject): void {
    this.normal(c, 'Started', `Started container ${c.name}`);
  }

  failedToStart(c: Subject, why: string): void {
    this.warning(c, 'Failed', `Error: ${why}`);
  }

  backOff(c: Subject): void {
    this.warning(c, 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef(this.state)}`);
  }

  /** `message` when the kill has a reason (a failed probe or hook), else the kubelet's plain stop. */
  killing(c: Subject, message?: string): void {
    this.normal(c, 'Killing', message ?? `Stopping container ${c.name}`);
  }
}
