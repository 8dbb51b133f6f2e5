/**
 * docs/fraud-policy.md: each example policy passes `handset policy check`, and the default
 * policy shown there is the one the server ships.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';

const doc = readFileSync(new URL('../../../../docs/fraud-policy.md', import.meta.url), 'utf8');
const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-policy-docs-'));

/** The ```json blocks of the section that starts with `heading`, up to the next `## `. */
function jsonBlocks(heading: string): string[] {
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `section ${heading}`);
  const end = doc.indexOf('\n## ', start + heading.length);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('docs/fraud-policy.md', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every example policy passes handset policy check', () => {
    const examples = jsonBlocks('## Example policies');
    assert.equal(examples.length, 3, 'strict fintech, consumer app, development');
    examples.forEach((text, i) => {
      const file = join(dir, `example-${i}.json`);
      writeFileSync(file, text);
      const result = spawnSync(process.execPath, [bin, 'policy', 'check', file], { encoding: 'utf8' });
      assert.equal(result.status, 0, `example ${i}: ${result.stderr}`);
      assert.match(result.stdout, /valid/);
    });
  });

  it('the default policy shown is the shipped one (ids, conditions, actions, reasons)', () => {
    const [shown] = jsonBlocks('## Default policy');
    const strip = (p: typeof DEFAULT_POLICY) => p.rules.map(({ description: _description, ...rest }) => rest);
    assert.deepEqual(strip(JSON.parse(shown!) as typeof DEFAULT_POLICY), strip(DEFAULT_POLICY));
  });
});
