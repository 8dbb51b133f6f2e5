/**
 * Summarises V8 CPU profiles (`.cpuprofile`, as `node --cpu-prof` or `npm run bench:flows --
 * --cpu-prof DIR` write them): the functions with the most self time, and self time by where the
 * code lives (a package under node_modules, Node's internals, the repository's own files, native
 * code and garbage collection).
 *
 *   node --import tsx bench/profile-summary.ts [--top 25] FILE.cpuprofile [...]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, node:internal, the repository, or a V8 pseudo-frame. */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/(packages\/[^/]+|bench|scripts)\//.exec(url);
  return repo ? repo[1]! : url;
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
const top = Number(values.top);
const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let total = 0;
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time: each sample's time delta goes to the frame on top of the stack.
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^file:\/\/.*?\/(node_modules|packages)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + us);
    total += us;
  });
}
const print = (title: string, entries: Map<string, number>, n: number): void => {
  console.log(`\n${title}`);
  console.log('| self time | share | |');
  console.log('| ---: | ---: | --- |');
  for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`| ${(us / 1000).toFixed(0)} ms | ${((100 * us) / total).toFixed(1)} % | ${key} |`);
  }
};
console.log(`${positionals.length} profile(s), ${(total / 1e6).toFixed(1)} s sampled`);
print('Self time by area', byArea, 20);
print(`Top ${top} functions by self time`, byFunction, top);
