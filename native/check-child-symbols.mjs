// The build check that keeps glibc out of the cloned child (ARCHITECTURE.md sections 2 and 13).
//
// Between clone3() and execve() the child is a copy of a multithreaded process in which only one
// thread exists: a glibc function that takes a lock, allocates, or keeps per-thread bookkeeping
// (setresuid & co. signal every thread glibc remembers) can hang it forever. The child's object
// files may therefore only call the functions listed in child-symbols.allow (plain system call
// wrappers and pure string functions). This lists the undefined symbols of those objects
// (`nm -u`), drops the ones defined by the child's own objects, and fails the build on any other.
//
//   node check-child-symbols.mjs ALLOW_FILE STAMP OBJECT...
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [, , allowFile, stamp, ...objects] = process.argv;
const allowed = new Set(
  readFileSync(allowFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean),
);
const nm = (args) => execFileSync('nm', [...args, ...objects], { encoding: 'utf8' });
const names = (out) =>
  out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop())
    .filter((n) => n && !n.endsWith(':'));
const defined = new Set(names(nm(['--defined-only', '-j'])));
const used = [...new Set(names(nm(['-u', '-j'])))].filter((n) => !defined.has(n));
const bad = used.filter((n) => !allowed.has(n)).sort();
if (bad.length > 0) {
  console.error(`native: the cloned child calls functions that are not on ${allowFile}: ${bad.join(', ')}`);
  console.error('after clone3 only raw system calls are safe (use syscall(SYS_...)); see the file for why');
  process.exit(1);
}
writeFileSync(stamp, used.sort().join('\n') + '\n');
