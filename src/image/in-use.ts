/**
 * Which pods use an image.
 *
 * An image's root filesystem is the lower layer of the overlay mounts of every container started
 * from it; deleting it under a running (or kept, restartable) pod would pull files out from under
 * it. Each pod records the IDs of its images in its state file
 * (`<run-root>/pods/<name>/state.json`, field `images`) before it mounts anything, and a removed
 * pod deletes its state directory, so "used" means "listed by a state file that still exists".
 * Pods of another `--run-root` are not seen: a store should be used with one run root.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Roots } from '../paths.js';

/** Names of the pods whose state lists the image `id`, sorted. */
export function podsUsing(roots: Roots, id: string): string[] {
  const podsDir = path.join(roots.runRoot, 'pods');
  let names: string[];
  try {
    names = fs.readdirSync(podsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`listing pods in ${podsDir}`, { cause: err });
  }
  return names.filter((name) => imagesOfPod(path.join(podsDir, name, 'state.json')).includes(id)).sort();
}

function imagesOfPod(stateFile: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, 'utf8');
  } catch {
    return []; // a pod directory without state yet (or any more) holds no image
  }
  try {
    const images = (JSON.parse(text) as { images?: unknown }).images;
    return Array.isArray(images) ? images.filter((i): i is string => typeof i === 'string') : [];
  } catch (cause) {
    throw new Error(`the pod state ${stateFile} is not valid JSON`, { cause });
  }
}
