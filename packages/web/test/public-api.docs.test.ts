/**
 * @module public-api.docs.test
 * Every public symbol of `@handset/web` (each export of the index, and each public member of an
 * exported class or const object) carries TSDoc with an `@example`.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const entry = join(dirname(fileURLToPath(import.meta.url)), '../src/index.ts');

function hasExample(declaration: ts.Node): boolean {
  return ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'example');
}

function undocumented(): string[] {
  const program = ts.createProgram([entry], { allowImportingTsExtensions: true, noEmit: true, strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  assert.ok(source);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  assert.ok(moduleSymbol);
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.declarations ?? [];
    if (!declarations.some((d) => hasExample(ts.isVariableDeclaration(d) ? d.parent.parent : d))) missing.push(exported.name);
    for (const declaration of declarations) {
      if (!ts.isClassDeclaration(declaration)) continue;
      for (const member of declaration.members) {
        const isPrivate = ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
        if (isPrivate || ts.isPropertyDeclaration(member)) continue;
        const name = member.name && ts.isIdentifier(member.name) ? member.name.text : 'constructor';
        if (!hasExample(member)) missing.push(`${exported.name}.${name}`);
      }
    }
  }
  return missing;
}

test('every public symbol has an @example', () => {
  assert.deepEqual(undocumented(), []);
});
