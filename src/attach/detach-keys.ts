/**
 * The detach sequence of an attach session with a terminal: the keys that leave the container
 * running and end only the session, `ctrl-p,ctrl-q` by default, as in docker and kubectl attach
 * (`--detach-keys` takes the same format: comma-separated keys, each `ctrl-X` for X in `a`-`z`,
 * `@`, `[`, `\`, `]`, `^`, `_`, or a single character).
 *
 * The keys are watched for in what the user types: bytes that could begin the sequence are held
 * back until it is clear whether they do; if they do not, they are passed on after all, so
 * ctrl-p alone still reaches the program (a shell's "previous line").
 */
import { groups } from '../checked.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** `ctrl-p,ctrl-q` → [0x10, 0x11]; a readable error for anything else. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/i.exec(k);
    if (ctrl) {
      const c = groups(ctrl, 1)[0].toLowerCase();
      const special = CTRL_SPECIAL[c];
      if (c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 96);
      else if (special !== undefined) bytes.push(special);
      else throw new Error(`invalid detach keys "${spec}": unknown key "${k}" (ctrl- takes a-z, @, [, \\, ], ^ or _)`);
    } else if (k.length === 1 && k.charCodeAt(0) < 128) {
      bytes.push(k.charCodeAt(0));
    } else {
      throw new Error(`invalid detach keys "${spec}": unknown key "${k}" (a key is ctrl-X or one character)`);
    }
  }
  return Buffer.from(bytes);
}

/** Watches typed bytes for the sequence. */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** What to pass on from `chunk`, and whether the sequence was completed (the rest is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: the held keys are typed input.
      out.push(...this.keys.subarray(0, this.held));
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
