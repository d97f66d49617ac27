/**
 * A terminal for `tspod exec -t`: a pseudo-terminal pair made in the container's own devpts (so
 * that `tty` names it there, /dev/pts/N), whose slave end becomes the process's stdin, stdout and stderr and its controlling terminal (the plan's
 * `setsid` step), while this process relays between the master end and the user's own terminal.
 *
 * The user's terminal is put in raw mode for the session: keys (^C, ^Z, arrows) then reach the
 * process's terminal untouched, and it is the pty's line discipline, in the pod, that turns ^C into
 * SIGINT for the process's foreground group, as on any terminal. Window size changes are passed on
 * (TIOCSWINSZ on the master, which sends SIGWINCH to the process's foreground group).
 */
import tty from 'node:tty';
import { kernel } from '../kernel.js';

export interface PtySession {
  /** the slave end: the process's stdio and controlling terminal */
  slave: number;
  /** call once the process is spawned: the relay starts, and this process gives up the slave */
  started(): void;
  /** wait until all the process's output was relayed, then restore the user's terminal */
  finish(): Promise<void>;
}

/** `root`: the container's root (/proc/<pid>/root), whose own devpts makes the terminal. */
export function openPtySession(root: string): PtySession {
  const { master, slave } = kernel.openptyIn(root);
  const stdin = process.stdin;
  const out = process.stdout;
  const resize = () => {
    if (out.isTTY) kernel.setWinsize(master, out.rows, out.columns);
  };
  // Before the process starts: it may ask for its size at once.
  resize();
  let relay: tty.ReadStream | undefined;
  let outputProcessing: boolean | undefined;
  let drained: Promise<void> = Promise.resolve();
  const restore = () => {
    out.off('resize', resize);
    if (stdin.isTTY) stdin.setRawMode(false);
    if (outputProcessing !== undefined) kernel.setOutputProcessing(1, outputProcessing);
    stdin.pause();
    stdin.unpipe();
  };
  return {
    slave,
    started() {
      // Without our copy of the slave, reading the master ends (EIO) when the process's side closes.
      kernel.closeFd(slave);
      relay = new tty.ReadStream(master);
      drained = new Promise((resolve) => {
        relay!.on('close', () => resolve());
        relay!.on('error', () => resolve()); // EIO: the last holder of the slave end is gone
      });
      relay.on('data', (chunk: Buffer) => out.write(chunk));
      if (stdin.isTTY) stdin.setRawMode(true);
      // Node's raw mode keeps output processing ("\n" to "\r\n"); the pty in the pod does its own.
      if (stdin.isTTY && out.isTTY) outputProcessing = kernel.setOutputProcessing(1, false);
      stdin.on('data', (chunk: Buffer) => relay!.write(chunk));
      stdin.resume();
      out.on('resize', resize);
    },
    async finish() {
      let timer: NodeJS.Timeout | undefined;
      // A background process of the session may keep the slave open: do not wait for it forever.
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, 500)))]);
      clearTimeout(timer);
      restore();
      relay?.destroy();
    },
  };
}
