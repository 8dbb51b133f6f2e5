/**
 * @module expand-wire-types
 * `@handset/node` promises zero dependencies, yet its sources take the wire types from
 * `@handset/protocol` (TypeBox `Static<…>` aliases), and tsc keeps `import type … from
 * '@handset/protocol'` in the declarations it emits. An integrator who installs only
 * `@handset/node` has neither that package nor TypeBox, so those types would silently become
 * errors or `any`.
 *
 * This step, run after tsc, asks the TypeScript checker for the structural form of every
 * protocol name the declarations import (an object type, a union of literals, the `typeof` of a
 * constant table), writes them to `dist/wire-types.d.ts` with their TSDoc, points the imports
 * there, and fails the build if the result names anything it does not define.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const PROTOCOL = /^@handset\/protocol(\/browser)?$/;

function declarationFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The names each declaration file imports or re-exports from @handset/protocol. */
function protocolNames(files) {
  const names = new Set();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      const spec = statement.moduleSpecifier;
      if (!spec || !ts.isStringLiteral(spec) || !PROTOCOL.test(spec.text)) continue;
      if (ts.isImportDeclaration(statement)) {
        const bindings = statement.importClause?.namedBindings;
        if (!bindings || !ts.isNamedImports(bindings) || statement.importClause.name) {
          throw new Error(`${file}: only named imports from ${spec.text} can be expanded`);
        }
        for (const element of bindings.elements) names.add((element.propertyName ?? element.name).text);
      } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) names.add((element.propertyName ?? element.name).text);
      } else {
        throw new Error(`${file}: unsupported statement referring to ${spec.text}`);
      }
    }
  }
  return [...names].sort();
}

function docComment(symbol, checker) {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  if (!text) return '';
  return `/**\n${text.split('\n').map((line) => ` * ${line}`.trimEnd()).join('\n')}\n */\n`;
}

/** Writes dist/wire-types.d.ts for the package in `packageDir` and rewrites its declarations. */
export function expandWireTypes(packageDir) {
  const dist = join(packageDir, 'dist');
  const files = declarationFiles(dist);
  const names = protocolNames(files);
  if (names.length === 0) return;

  const probe = join(dist, '__wire_probe.ts');
  writeFileSync(probe, `import * as wire from '@handset/protocol';\nexport type { wire };\n`);
  try {
    const program = ts.createProgram([probe], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: [],
    });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(probe);
    const moduleSymbol = checker.getSymbolAtLocation(source.statements[0].moduleSpecifier);
    if (!moduleSymbol) throw new Error('@handset/protocol did not resolve (is packages/protocol built?)');
    const exports = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
    const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
    const flags = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.InTypeAlias | ts.NodeBuilderFlags.MultilineObjectLiterals;
    const print = (type) => {
      const node = checker.typeToTypeNode(type, undefined, flags);
      if (!node) throw new Error(`cannot print ${checker.typeToString(type)}`);
      return printer.printNode(ts.EmitHint.Unspecified, node, source);
    };

    const parts = [];
    for (const name of names) {
      let symbol = exports.get(name);
      if (!symbol) throw new Error(`@handset/protocol exports no ${name}`);
      if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const doc = docComment(symbol, checker);
      if (symbol.flags & ts.SymbolFlags.Value) {
        parts.push(`${doc}export declare const ${name}: ${print(checker.getTypeOfSymbol(symbol))};`);
      }
      if (symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)) {
        parts.push(`${doc}export type ${name} = ${print(checker.getDeclaredTypeOfSymbol(symbol))};`);
      }
    }
    const text =
      '// Generated by scripts/build/expand-wire-types.mjs from @handset/protocol: the wire types this\n' +
      '// package uses, written out so that it needs no other package. Do not edit.\n\n' +
      `${parts.join('\n\n')}\n`;
    const target = join(dist, 'wire-types.d.ts');
    writeFileSync(target, text);
    assertSelfContained(target);
  } finally {
    rmSync(probe, { force: true });
  }

  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    let path = relative(dirname(file), join(dist, 'wire-types.js'));
    if (!path.startsWith('.')) path = `./${path}`;
    const after = before.replace(/(from\s+)(['"])@handset\/protocol(\/browser)?\2/g, `$1$2${path}$2`);
    if (after !== before) writeFileSync(file, after);
  }
  for (const file of declarationFiles(dist)) {
    if (/from\s+['"](@handset\/protocol|typebox)/.test(readFileSync(file, 'utf8'))) {
      throw new Error(`${file} still imports @handset/protocol or typebox`);
    }
  }
}

/** Fails when the generated file refers to anything it does not define (it must stand alone). */
function assertSelfContained(file) {
  const program = ts.createProgram([file], { noEmit: true, strict: true, types: [], noResolve: true, lib: ['lib.es2022.d.ts'] });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (problems.length > 0) throw new Error(`${file} is not self-contained:\n${problems.join('\n')}`);
}
