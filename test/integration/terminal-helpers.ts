/**
 * A terminal for a test (fixtures/pty-run.py): a command run on a fresh pseudo-terminal with a
 * given window size, as from a user's shell. `type` types into it, `resize` changes its size,
 * `output()` is what appeared on it (CRs dropped), `done` resolves when the command has exited,
 * with its status and the bytes left unread in the terminal's input queue.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { TSPOD, waitFor, type TestRoots } from './helpers.js';

const PTY_RUN = path.join(import.meta.dirname, 'fixtures', 'pty-run.py');

export interface Terminal {
  type(text: string): void;
  resize(rows: number, cols: number): void;
  output(): string;
  /** the bytes as they came, CRs included */
  raw(): string;
  /** wait until the output matches */
  expectOutput(re: RegExp, ms?: number): Promise<void>;
  done: Promise<{ status: number; inq: number; output: string }>;
  kill(): void;
}

export function onTerminal(roots: TestRoots, rows: number, cols: number, args: string[]): Terminal {
  const child = spawn('python3', [PTY_RUN, String(rows), String(cols), '--', process.execPath, TSPOD, ...args], {
    env: roots.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let raw = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    raw += d.toString('utf8');
    out += d.toString('utf8').replace(/\r/g, '');
  });
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const control = child.stdio[3] as Writable;
  const done = new Promise<{ status: number; inq: number; output: string }>((resolve, reject) => {
    child.on('close', () => {
      const m = /pty-run: status=(\d+) inq=(\d+)/.exec(err);
      if (!m) return reject(new Error(`the terminal ended without a status: ${err}\n${out}`));
      resolve({ status: Number(m[1]), inq: Number(m[2]), output: out });
    });
  });
  return {
    type: (text) => child.stdin!.write(text),
    resize: (r, c) => control.write(`resize ${r} ${c}\n`),
    output: () => out,
    raw: () => raw,
    expectOutput: async (re, ms = 30_000) => {
      try {
        await waitFor(`${re} on the terminal`, () => re.test(out), ms);
      } catch (e) {
        throw new Error(`${(e as Error).message}; it shows: ${JSON.stringify(out.slice(-600))}`);
      }
    },
    done,
    kill: () => child.kill('SIGKILL'),
  };
}
