/** What admission knows of a pod already on this node, and what it concludes about a new one. */
import type { PodAffinityTerm, Pod } from '../manifest/types.js';
import type { Amounts } from '../node/resources.js';

export interface HostPortUse {
  port: number;
  protocol: string;
  /** '' or 0.0.0.0: every address */
  hostIP: string;
}

export interface PodOnNode {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** its effective request (node/requests.ts) */
  requests: Amounts;
  hostPorts: HostPortUse[];
  /** its required anti-affinity terms, which a new pod must respect too */
  antiAffinity: PodAffinityTerm[];
}

/** One resource of the fit: what the pod asks, what admitted pods hold, what the node can give. */
export interface ResourceFit {
  resource: string;
  requested: number;
  used: number;
  allocatable: number;
  fits: boolean;
}

/** A failed check: the kubelet's reason word and its message. */
export interface Refusal {
  reason: string;
  message: string;
  /** what exactly did not hold, in words */
  detail?: string;
}

export interface Verdict {
  /** the pod as bound to this node: nodeName, priority and preemptionPolicy set */
  pod: Pod;
  node: string;
  refusals: Refusal[];
  fit: ResourceFit[];
  /** every check and how it went, for --explain and --dry-run */
  notes: string[];
  /** things the pod asks for that a kubelet would do and tspod does not */
  warnings: string[];
}
