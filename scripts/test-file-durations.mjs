// A node:test reporter that writes one line per test file, "<ms>\t<file>": how long the file's
// process ran, from start to exit (the runner's test:complete for the file itself).
// scripts/test.mjs prints the slowest after each pass, to show where the suite's time goes.
export default async function* fileDurations(source) {
  for await (const event of source) {
    const { name, file, details } = event.data ?? {};
    if (event.type === 'test:complete' && file && name === file) yield `${Math.round(details?.duration_ms ?? 0)}\t${file}\n`;
  }
}
