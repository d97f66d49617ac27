/**
 * Fake CNI plugins for unit tests: small Node scripts that log what they were given (the CNI_*
 * environment and the stdin JSON) and answer as real plugins do. ADD echoes `prevResult` with one
 * more interface (or, first in the list, a fresh result with address 10.1.2.3/24 on eth0); DEL and
 * CHECK print nothing; VERSION prints the versions. Writing `<plugin>:<COMMAND>` lines into the
 * `fail` file of the directory makes that plugin fail that command with a CNI error (code 7).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FakeCall {
  plugin: string;
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const plugin = path.basename(process.argv[1]);
const dir = path.dirname(process.argv[1]);
const stdin = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_') || k === 'PATH'));
fs.appendFileSync(path.join(dir, 'calls.log'), JSON.stringify({ plugin, env, stdin }) + '\\n');
const cmd = process.env.CNI_COMMAND;
let fail = [];
try { fail = fs.readFileSync(path.join(dir, 'fail'), 'utf8').split('\\n'); } catch {}
if (fail.includes(plugin + ':' + cmd)) {
  process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: plugin + ' refused', details: 'by request' }));
  process.exit(1);
}
if (cmd === 'VERSION') {
  process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] }));
} else if (cmd === 'ADD') {
  const prev = stdin.prevResult || { cniVersion: stdin.cniVersion, interfaces: [{ name: 'host-side' }, { name: process.env.CNI_IFNAME, sandbox: process.env.CNI_NETNS }], ips: [{ address: '10.1.2.3/24', interface: 1 }] };
  prev.interfaces = [...(prev.interfaces || []), { name: 'by-' + plugin }];
  process.stdout.write(JSON.stringify(prev));
}
`;

export class FakePlugins {
  readonly dir: string;

  constructor(names: string[]) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-fake-cni-'));
    for (const n of names) fs.writeFileSync(path.join(this.dir, n), SCRIPT, { mode: 0o755 });
  }

  calls(): FakeCall[] {
    const file = path.join(this.dir, 'calls.log');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FakeCall);
  }

  /** `plugin:COMMAND` of each call, in order. */
  sequence(): string[] {
    return this.calls().map((c) => `${c.plugin}:${c.env.CNI_COMMAND}`);
  }

  failOn(...specs: string[]): void {
    fs.writeFileSync(path.join(this.dir, 'fail'), specs.join('\n'));
  }

  reset(): void {
    fs.rmSync(path.join(this.dir, 'calls.log'), { force: true });
    fs.rmSync(path.join(this.dir, 'fail'), { force: true });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
