/**
 * What a pull says while it works: per-layer bars on a terminal (bytes, total and rate, redrawn in
 * place, as podman shows them), one plain line per event otherwise (a log file or a pipe gets no
 * control characters), and nothing at all with `--quiet`.
 */
import { humanBytes } from '../image/unpack-limit.js';

export interface LayerProgress {
  advance(bytes: number): void;
  done(status: string): void;
}

export interface Progress {
  message(text: string): void;
  layer(digest: string, size: number): LayerProgress;
}

export const quietProgress: Progress = {
  message: () => undefined,
  layer: () => ({ advance: () => undefined, done: () => undefined }),
};

/** Plain lines: `Copying blob sha256:abcd… (1.2 MiB)`, then `… done`. */
export function lineProgress(out: NodeJS.WritableStream): Progress {
  return {
    message: (text) => out.write(`${text}\n`),
    layer: (digest, size) => {
      out.write(`Copying blob ${short(digest)} (${humanBytes(size)})\n`);
      return { advance: () => undefined, done: (status) => out.write(`Copying blob ${short(digest)} ${status}\n`) };
    },
  };
}

interface Bar {
  digest: string;
  size: number;
  got: number;
  status?: string;
  started: number;
}

/** Bars redrawn in place on a terminal, at most ten times a second. */
export function barProgress(out: NodeJS.WriteStream): Progress {
  const bars: Bar[] = [];
  let drawn = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    for (const b of bars) out.write(`\x1b[2K${line(b, now, out.columns ?? 80)}\n`);
    drawn = bars.length;
  };
  return {
    message: (text) => {
      // A message goes above the bars: erase them, write it, draw them again below it.
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
      drawn = 0;
      out.write(`${text}\n`);
      draw(true);
    },
    layer: (digest, size) => {
      const b: Bar = { digest, size, got: 0, started: Date.now() };
      bars.push(b);
      draw(true);
      return {
        advance: (n) => ((b.got += n), draw()),
        done: (status) => ((b.status = status), draw(true)),
      };
    },
  };
}

function line(b: Bar, now: number, columns: number): string {
  const head = `Copying blob ${short(b.digest)} `;
  if (b.status) return `${head}${b.status}`;
  const rate = Math.round(b.got / Math.max(0.001, (now - b.started) / 1000));
  const tail = ` ${humanBytes(b.got)} / ${humanBytes(b.size)} | ${humanBytes(rate)}/s`;
  const width = Math.max(10, Math.min(40, columns - head.length - tail.length - 3));
  const filled = b.size > 0 ? Math.min(width, Math.round((b.got / b.size) * width)) : 0;
  const bar = '='.repeat(filled) + (filled < width ? '>' : '') + ' '.repeat(Math.max(0, width - filled - 1));
  return `${head}[${bar}]${tail}`;
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** The progress for a command: bars on a terminal, lines otherwise, nothing when quiet. */
export function progressFor(out: NodeJS.WriteStream, quiet: boolean): Progress {
  if (quiet) return quietProgress;
  return out.isTTY ? barProgress(out) : lineProgress(out);
}
