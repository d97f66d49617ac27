/**
 * Manifests from a registry: which one a reference means, and what it lists.
 *
 * A tag may point to an *image manifest* (a config and layers, Docker schema 2 or OCI) or to an
 * *index* (a Docker manifest list or an OCI image index: one manifest per platform). From an index
 * the manifest for the wanted platform is chosen — same OS and architecture, and the variant when
 * one is asked for (`arm/v7`) or, for arm64, `v8` or none — skipping the attestation manifests that
 * build tools add (platform `unknown/unknown`, annotation `vnd.docker.reference.type`). Every
 * manifest is checked against the digest it was fetched by, so a pinned `name@sha256:...` proves
 * the content, and a tag's answer is recorded under the digest of its exact bytes.
 */
import type { Platform } from '../image/config.js';
import { parseDigest, sha256, verifyBytes } from '../image/digest.js';
import type { RepositoryClient } from './client.js';
import { readBody } from './http.js';
import { beforeFirst } from '../checked.js';

export const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const MAX_MANIFEST = 4 << 20;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  doc: { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
}

/** Fetches `reference` (a tag or a digest), checking a digest reference against the bytes. */
export async function fetchManifest(
  client: RepositoryClient,
  reference: string,
  what: string,
): Promise<FetchedManifest> {
  const res = await client.get('manifests', reference, [...MANIFEST_TYPES, ...INDEX_TYPES]);
  const bytes = await readBody(res, MAX_MANIFEST);
  if (reference.includes(':')) verifyBytes(bytes, parseDigest(reference, what), `${what}: manifest`);
  let doc: FetchedManifest['doc'];
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new Error(`${what}: the manifest is not valid JSON`, { cause });
  }
  const mediaType = doc.mediaType ?? beforeFirst(String(res.headers['content-type'] ?? ''), ';');
  if (![...MANIFEST_TYPES, ...INDEX_TYPES].includes(mediaType)) {
    throw new Error(
      `${what}: unsupported manifest type "${mediaType}" (tspod reads OCI and Docker schema 2 manifests)`,
    );
  }
  return { bytes, mediaType, digest: sha256(bytes), doc };
}

/** The manifest for `platform` among an index's entries; the error lists what the index has. */
export function selectPlatform(index: FetchedManifest, platform: Platform, what: string): Descriptor {
  const entries = (index.doc.manifests ?? []).filter((d) => !isAttestation(d));
  const fits = entries.filter(
    (d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture,
  );
  const variant = platform.variant ?? (platform.architecture === 'arm64' ? 'v8' : undefined);
  const exact = fits.filter((d) => (d.platform?.variant ?? variant) === variant);
  const chosen = exact[0] ?? (platform.variant ? undefined : fits[0]);
  if (!chosen) {
    const has = entries
      .map((d) => [d.platform?.os, d.platform?.architecture, d.platform?.variant].filter(Boolean).join('/'))
      .join(', ');
    const want = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    throw new Error(`${what}: no image for ${want} (the index has ${has || 'nothing'})`);
  }
  return chosen;
}

function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown')
  );
}
