/**
 * The tutorial (docs/tutorial.md) as something a test can run: its ```sh blocks are the commands a
 * reader types, in order, in one shell; the ```output block after one is what the reader sees.
 * An output block matches when each of its lines is found among the lines printed, in order, with
 * any run of digits standing for any number (pids, inodes, addresses, times differ per machine)
 * and any run of blanks for any run of blanks. Pure: parsing and matching only.
 */
export interface Block {
  /** the commands, as the reader types them */
  commands: string;
  /** what the page says they print, or undefined when it shows nothing */
  expected?: string;
  /** 1-based line of the block's opening fence in the page, to point at it in a failure */
  line: number;
}

const FENCE = /^```(\w*)\s*$/;

/** The runnable blocks of a markdown page, each with the output block that follows it. */
export function tutorialBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    const text = body.join('\n');
    if (open[1] === 'sh') blocks.push({ commands: text, line: start + 1 });
    else if (open[1] === 'output') {
      const last = blocks[blocks.length - 1];
      if (!last || last.expected !== undefined)
        throw new Error(`line ${start + 1}: an output block must follow a sh block`);
      last.expected = text;
    }
  }
  return blocks;
}

function linePattern(line: string): RegExp {
  const escaped = line
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\d+/g, '\\d+')
    .replace(/\s+/g, '\\s+');
  return new RegExp(`^\\s*${escaped}\\s*$`);
}

/** The first expected line not found (in order) in `actual`, or undefined when all are. */
export function missingLine(expected: string, actual: string): string | undefined {
  const got = actual.split('\n');
  let at = 0;
  for (const want of expected.split('\n').filter((l) => l.trim() !== '')) {
    const re = linePattern(want);
    while (at < got.length && !re.test(got[at] ?? '')) at++;
    if (at === got.length) return want;
    at++;
  }
  return undefined;
}
