/**
 * The parts of an image that an archive reader finds: its config and its layers, bottom first,
 * with the digests each must match. The OCI and `docker save` readers produce them; the importer
 * applies them.
 */
import type { ParsedImageConfig } from './config.js';
import type { Digest } from './digest.js';

export interface LayerRef {
  /** the layer's path in the archive */
  path: string;
  /** names the layer in errors */
  what: string;
  /** digest and size of the stored (possibly compressed) blob, when the format records them */
  digest?: Digest;
  size?: number;
  /** sha256 of the uncompressed tar, from the config's `rootfs.diff_ids` */
  diffId?: Digest;
  /**
   * the blob is not in the archive (OCI layouts): importable only when the store has the layer's
   * diff ID already, as in a pull that did not download a layer the store had by diff ID
   */
  absent?: boolean;
}

export interface ImageParts {
  /** the config's exact bytes: the image ID is their sha256 */
  configBytes: Buffer;
  config: ParsedImageConfig;
  layers: LayerRef[];
  /** the manifest as the archive has it (OCI); a `docker save` archive has none */
  manifest?: { bytes: Buffer; mediaType: string };
}
