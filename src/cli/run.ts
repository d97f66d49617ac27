/**
 * `tspod run SPEC`: run a pod from a Kubernetes Pod manifest (CLI.md).
 *
 * Foreground by default: each container's output is printed with its name in front, SIGINT/SIGTERM
 * stop the pod gracefully, and the exit status tells how the pod ended. `--dry-run` prints the
 * plans and touches nothing; `--explain` narrates each step as it happens; `-d` leaves the pod to a
 * detached supervisor (supervisor/detach.ts) and returns once its app containers have started.
 */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parseRef } from '../image/ref.js';
import { ImageStore, type ImageRecord } from '../image/store.js';
import { hostCredentialSources, type CredentialSources } from '../registry/credentials.js';
import { missingSecretsMessage, podCredentialSources } from '../registry/pull-secrets.js';
import { effectivePolicy, ensureImage, PULL_OVERRIDES, type PullOverride } from '../registry/policy.js';
import { progressFor } from '../registry/progress.js';
import { pullImage } from '../registry/pull.js';
import { chooseNetwork } from '../network/index.js';
import { formatPodPlan, dryRunPlan, podPlanJson } from '../runtime/dry-run.js';
import { gatherFacts } from '../runtime/facts.js';
import { imageVolumeKey } from '../runtime/volumes.js';
import { noConfig, type ConfigObjects } from '../manifest/index.js';
import type { Pod } from '../manifest/types.js';
import type { Container } from '../manifest/types.js';
import { attachFlagsProblem, attachTarget, attachToRun, type RunAttachOptions } from '../attach/run-attached.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../attach/detach-keys.js';
import { newState, runPod, PodExistsError } from '../supervisor/run-pod.js';
import { prefixedPrinter } from '../logs/reader.js';
import { logRotation } from '../logs/log-file.js';
import { EX_IOERR, SIGPIPE, onOutputClosed, outputClosed } from './pipe.js';
import { guardPod } from '../supervisor/last-resort.js';
import type { PodState } from '../state/types.js';
import { DetachError, startDetached } from '../supervisor/detach.js';
import { ExitError, describeError, rootsOf, type GlobalArgs } from './common.js';
import { AdmissionError, admitOnNode, explainAdmission, onNode } from '../admission/on-node.js';
import type { PodOnNode } from '../admission/types.js';
import { loadNode, type NodeInfo } from '../node/node.js';
import { loadRun, type FileArgs, type RunObjects } from './run-files.js';
import { runManyDetached, runManyForeground } from './run-many.js';
import { describeInUse, findInUse, removeInUse, type InUse } from '../workloads/in-use.js';
import type { Roots } from '../paths.js';
import { waitForPod } from '../pods/wait.js';
import type { PodObject } from '../pods/view.js';
import { nth } from '../checked.js';

export interface RunArgs extends GlobalArgs, FileArgs {
  dryRun: boolean;
  json: boolean;
  explain: boolean;
  network?: string;
  keep: boolean;
  detach: boolean;
  wait: boolean;
  pull?: PullOverride;
  replace: boolean;
  stdin: boolean;
  tty: boolean;
  container?: string;
  quiet: boolean;
  uid?: string;
}

export function runOptions<T>(y: Argv<T>) {
  return (
    y
      .positional('files', {
        type: 'string',
        array: true,
        describe:
          'files of Pods, ConfigMaps and Secrets (JSON or YAML, several documents, kind: List), directories of them, or - for standard input',
      })
      // Not `array: true`, which would swallow the positional files after them: repeat the option.
      .option('file', { alias: 'f', type: 'string', describe: 'another such file (repeatable)' })
      .option('configmap', { type: 'string', describe: 'a file of ConfigMaps the pods refer to (repeatable)' })
      .option('secret', { type: 'string', describe: 'a file of Secrets the pods refer to (repeatable)' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'print the whole pod (host steps, infra, containers: namespaces, mounts, syscalls) and exit',
      })
      .option('json', { type: 'boolean', default: false, describe: 'with --dry-run: print the plans as JSON' })
      .option('uid', {
        type: 'string',
        describe: 'with --dry-run: plan the pod with this metadata.uid (a stable output, to compare)',
      })
      .option('explain', { type: 'boolean', default: false, describe: 'narrate each step as it happens' })
      .option('network', {
        type: 'string',
        describe: 'CNI network to attach the pod to, or "none"',
        defaultDescription: 'tspod',
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe:
          'run the pod under a detached supervisor; print its name once it is taken in hand (its containers started, or its init containers begun)',
      })
      .option('wait', {
        type: 'boolean',
        default: false,
        describe: 'with -d: return once the pod is Ready (status 1 if it ends without being Ready)',
      })
      .option('keep', {
        type: 'boolean',
        default: false,
        describe: 'keep the pod (state, logs) after it ends, until "tspod rm"',
      })
      .option('replace', {
        type: 'boolean',
        default: false,
        describe: 'first remove what an earlier run of the files made (as "tspod down" does), then run them',
      })
      .option('pull', {
        choices: PULL_OVERRIDES,
        describe: "override the containers' imagePullPolicy: always (Always), missing (IfNotPresent), never (Never)",
      })
      .option('ignore-unsupported', {
        type: 'boolean',
        default: false,
        describe: 'warn about unsupported fields that cannot weaken isolation instead of refusing',
      })
  );
}

/**
 * Every container's image, and every image volume's, as its pull policy (or `--pull`) says (registry/policy.ts); `--dry-run`
 * never pulls, it plans with the store. One image is pulled once even when several containers use
 * it. The pod's `imagePullSecrets` (from `config`, the Secrets of the run's files) are tried before
 * the host's credentials (registry/pull-secrets.ts).
 */
export async function resolveImages(
  roots: Roots,
  pod: Pod,
  o: { pull?: PullOverride; dryRun?: boolean; config?: ConfigObjects } = {},
): Promise<Record<string, ImageRecord>> {
  const store = new ImageStore(roots);
  const images: Record<string, ImageRecord> = {};
  const pulled = new Map<string, Promise<ImageRecord>>();
  const progress = progressFor(process.stderr, false);
  const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
  // As the kubelet, which looks the pod's pull secrets up (and warns of missing ones) before it
  // decides whether anything needs pulling; the host's files are read only for a pull.
  let own;
  try {
    own = podCredentialSources(pod, o.config ?? noConfig());
  } catch (err) {
    throw new ExitError(`pod "${pod.metadata.name}": ${(err as Error).message}`, 125);
  }
  if (own.missing.length > 0) warn(`pod "${pod.metadata.name}": ${missingSecretsMessage(own.missing)}`);
  let credentials: CredentialSources | undefined;
  const pull = (image: string) => {
    credentials ??= [...own.sources, ...hostCredentialSources()];
    if (!pulled.has(image)) pulled.set(image, pullImage(store, parseRef(image), { credentials, progress }));
    return pulled.get(image) as Promise<ImageRecord>;
  };
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
    try {
      images[c.name] = o.dryRun
        ? await store.resolve(c.image)
        : await ensureImage(c.image, effectivePolicy(c.imagePullPolicy, o.pull), { store, pull, warn });
    } catch (err) {
      throw new ExitError(`container "${c.name}": ${(err as Error).message}`, 125);
    }
  }
  // An image volume's image is pulled by the volume's own policy, as the kubelet pulls it.
  for (const v of pod.spec.volumes) {
    if (!v.image) continue;
    try {
      images[imageVolumeKey(v.name)] = o.dryRun
        ? await store.resolve(v.image.reference)
        : await ensureImage(v.image.reference, effectivePolicy(v.image.pullPolicy, o.pull), { store, pull, warn });
    } catch (err) {
      throw new ExitError(`volume "${v.name}": ${(err as Error).message}`, 125);
    }
  }
  return images;
}

async function printPlans(
  roots: Roots,
  pod: Pod,
  images: Record<string, ImageRecord>,
  config: ConfigObjects,
  o: { json: boolean; network: string; uid?: string },
): Promise<void> {
  const planned = o.uid ? { ...pod, metadata: { ...pod.metadata, uid: o.uid } } : pod;
  const facts = await gatherFacts(roots, o.network, pod);
  const plan = dryRunPlan(roots, newState({ pod: planned, images, keep: false }), images, facts, config);
  for (const w of plan.warnings) process.stderr.write(`tspod: warning: ${w}\n`);
  process.stdout.write(o.json ? podPlanJson(plan) : formatPodPlan(plan));
}

/**
 * Admit each pod on the node, each counting the ones before it in the files (the authoritative
 * check is repeated under the node lock when each pod starts: supervisor/run-pod.ts). Returns the
 * pods as bound to the node. `show` prints the admission first, as --dry-run does.
 */
async function admitAll(roots: Roots, pods: Pod[], show: boolean): Promise<Pod[]> {
  let node: NodeInfo;
  try {
    // A relative TSPOD_NODE_CONFIG means this directory; detached supervisors run in /.
    if (process.env.TSPOD_NODE_CONFIG) process.env.TSPOD_NODE_CONFIG = path.resolve(process.env.TSPOD_NODE_CONFIG);
    node = loadNode(roots);
  } catch (err) {
    throw new ExitError(describeError(err), 125);
  }
  const earlier: PodOnNode[] = [];
  const bound: Pod[] = [];
  for (const pod of pods) {
    try {
      const verdict = await admitOnNode(roots, pod, node, earlier);
      if (show) process.stdout.write(explainAdmission(verdict, node).join('\n') + '\n\n');
      bound.push(verdict.pod);
      earlier.push(onNode(verdict.pod));
    } catch (err) {
      if (show && err instanceof AdmissionError)
        process.stdout.write(explainAdmission(err.verdict, node).join('\n') + '\n');
      throw new ExitError(describeError(err), 125);
    }
  }
  return bound;
}

/**
 * Bare pods are refused in the words the API server uses for a name taken (`pods "web" already
 * exists`) with the way out; anything owned by a workload names the workload and its pods.
 */
function inUseMessage(found: InUse[]): string {
  const bare = found.filter((f) => f.what === `pod "${f.pods[0]}"` && f.pods.length === 1 && !f.job);
  if (bare.length === found.length) {
    const names = bare.map((f) => f.pods[0]).join(' ');
    const what = bare.map((f) => f.what).join(', ');
    return `${what} already ${bare.length === 1 ? 'exists' : 'exist'} (see "tspod ps -a"; remove ${bare.length === 1 ? 'it' : 'them'} with "tspod rm ${names}", or run the files again with --replace)`;
  }
  return `already on this node: ${describeInUse(found)}; remove them with "tspod down FILE" or run the files again with --replace`;
}

/**
 * A run of files must not collide with what an earlier run of them made (podman kube play refuses
 * the same way): refused naming it all, or, with --replace, removed first (as `tspod down`).
 */
async function clearTheWay(roots: Roots, run: RunObjects, replace: boolean): Promise<void> {
  const found = await findInUse(roots, run.podNames, run.workloads);
  if (found.length === 0) return;
  if (!replace) throw new ExitError(inUseMessage(found), 125);
  const warn = (line: string) => process.stderr.write(`tspod: warning: ${line}\n`);
  try {
    const removed = await removeInUse(roots, found, warn);
    if (removed.length > 0) process.stderr.write(`tspod: replaced: removed ${removed.join(', ')}\n`);
  } catch (err) {
    throw new ExitError(describeError(err), 125);
  }
}

/** TSPOD_LOG_MAX_SIZE and TSPOD_LOG_MAX_FILES, checked before anything is made. */
function checkLogRotation(): void {
  try {
    logRotation();
  } catch (err) {
    throw new ExitError((err as Error).message, 125);
  }
}

/** Write to stdout or stderr unless the output is gone (a closed pipe: nobody reads it). */
function say(stream: 'stdout' | 'stderr', text: string | Buffer): void {
  if (!outputClosed()) process[stream].write(text);
}

async function runForeground(
  argv: RunArgs,
  roots: Roots,
  pod: Pod,
  images: Record<string, ImageRecord>,
  config: ConfigObjects,
  network: string,
): Promise<void> {
  // -i/-t: one container's streams are this terminal's (attach/run-attached.ts); checked first.
  const attached = argv.stdin || argv.tty ? attachArgs(argv, pod) : undefined;
  let stopSignal: number | undefined;
  let stop: ((grace?: number, sig?: number) => void) | undefined;
  const stopFor = (n: number) => {
    // A second signal does not wait for the grace period.
    const grace = stopSignal !== undefined ? 0 : undefined;
    stopSignal ??= n;
    stop?.(grace, stopSignal);
  };
  const onSignal = (sig: NodeJS.Signals) => stopFor(sig === 'SIGINT' ? 2 : 15);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Nobody reads the output any more (`tspod run pod.yaml | head`): stop the pod as SIGPIPE
  // would have stopped this command, gracefully, and end with 141 once it is cleaned up.
  // Any other failure of the output (EIO: the terminal hung up) stops it too, and ends with 74.
  let outputStatus: number | undefined;
  onOutputClosed((status) => {
    outputStatus = status;
    stopFor(status === EX_IOERR ? 15 : SIGPIPE);
  });
  let unguard = () => undefined as void;
  const explain = argv.explain ? (line: string) => say('stderr', `[tspod] ${line}\n`) : () => undefined;
  const warn = (line: string) => say('stderr', `tspod: warning: ${line}\n`);
  try {
    const onStarted = (state: PodState) => {
      const ip = state.status.podIP ? `, IP ${state.status.podIP}` : '';
      say('stderr', `tspod: pod "${state.name}" started${ip} (Ctrl-C stops it)\n`);
    };
    // Each container's bytes as it wrote them, `name | ` in front, on the stream it used; with -i,
    // only the attached container's output is shown, as the session's (the others' is logged).
    const sink = attached ? () => undefined : prefixedPrinter(say);
    let live: PodState | undefined;
    const running = await runPod({
      roots,
      pod,
      images,
      config,
      network,
      keep: argv.keep,
      sink,
      explain,
      warn,
      onStarted: attached ? (state) => (live = state) : onStarted,
      onInitializing: (state) => (live = state),
    });
    stop = running.stop;
    // An error nobody caught stops and tears down the pod rather than leave it Orphaned.
    unguard = guardPod(running, { warn, exit: (status) => process.exit(status) });
    if (stopSignal !== undefined) running.stop(undefined, stopSignal);
    const status = attached
      ? await attachToRun(running, () => live, attached.container, attached.options)
      : await running.done;
    process.exitCode = outputStatus === EX_IOERR ? EX_IOERR : status;
  } catch (err) {
    if (err instanceof PodExistsError) throw new ExitError(err.message, 125);
    throw err;
  } finally {
    unguard();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    onOutputClosed(undefined);
  }
}

/** -i, -t, -c, -q of a foreground run, checked against the pod (status 125 when it cannot be attached). */
function attachArgs(argv: RunArgs, pod: Pod): { container: Container; options: RunAttachOptions } {
  const options: RunAttachOptions = {
    container: argv.container,
    stdin: argv.stdin || argv.tty,
    tty: argv.tty,
    quiet: argv.quiet,
    detachKeys: parseDetachKeys(DEFAULT_DETACH_KEYS),
  };
  try {
    return { container: attachTarget(pod, options), options };
  } catch (err) {
    throw new ExitError((err as Error).message, 125);
  }
}

async function runDetached(
  argv: RunArgs,
  roots: Roots,
  pod: Pod,
  images: Record<string, ImageRecord>,
  config: ConfigObjects,
  network: string,
): Promise<void> {
  try {
    await startDetached({ roots, pod, images, config, network, explain: argv.explain });
  } catch (err) {
    if (err instanceof DetachError) throw new ExitError(err.message, err.status);
    throw err;
  }
  process.stdout.write(`${pod.metadata.name}\n`);
  if (argv.wait) await waitReady(roots, pod.metadata.name);
}

/** `run -d --wait`: until the pod is Ready; one that ends first will never be. */
async function waitReady(roots: Roots, name: string): Promise<void> {
  const ended = (p: PodObject) =>
    ['Succeeded', 'Failed', 'Unknown'].includes(p.status.phase)
      ? `pod "${name}" is ${p.status.phase} and will never be Ready`
      : undefined;
  try {
    await waitForPod(roots, name, { kind: 'condition', type: 'Ready', status: 'True' }, Infinity, { until: ended });
  } catch (err) {
    throw new ExitError((err as Error).message, 1);
  }
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run [files..]',
  describe: 'Run the pods of Kubernetes manifests (with the ConfigMaps and Secrets they use)',
  builder: (y) =>
    runOptions(y)
      .example('$0 run examples/two-containers.yaml', 'run a pod in the foreground; Ctrl-C stops it')
      .example('$0 run -d pod.yaml', 'leave it to a detached supervisor; print its name once it has started')
      .example('$0 run --dry-run pod.yaml', 'print the namespaces, mounts and syscalls it would make')
      .example('cat pod.yaml | $0 run -', 'a manifest from standard input')
      .example(
        '$0 run -it shell.yaml',
        'this terminal on the first container with stdin (and tty); the pod is removed when the session ends',
      )
      .option('stdin', {
        alias: 'i',
        type: 'boolean',
        default: false,
        describe: 'attach standard input to the first container with stdin: true (or -c), as kubectl run -i',
      })
      .option('tty', {
        alias: 't',
        type: 'boolean',
        default: false,
        describe: "with -i: this terminal, in raw mode, on the container's terminal (tty: true)",
      })
      .option('container', { alias: 'c', type: 'string', describe: 'with -i/-t: the container to attach to' })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'with -i/-t: print only what the container writes',
      })
      .epilogue(
        "Exit status: 0 when every app container exited 0; else the first failed container's exit code (128+N for signal N; 130/143 when stopped by SIGINT/SIGTERM); 125 when tspod could not run the pod; 126/127 when a command cannot be executed / is not found.",
      ) as unknown as Argv<RunArgs>,
  handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
    const roots = rootsOf(argv);
    checkLogRotation();
    const run = await loadRun(argv);
    const flags = attachFlagsProblem(argv, { pods: run.pods.length, workloads: run.workloads.length });
    if (flags) throw new ExitError(flags, 125);
    // A pod that cannot be attached to is refused before anything is removed, pulled or made.
    if (argv.stdin || argv.tty) attachArgs(argv, nth(run.pods, 0).pod);
    if (!argv.dryRun) await clearTheWay(roots, run, argv.replace);
    const pods = run.pods;
    // Admission before images, as a kubelet admits before it pulls: a pod that does not fit
    // refuses the whole run before anything is pulled or made. A Job is admitted as one pod.
    const admissions = await admitAll(
      roots,
      [...pods.map((p) => p.pod), ...run.jobs.map((j) => j.sample)],
      argv.dryRun && !argv.json,
    );
    // Every image first: a missing one refuses the whole run before any pod starts.
    const images: Record<string, ImageRecord>[] = [];
    for (const { pod, config } of pods)
      images.push(await resolveImages(roots, pod, { pull: argv.pull, dryRun: argv.dryRun, config }));
    const jobImages: Record<string, ImageRecord>[] = [];
    for (const { sample, config } of run.jobs)
      jobImages.push(await resolveImages(roots, sample, { pull: argv.pull, dryRun: argv.dryRun, config }));
    if (argv.dryRun) {
      const dry = (pod: Pod) => ({
        json: argv.json,
        network: chooseNetwork(argv.network, pod.metadata.annotations),
        uid: argv.uid,
      });
      for (const [i, { config }] of pods.entries())
        await printPlans(roots, nth(admissions, i), nth(images, i), config, dry(nth(admissions, i)));
      for (const [i, { config }] of run.jobs.entries())
        await printPlans(
          roots,
          nth(admissions, pods.length + i),
          nth(jobImages, i),
          config,
          dry(nth(admissions, pods.length + i)),
        );
      return;
    }
    const one = pods.length === 1 && run.workloads.length === 0;
    if (one) {
      const { pod, config } = nth(pods, 0);
      const network = chooseNetwork(argv.network, pod.metadata.annotations);
      if (argv.detach) await runDetached(argv, roots, pod, nth(images, 0), config, network);
      else await runForeground(argv, roots, pod, nth(images, 0), config, network);
      return;
    }
    if (argv.wait) throw new ExitError('--wait waits for one pod: these files make several', 125);
    const many = {
      roots,
      pods,
      images,
      jobs: run.jobs,
      jobImages,
      network: argv.network,
      explain: argv.explain,
      keep: argv.keep,
    };
    if (argv.detach) await runManyDetached(many);
    else process.exitCode = await runManyForeground(many);
  },
};
