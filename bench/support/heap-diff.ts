/**
 * What grew between two V8 heap snapshots, by constructor (or closure / string / code kind): count
 * and self size, largest first, divided by `--per` when given (the sockets opened in between, say).
 *
 *   node --import tsx bench/support/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--per 10000] [--top 30]
 *
 * `npm run bench:sockets -- --heap-snapshot DIR` writes the two snapshots. Self sizes only (what
 * each object holds itself, not what it keeps alive); a snapshot of a few hundred MB parses in
 * seconds.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size per "type:name" (objects by constructor; strings, closures, code by type). */
function tally(path: string): Map<string, { count: number; size: number }> {
  const heap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const byKey = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt]!]!;
    const name = type === 'object' || type === 'closure' || type === 'native' ? heap.strings[heap.nodes[i + nameAt]!]! : '';
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = byKey.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += heap.nodes[i + sizeAt]!;
    byKey.set(key, entry);
  }
  return byKey;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '30' } } });
if (positionals.length !== 2) throw new Error('usage: heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top N]');
const per = Number(values.per);
const before = tally(positionals[0]!);
const after = tally(positionals[1]!);
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: (a.count - b.count) / per, size: (a.size - b.size) / per };
});
rows.sort((x, y) => y.size - x.size);
const total = rows.reduce((sum, r) => sum + r.size, 0);
console.log(`self size grown: ${total.toFixed(0)} bytes${per === 1 ? '' : ` per unit (÷ ${per})`}\n`);
console.log('| type:constructor | count | bytes |');
console.log('| --- | ---: | ---: |');
for (const r of rows.slice(0, Number(values.top))) console.log(`| ${r.key} | ${r.count.toFixed(2)} | ${r.size.toFixed(0)} |`);
