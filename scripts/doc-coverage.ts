// Which exported symbols of the public entry points have no doc comment. Each entry's exports are
// walked through its namespaces (nn, optim, io, metrics, nn.init, ...), and the public members of
// exported classes and interfaces are checked too: they are what the API reference (TypeDoc) and
// an editor's hover show. `node --import tsx scripts/doc-coverage.ts` lists the undocumented ones.
import { resolve } from 'node:path';
import ts from 'typescript';

export const ENTRY_POINTS = ['src/index.ts', 'src/node.ts', 'models/index.ts'];

export interface Undocumented {
  /** The name as a user writes it: `nn.Linear`, `optim.Adam.step`, `Tensor.reshape`. */
  name: string;
  /** Where it is declared, relative to the repository: `src/nn/linear.ts:12`. */
  where: string;
}

const MEMBER_KINDS = ts.SymbolFlags.Method | ts.SymbolFlags.Property | ts.SymbolFlags.GetAccessor | ts.SymbolFlags.SetAccessor;

function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  // A declaration with only tags (`@deprecated`, `@param`) still has a doc comment.
  return (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
}

function isPublicMember(symbol: ts.Symbol): boolean {
  if (!(symbol.flags & MEMBER_KINDS) || symbol.name.startsWith('#') || symbol.name.startsWith('_')) return false;
  return !(symbol.declarations ?? []).some((d) => {
    const flags = ts.getCombinedModifierFlags(d);
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 || d.getSourceFile().isDeclarationFile;
  });
}

/** Every exported symbol (and public class or interface member) of the entry points without a doc comment. */
export function undocumentedExports(root = process.cwd(), entries = ENTRY_POINTS): Undocumented[] {
  const files = entries.map((e) => resolve(root, e));
  const program = ts.createProgram(files, { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, noEmit: true, allowImportingTsExtensions: true });
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Symbol>();
  const missing = new Map<string, Undocumented>();
  const where = (symbol: ts.Symbol): string => {
    const d = symbol.declarations?.[0];
    if (!d) return '?';
    const file = d.getSourceFile();
    return `${file.fileName.slice(root.length + 1)}:${file.getLineAndCharacterOfPosition(d.getStart()).line + 1}`;
  };
  const check = (symbol: ts.Symbol, name: string): void => {
    if (!documented(symbol, checker)) missing.set(name, { name, where: where(symbol) });
  };
  const walk = (moduleSymbol: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.name;
      if (symbol.flags & ts.SymbolFlags.ValueModule) {
        if (!seen.has(symbol)) {
          seen.add(symbol);
          walk(symbol, `${name}.`);
        }
        continue;
      }
      if (seen.has(symbol) || symbol.declarations?.every((d) => d.getSourceFile().isDeclarationFile)) continue;
      seen.add(symbol);
      check(symbol, name);
      if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
        for (const member of symbol.members?.values() ?? []) {
          if (isPublicMember(member)) check(member, `${name}.${member.name}`);
        }
      }
    }
  };
  for (const file of files) walk(checker.getSymbolAtLocation(program.getSourceFile(file)!)!, '');
  return [...missing.values()].sort((a, b) => a.where.localeCompare(b.where, 'en', { numeric: true }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const list = undocumentedExports();
  for (const { name, where } of list) console.log(`${where.padEnd(42)} ${name}`);
  console.log(`${list.length} exported symbols without a doc comment`);
}
