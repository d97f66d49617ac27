/**
 * A recording stand-in for the iptables work of the built-in network's host rules: it keeps which
 * tables have tspod's jump (as `-C` would find), installs what an iptables-restore input declares,
 * and logs every call, so that tests see what ran and in which order, without root.
 */
import type { IptablesOps } from '../../../src/network/host-rules.js';

export class FakeIptables implements IptablesOps {
  readonly log: string[] = [];
  readonly installed = new Set<string>();
  /** what `save` prints */
  saved = '';

  async iptables(args: string[]): Promise<number> {
    const table = args[args.indexOf('-t') + 1] ?? '';
    this.log.push(`check ${table}`);
    return this.installed.has(table) ? 0 : 1;
  }

  async restore(input: string): Promise<void> {
    const tables = input
      .split('\n')
      .filter((l) => l.startsWith('*'))
      .map((l) => l.slice(1));
    this.log.push(`restore ${tables.join(',')}`);
    const removes = input.includes('\n-X ');
    for (const t of tables) {
      if (removes) this.installed.delete(t);
      else this.installed.add(t);
    }
  }

  async save(): Promise<string> {
    this.log.push('save');
    return this.saved;
  }

  async deleteLink(name: string): Promise<void> {
    this.log.push(`ip link del ${name}`);
  }
}
