/**
 * Which pod cgroups an integration run left behind, when other runs (other checkouts, other
 * people's tests) start and end pods on the same host at the same time.
 *
 * A pod's cgroup is `<hierarchy>/tspod/<uid>`; the uid says nothing about who made the pod. But
 * every process of a pod has the supervisor that runs it as its parent, and every tspod command an
 * integration test starts carries this run's id in its environment (`TSPOD_TEST_RUN`, set by
 * global-setup.ts before the test workers start, so they and every process they start inherit it;
 * tspod itself ignores it), and so does its supervisor. So while the run goes on, the watch looks
 * at each new pod cgroup's processes and their ancestors: one with this run's id makes the pod
 * ours; a tspod process among them and none with the id makes it another run's. At the end,
 * a pod cgroup is a leak of this run unless it existed before the run or was seen to be another's.
 * A cgroup never seen with a process counts as ours, unless it goes away within a few seconds of
 * the end (another run's pod being made or torn down right then: a leaked cgroup stays): the
 * check may blame us for another run's leak, never let one of ours through.
 */
import fs from 'node:fs';
import path from 'node:path';

const CGROUP = '/sys/fs/cgroup';

/** Every pod cgroup on the host now, by pod uid: its directories in each hierarchy. */
export function podCgroups(): Map<string, string[]> {
  const byUid = new Map<string, string[]>();
  for (const h of fs.readdirSync(CGROUP)) {
    const dir = path.join(CGROUP, h, 'tspod');
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // no pods in this hierarchy (or not a hierarchy)
    }
    for (const e of entries.filter((x) => x.isDirectory())) {
      byUid.set(e.name, [...(byUid.get(e.name) ?? []), path.join(dir, e.name)]);
    }
  }
  return byUid;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // gone while we looked
  }
}

/** The pids in a cgroup and all its descendants. */
function pidsIn(dir: string): number[] {
  const pids = read(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  let children: fs.Dirent[] = [];
  try {
    children = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  } catch {
    // removed meanwhile
  }
  return [...pids, ...children.flatMap((c) => pidsIn(path.join(dir, c.name)))];
}

function parentOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

type Owner = 'ours' | 'theirs' | undefined;

/** Whose pod a process belongs to, by the environment and command of it and its ancestors. */
function ownerOf(pid: number, run: string): Owner {
  let tspod = false;
  for (let p = pid; p > 1; p = parentOf(p)) {
    if (read(`/proc/${p}/environ`).split('\0').includes(`TSPOD_TEST_RUN=${run}`)) return 'ours';
    tspod ||= read(`/proc/${p}/cmdline`).includes('tspod');
  }
  return tspod ? 'theirs' : undefined;
}

export class CgroupWatch {
  private readonly before: Set<string>;
  private readonly theirs = new Set<string>();
  private readonly decided = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly run: string,
    everyMs = 200,
  ) {
    this.before = new Set(podCgroups().keys());
    this.timer = setInterval(() => this.look(), everyMs);
    this.timer.unref();
  }

  private look(): void {
    for (const [uid, dirs] of podCgroups()) {
      if (this.before.has(uid) || this.decided.has(uid)) continue;
      const owners = dirs.flatMap(pidsIn).map((pid) => ownerOf(pid, this.run));
      if (owners.includes('ours')) this.decided.add(uid);
      else if (owners.includes('theirs')) {
        this.decided.add(uid);
        this.theirs.add(uid);
      }
    }
  }

  private left(): [string, string[]][] {
    return [...podCgroups()].filter(([uid]) => !this.before.has(uid) && !this.theirs.has(uid));
  }

  /** Stop watching; the directories of the pod cgroups this run left. */
  async stop(settleMs = 5000): Promise<string[]> {
    clearInterval(this.timer);
    const until = Date.now() + settleMs;
    for (;;) {
      this.look();
      const left = this.left();
      const unseen = left.filter(([uid]) => !this.decided.has(uid));
      // Ours for certain (seen with this run's processes), or nothing that may still go away.
      if (unseen.length === 0 || Date.now() > until) return left.flatMap(([, dirs]) => dirs);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
