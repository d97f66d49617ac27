/**
 * Collecting a container's output: its stdout and stderr are pipes whose read ends the supervisor
 * holds. What each read returns is cut into lines (logs/cri-log.ts), stamped with the time of the
 * read, appended to the instance's CRI log file as one write, and handed to a sink (the foreground
 * `tspod run` prints it with the container's name in front). Bytes stay bytes all the way: the
 * pipes are read without a decoder, so CR, NUL and invalid UTF-8 reach the file as written.
 */
import net from 'node:net';
import { LogFile, logRotation, type LogFileOptions, type LogRotation } from '../logs/log-file.js';
import { LineSplitter, LogClock, formatRecords, type Piece, type Stream } from '../logs/cri-log.js';

export type LogSink = (container: string, stream: Stream, content: Buffer, partial: boolean) => void;

/** One stream of one container: each chunk read is cut, stamped, appended and handed on. */
export class StreamLog {
  private readonly split: LineSplitter;

  constructor(
    readonly stream: Stream,
    private readonly clock: LogClock,
    private readonly append: (records: Buffer) => void,
    private readonly sink: (p: Piece) => void,
    splitAt?: number,
  ) {
    this.split = new LineSplitter(splitAt);
  }

  push(chunk: Buffer): void {
    this.emit(this.split.push(chunk));
  }

  /** The stream closed: what is left after the last newline becomes a `P` piece. */
  end(): void {
    this.emit(this.split.end());
  }

  private emit(pieces: Piece[]): void {
    if (pieces.length === 0) return;
    this.append(formatRecords(this.stream, pieces, this.clock));
    // The sink is the terminal of a foreground run: whatever happens to it, the log goes on.
    try {
      for (const p of pieces) this.sink(p);
    } catch {
      // (a failed terminal is handled where it fails: cli/pipe.ts)
    }
  }
}

export class ContainerLog {
  private readonly file: LogFile;
  private readonly done: Promise<void>[] = [];
  private sockets: net.Socket[] = [];
  /** one clock for both streams: its times never repeat, so every record is ordered */
  private readonly clock = new LogClock();

  constructor(readonly container: string, file: string, fds: { stdout: number; stderr: number }, sink: LogSink, o: LogFileOptions & { rotation?: LogRotation } = {}) {
    this.file = new LogFile(file, o.rotation ?? logRotation(), o);
    this.pump('stdout', fds.stdout, sink);
    this.pump('stderr', fds.stderr, sink);
  }

  private pump(stream: Stream, fd: number, sink: LogSink): void {
    // net.Socket over a pipe fd: libuv reads it on the event loop, no thread per container.
    const sock = new net.Socket({ fd, readable: true, writable: false });
    this.sockets.push(sock);
    const log = new StreamLog(stream, this.clock, (records) => this.file.append(records), (p) => sink(this.container, stream, p.content, p.partial));
    sock.on('data', (chunk: Buffer) => log.push(chunk));
    this.done.push(
      new Promise((resolve) => {
        sock.on('close', () => {
          log.end();
          resolve();
        });
        sock.on('error', () => undefined);
      }),
    );
  }

  /**
   * Wait until both pipes closed, at most `ms` after the container exited: a process the container
   * left behind (in a shared PID namespace, orphans live on under pause) may hold them open.
   */
  async drain(ms = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.all(this.done), timeout]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets = [];
    this.file.close();
  }
}
