/**
 * What the store records of an image besides its config (`sha256/<id>/image.json`): where it
 * came from, its blobs and repo digests, and its layers. Read by the store and its migration.
 */
import type { SourceKind } from './source.js';

export interface ImageMeta {
  imported: string;
  source: SourceKind | 'registry';
  size: number;
  manifest?: string;
  blobs?: string[];
  repoDigests?: string[];
  /** diff IDs of the image's layers in the layer store, bottom first (absent: the old format) */
  layers?: string[];
  /** a migrated multi-layer image of the old format: one layer holding its flattened files */
  flattened?: boolean;
}
