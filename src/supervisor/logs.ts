/**
 * Collecting a container's output. Its stdout and stderr are pipes; the supervisor hands their
 * read ends to a `tspod-monitor` process of the instance's own (native/monitor.c) and closes its
 * copies, so the bytes go from the container to the CRI log file without passing through Node:
 * the monitor cuts them into records, stamps, writes and rotates them (logs/log-file.ts documents
 * the rotation, logs/cri-log.ts the format). Why a process and not this event loop: formatting in
 * JavaScript held the log at about 50 MB/s with the supervisor at 100% of a core; and the log
 * must outlive the supervisor (killed, or restarted), as a conmon outlives podman.
 *
 * The monitor tells the supervisor of trouble (a failed write on a full disk, the lines dropped)
 * on its stdout, one `trouble <message>` line each. For a foreground run it also copies every
 * record to a tee (its fd 5), which is parsed back here and handed to the sink (the terminal:
 * `name | line`): the terminal gets every line even when the file has no room for it.
 *
 * The monitor is started in a session of its own (detached): a Ctrl-C at the terminal goes to the
 * foreground `tspod run`, which stops the pod, while the monitor goes on logging what the
 * containers say while they stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { logRotation, type LogRotation } from '../logs/log-file.js';
import { parseLine, type Stream } from '../logs/cri-log.js';
import { MONITOR_BINARY } from '../paths.js';

export type LogSink = (container: string, stream: Stream, content: Buffer, partial: boolean) => void;

export interface ContainerLogOptions {
  rotation?: LogRotation;
  /** told of failed writes and rotations (once per run of failures) and of the lines dropped */
  onTrouble?: (message: string) => void;
  /** the monitor ended before its streams did (killed): how, as "was killed by SIGKILL" */
  onDeath?: (how: string) => void;
}

/** Calls `each` with every complete line of a byte stream (without its newline). */
function eachLine(stream: Readable, each: (line: Buffer) => void): void {
  let rest = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      each(data.subarray(start, nl));
      start = nl + 1;
    }
    rest = Buffer.from(data.subarray(start));
  });
  stream.on('error', () => undefined);
}

export class ContainerLog {
  private readonly monitor: ChildProcess;
  private readonly closed: Promise<void>;
  /** drain() has asked it to stop: an exit is no death */
  private draining = false;

  /**
   * Start logging the container's pipes into `file`. The read ends in `fds` are handed over: when
   * this returns, the supervisor no longer holds them. `sink` undefined: no tee (a detached pod).
   */
  constructor(
    readonly container: string,
    readonly file: string,
    fds: { stdout: number; stderr?: number },
    sink: LogSink | undefined,
    o: ContainerLogOptions = {},
  ) {
    const r = o.rotation ?? logRotation();
    const trouble = o.onTrouble ?? (() => undefined);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch {
      // (a full disk: the monitor drops the lines and says so)
    }
    const stdio = ['ignore', 'pipe', 'inherit', fds.stdout, fds.stderr ?? 'ignore', sink ? 'pipe' : 'ignore'] as const;
    const args = [
      'log',
      file,
      String(r.maxSize),
      String(r.maxFiles),
      '3',
      fds.stderr !== undefined ? '4' : '-1',
      '1',
      sink ? '5' : '-1',
    ];
    // spawn() has forked and dup'ed the fds into the monitor when it returns: ours can be closed.
    this.monitor = spawn(MONITOR_BINARY, args, { stdio: [...stdio], detached: true, cwd: '/' });
    for (const fd of [fds.stdout, fds.stderr]) if (fd !== undefined) fs.closeSync(fd);
    this.closed = new Promise((resolve) => {
      this.monitor.once('close', () => resolve());
      this.monitor.once('error', (err) => {
        trouble(`logging to ${file} failed: ${err.message}`);
        resolve();
      });
    });
    this.monitor.once('exit', (code, signal) => {
      if (this.draining || code === 0) return;
      o.onDeath?.(signal ? `was killed by ${signal}` : `exited with status ${code}`);
    });
    eachLine(this.monitor.stdout!, (line) => {
      const text = line.toString();
      if (text.startsWith('trouble ')) trouble(text.slice('trouble '.length));
    });
    const tee = (this.monitor.stdio as unknown as (Readable | null)[])[5];
    if (sink && tee) eachLine(tee, (rec) => this.toSink(sink, rec));
  }

  private toSink(sink: LogSink, rec: Buffer): void {
    const l = parseLine(rec);
    if (!l) return;
    // The sink is the terminal of a foreground run: whatever happens to it, the log goes on.
    try {
      sink(this.container, l.stream, l.content, l.partial);
    } catch {
      // (a failed terminal is handled where it fails: cli/pipe.ts)
    }
  }

  /** The monitor's pid (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.monitor.pid;
  }

  /**
   * Wait until the monitor has written everything and exited: it does once both pipes closed. At
   * most `ms` after the container exited: a process the container left behind (in a shared PID
   * namespace, orphans live on under pause) may hold them open. Then SIGTERM: the monitor writes
   * what the pipes hold at that moment and exits (SIGKILL if it has not 2 s later).
   */
  async drain(ms = 2000): Promise<void> {
    this.draining = true;
    if (await this.closedWithin(ms)) return;
    this.monitor.kill('SIGTERM');
    if (await this.closedWithin(2000)) return;
    this.monitor.kill('SIGKILL');
    await this.closed;
  }

  private async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }
}
