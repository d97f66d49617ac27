/**
 * Attaching to a container's running process, as the CRI's Attach does: any number of sessions
 * see what the process writes from the moment they attach; those that asked for stdin (and the
 * container has one) write to it; one with a terminal sets its window size.
 *
 * One hub per running instance, made by the supervisor with the instance's streams (the stdin pipe
 * or the terminal's master); a restarted container is a new instance, with a new stdin: sessions
 * end with the instance they were attached to (as `kubectl attach` ends when the container exits).
 *
 * stdinOnce, as containerd and docker implement it: when the first session that used stdin ends
 * (its input reached EOF, it detached, or it went away), the container's stdin is closed and the
 * process reads EOF; it stays closed for the rest of the instance. With a terminal the stdin is not
 * closed (that would hang up the terminal under the process): the session just ends. Without
 * stdinOnce, a session whose input ends stops seeing output (containerd), and stdin stays open for
 * the next one.
 */
import type { Writable } from 'node:stream';

export type OutputStream = 'stdout' | 'stderr';

/** What the process's side hands to a session. */
export interface AttachSink {
  output(stream: OutputStream, chunk: Buffer): void;
  /** the session is over: `why` says what ended it */
  end(why: 'exited' | 'input-ended' | 'detached'): void;
}

export interface AttachRequest {
  stdin: boolean;
}

/** The session's handle on the container. */
export interface AttachHandle {
  /** the container's stdio is a terminal (output comes on stdout only) */
  readonly tty: boolean;
  /** this session writes to the container's stdin */
  readonly stdin: boolean;
  /** why stdin was not granted although asked for */
  readonly stdinRefused?: string;
  write(chunk: Buffer): void;
  /** the session's input reached EOF */
  endInput(): void;
  resize(rows: number, cols: number): void;
  /** the session leaves (detach keys, a client gone): the container runs on */
  detach(): void;
}

export interface HubStreams {
  /** where stdin goes: the stdin pipe, or the terminal's master */
  input?: Writable;
  /** set the terminal's window size (TIOCSWINSZ on the master) */
  resize?: (rows: number, cols: number) => void;
  /** close the container's stdin (stdinOnce) */
  closeInput?: () => void;
  /** told when the first session attaches and when the last one leaves (to feed output only then) */
  watch?: { start(): void; stop(): void };
}

export interface HubContainer {
  name: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

export class AttachHub {
  private readonly sinks = new Set<AttachSink>();
  private inputClosed = false;
  private closed = false;

  constructor(
    private readonly c: HubContainer,
    private readonly streams: HubStreams,
  ) {}

  get tty(): boolean {
    return this.c.tty === true;
  }

  /** Output of the process, to every session. */
  output(stream: OutputStream, chunk: Buffer): void {
    for (const s of [...this.sinks]) s.output(stream, chunk);
  }

  /** The instance ended: every session ends. */
  close(): void {
    this.closed = true;
    for (const s of [...this.sinks]) this.leave(s, 'exited');
  }

  attach(sink: AttachSink, req: AttachRequest): AttachHandle {
    if (this.closed) throw new Error(`container "${this.c.name}" is not running`);
    const refused = !req.stdin
      ? undefined
      : !this.c.stdin
        ? `container "${this.c.name}" does not have stdin: true`
        : this.inputClosed
          ? `container "${this.c.name}" closed its stdin (stdinOnce) when its first attach session ended; ` +
            'it is opened again when the container restarts'
          : undefined;
    const stdin = req.stdin && refused === undefined && this.streams.input !== undefined;
    this.sinks.add(sink);
    if (this.sinks.size === 1) this.streams.watch?.start();
    let done = false;
    const finish = (why: 'input-ended' | 'detached') => {
      if (done) return;
      done = true;
      if (stdin && this.c.stdinOnce && !this.tty) this.closeInput();
      // stdinOnce without a terminal: the session still sees the output that follows the EOF.
      if (why === 'input-ended' && stdin && this.c.stdinOnce && !this.tty) return;
      this.leave(sink, why);
    };
    return {
      tty: this.tty,
      stdin,
      ...(refused ? { stdinRefused: refused } : {}),
      write: (chunk) => {
        if (stdin && !done && !this.inputClosed) this.streams.input!.write(chunk);
      },
      endInput: () => finish('input-ended'),
      resize: (rows, cols) => {
        if (this.tty && !this.closed && rows > 0 && cols > 0) this.streams.resize?.(rows, cols);
      },
      detach: () => {
        finish('detached');
        this.leave(sink, 'detached');
      },
    };
  }

  private leave(sink: AttachSink, why: 'exited' | 'input-ended' | 'detached'): void {
    if (!this.sinks.delete(sink)) return;
    if (this.sinks.size === 0) this.streams.watch?.stop();
    sink.end(why);
  }

  private closeInput(): void {
    if (this.inputClosed) return;
    this.inputClosed = true;
    this.streams.closeInput?.();
  }
}
