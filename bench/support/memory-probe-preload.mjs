// Loaded with NODE_OPTIONS=--import=<this file> into a `handset serve` process by
// `npm run bench:sockets`, so the server's code gains no route for it: on SIGUSR2 it runs a full
// garbage collection (twice, so objects freed by finalizers go too), then appends one JSON line
// with process.memoryUsage() to HANDSET_BENCH_MEMORY_FILE. When HANDSET_BENCH_HEAP_SNAPSHOT_DIR is
// set, every probe also writes a heap snapshot there (for Chrome DevTools' Memory panel).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const file = process.env.HANDSET_BENCH_MEMORY_FILE;
if (file) {
  // The documented way to reach V8's gc() without --expose-gc on the command line.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const snapshots = process.env.HANDSET_BENCH_HEAP_SNAPSHOT_DIR;
  let probe = 0;
  process.on('SIGUSR2', () => {
    probe += 1;
    gc();
    gc();
    const snapshot = snapshots ? writeHeapSnapshot(join(snapshots, `probe-${probe}-${process.pid}.heapsnapshot`)) : null;
    appendFileSync(file, `${JSON.stringify({ probe, ...process.memoryUsage(), snapshot })}\n`);
  });
}
