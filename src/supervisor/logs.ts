/**
 * Collecting a container's output: its stdout and stderr are pipes whose read ends the supervisor
 * holds. Each line is appended to the instance's CRI log file and handed to a sink (the foreground
 * `tspod run` prints it with the container's name in front).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LineSplitter, formatLine, rfc3339Nano, type Stream } from '../logs/cri-log.js';

export type LogSink = (container: string, stream: Stream, text: string, partial: boolean) => void;

let nanoCounter = 0;

export class ContainerLog {
  private readonly fd: number;
  private readonly done: Promise<void>[] = [];
  private sockets: net.Socket[] = [];

  constructor(readonly container: string, file: string, fds: { stdout: number; stderr: number }, sink: LogSink) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a', 0o640);
    this.pump('stdout', fds.stdout, sink);
    this.pump('stderr', fds.stderr, sink);
  }

  private pump(stream: Stream, fd: number, sink: LogSink): void {
    // net.Socket over a pipe fd: libuv reads it on the event loop, no thread per container.
    const sock = new net.Socket({ fd, readable: true, writable: false });
    sock.setEncoding('utf8');
    this.sockets.push(sock);
    const split = new LineSplitter();
    const write = (lines: { text: string; partial: boolean }[]) => {
      for (const l of lines) {
        const time = rfc3339Nano(Date.now(), (nanoCounter = (nanoCounter + 1) % 1_000_000));
        fs.writeSync(this.fd, formatLine({ time, stream, partial: l.partial, text: l.text }));
        sink(this.container, stream, l.text, l.partial);
      }
    };
    sock.on('data', (chunk: string) => write(split.push(chunk)));
    this.done.push(
      new Promise((resolve) => {
        sock.on('close', () => {
          write(split.end());
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
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
