/**
 * Which statements are prepared under a name (store/prepared-statements.ts): every parameterised
 * text except those whose result columns follow the table's definition (`*`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { statementName } from '../../src/store/prepared-statements.js';

describe('statementName', () => {
  it('names a statement that lists its columns, the same name every time', () => {
    const text = 'select "token_id" from "sessions" where "auth_id" = $1';
    const name = statementName(text);
    assert.match(name ?? '', /^hs_[0-9a-f]{24}$/);
    assert.equal(statementName(text), name);
    assert.notEqual(statementName(`${text} for update`), name, 'another text, another name');
  });

  it('leaves unnamed a text whose result columns could change under it', () => {
    for (const text of [
      'select * from "clients" where "id" = $1',
      'select "s".* from "sessions" as "s" where "s"."auth_id" = $1',
      'update "devices" set "revoked_at" = $1 where "id" = $2 returning *',
      'select count(*), * from "sessions" where "client_id" = $1',
    ]) {
      assert.equal(statementName(text), null, text);
    }
  });

  it('names a count(*): its result has one column whatever the table holds', () => {
    assert.notEqual(statementName('select count(*) as "n" from "sessions" where "client_id" = $1'), null);
    assert.notEqual(statementName('select COUNT(*) as "n" from "devices" where "client_id" = $1'), null);
  });

  it('any text: a name only without a * outside count(*), and distinct texts never share one (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const [x, y] = [statementName(a), statementName(b)];
        assert.equal(x === null, /\*/.test(a.replace(/count\(\*\)/gi, '')));
        if (a !== b && x !== null) assert.notEqual(x, y);
      }),
    );
  });
});
