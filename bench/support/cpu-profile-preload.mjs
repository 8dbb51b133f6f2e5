// Loaded with NODE_OPTIONS=--import=<this file> into a `handset serve` process by
// `npm run bench:flows -- --cpu-prof DIR` (Node 20 refuses --cpu-prof itself in NODE_OPTIONS):
// starts V8's sampling profiler through node:inspector and writes the profile to
// HANDSET_BENCH_CPU_PROFILE when the process exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.HANDSET_BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // The in-process session answers synchronously, so the profile is written before the exit.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
