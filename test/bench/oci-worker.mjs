/**
 * Measures one OCI runtime in a process of its own, for a runtime that cannot run on this host's
 * cgroup layout as it is: crun 1.8 refuses a hybrid host (cgroup v1 controllers plus a cgroup2
 * mount) as soon as the cgroup2 side has any controller ("cgroups in hybrid mode not supported,
 * drop all controllers from cgroupv2"), which is the case when a controller (often hugetlb) is not
 * mounted as v1.
 *
 * startup.mjs starts this file with `unshare --mount` after `umount -l /sys/fs/cgroup/unified` in
 * that new mount namespace only: the runtime there sees a legacy (v1 only) host and uses the same v1
 * controllers as runc; the host's own mounts are untouched (the namespace's propagation is private).
 * Timing happens here, around each command, exactly as in startup.mjs, so the detour costs nothing
 * inside the samples.
 *
 * Usage: node oci-worker.mjs '{"name","root","bundles","opts","idPrefix"}'; prints {rows, leftovers}.
 */
import { stopOnInterrupt } from './measure.mjs';
import { measureRuntime, removeLeftovers, runtime } from './oci.mjs';

const job = JSON.parse(process.argv[2]);
const rt = runtime(job.name, job.root);
stopOnInterrupt();
const out = { rows: [], leftovers: [] };
try {
  out.rows = await measureRuntime(rt, job.bundles, job.opts, job.idPrefix);
} catch (err) {
  out.error = err.message;
} finally {
  out.leftovers = removeLeftovers(rt);
}
process.stdout.write(JSON.stringify(out));
