/**
 * Running tspod-monitor (native/monitor.c) in a unit test, without root or a container: its one
 * stream is a socket the test writes (fd 0), its tee comes back on its stdout (fd 1), its reports
 * (`trouble ...` lines) on its stderr (fd 2). `logOnce` writes everything and waits for the end;
 * `PacedMonitor` writes one piece at a time and waits until the monitor has written it (its tee
 * follows the file write), so a test can read the file between two writes.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { MONITOR_BINARY } from '../../../src/paths.js';

export interface MonitorOptions {
  maxSize?: number;
  maxFiles?: number;
  /** run under `prlimit --fsize=N`: writes past N bytes fail with EFBIG (a real short write) */
  fsizeLimit?: number;
  /** run under `prlimit --as=N`: the monitor can never map more than N bytes */
  addressSpaceLimit?: number;
}

function command(file: string, o: MonitorOptions): [string, string[]] {
  const args = ['log', file, String(o.maxSize ?? 1 << 30), String(o.maxFiles ?? 5), '0', '-1', '2', '1'];
  const limits = [
    ...(o.fsizeLimit !== undefined ? [`--fsize=${o.fsizeLimit}`] : []),
    ...(o.addressSpaceLimit !== undefined ? [`--as=${o.addressSpaceLimit}`] : []),
  ];
  return limits.length === 0 ? [MONITOR_BINARY, args] : ['prlimit', [...limits, '--', MONITOR_BINARY, ...args]];
}

const reports = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('trouble '))
    .map((l) => l.slice(8));

/** Log `input` as one stream into `file`; the tee's bytes and the reports. */
export function logOnce(file: string, input: Buffer, o: MonitorOptions = {}): { tee: Buffer; told: string[] } {
  const [cmd, args] = command(file, o);
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tspod-monitor: status ${r.status ?? r.signal}: ${r.stderr}`);
  return { tee: r.stdout, told: reports(r.stderr.toString()) };
}

export class PacedMonitor {
  private readonly child: ChildProcessWithoutNullStreams;
  private teeLines = 0;
  private waiters: (() => void)[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(file: string, o: MonitorOptions = {}) {
    const [cmd, args] = command(file, o);
    this.child = spawn(cmd, args);
    this.child.stdout.on('data', (b: Buffer) => {
      for (const byte of b) if (byte === 0x0a) this.teeLines++;
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Write `lines` (whole lines, each at most 16 KiB) and wait until they are logged. */
  async write(lines: Buffer | string): Promise<void> {
    const data = Buffer.from(lines);
    let want = this.teeLines;
    for (const byte of data) if (byte === 0x0a) want++;
    this.child.stdin.write(data);
    while (this.teeLines < want) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get told(): string[] {
    return reports(this.stderr);
  }

  /** Close the stream; resolves with the monitor's exit status once it is done. */
  end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
