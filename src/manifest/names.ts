/**
 * The name formats of the Kubernetes API, and the hostname a pod gets.
 *
 * Each check returns `undefined` for a good value, or a lower-case sentence saying what is wrong
 * (the caller prefixes the field path). The formats are the API server's:
 *
 * - DNS label (RFC 1123): container, volume and namespace names, `hostname`, `subdomain`.
 * - DNS subdomain: the pod's name, node and service account names, host aliases.
 * - IANA service name: port names (at most 15 characters, at least one letter).
 * - qualified name (`prefix/name`): label and annotation keys.
 * - environment variable names: the portable form, `[-._a-zA-Z][-._a-zA-Z0-9]*`, which every
 *   Kubernetes version accepts (newer ones also accept any printable character but `=`).
 */
import { isIP } from 'node:net';
import type { Pod } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function dnsLabel(s: string): string | undefined {
  if (s.length > 63) return `"${s}" is longer than 63 characters`;
  if (!DNS_LABEL.test(s)) {
    return (
      `invalid name "${s}": must be a DNS label ` +
      `(lower-case letters, digits and '-', starting and ending with a letter or digit)`
    );
  }
  return undefined;
}

export function dnsSubdomain(s: string): string | undefined {
  if (s.length > 253) return `"${s}" is longer than 253 characters`;
  if (!DNS_SUBDOMAIN.test(s)) {
    return (
      `invalid name "${s}": must be a DNS subdomain ` +
      `(lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`
    );
  }
  return undefined;
}

/** A DNS search domain: a DNS subdomain, with an optional trailing dot. */
export function searchDomain(s: string): string | undefined {
  return dnsSubdomain(s.endsWith('.') ? s.slice(0, -1) : s);
}

export function portName(s: string): string | undefined {
  const bad = `invalid port name "${s}"`;
  if (s.length > 15) return `${bad}: longer than 15 characters`;
  if (!/^[-a-z0-9]+$/.test(s)) return `${bad}: must contain only lower-case letters, digits and '-'`;
  if (!/[a-z]/.test(s)) return `${bad}: must contain at least one letter`;
  if (s.startsWith('-') || s.endsWith('-') || s.includes('--')) {
    return `${bad}: may not begin or end with '-' nor contain '--'`;
  }
  return undefined;
}

export function qualifiedName(s: string): string | undefined {
  const slash = s.indexOf('/');
  const prefix = slash >= 0 ? s.slice(0, slash) : undefined;
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  if (prefix !== undefined && (prefix === '' || dnsSubdomain(prefix))) {
    return `invalid key "${s}": the prefix before '/' must be a DNS subdomain`;
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return (
      `invalid key "${s}": the name must be at most 63 letters, digits, '-', '_' or '.', ` +
      `starting and ending with a letter or digit`
    );
  }
  return undefined;
}

export function labelValue(s: string): string | undefined {
  if (s === '') return undefined;
  if (s.length > 63 || !QUALIFIED_NAME.test(s)) {
    return (
      `invalid label value "${s}": must be at most 63 letters, digits, '-', '_' or '.', ` +
      `starting and ending with a letter or digit`
    );
  }
  return undefined;
}

export function envVarName(s: string): string | undefined {
  if (!ENV_NAME.test(s)) {
    return (
      `invalid environment variable name "${s}": ` +
      `must be letters, digits, '_', '-' and '.', not starting with a digit`
    );
  }
  return undefined;
}

export function ipAddress(s: string): string | undefined {
  return isIP(s) ? undefined : `invalid IP address "${s}"`;
}

/**
 * The hostname of a pod's UTS namespace: `spec.hostname`, else the pod's name, cut to 63
 * characters with trailing `-` and `.` removed (what the kubelet does with long pod names).
 * A `hostNetwork` pod keeps the host's hostname instead; that is the runtime's concern.
 */
export function podHostname(pod: Pod): string {
  const name = pod.spec.hostname || pod.metadata.name;
  return name.slice(0, 63).replace(/[-.]+$/, '');
}
