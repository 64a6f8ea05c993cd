import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** The repository's root. */
export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');

/** One TypeScript file of the repository, parsed. */
export interface SourceFile {
  /** Path from the repository root, with `/`. */
  path: string;
  text: string;
  ast: ts.SourceFile;
}

/** Every `.ts` file under `folder` (a path from the root), parsed; `.spec.ts` files only when asked. */
export function sourceFiles(folder: string, { specs = false } = {}): SourceFile[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );
  return walk(join(ROOT, folder))
    .filter((file) => specs || !/\.(e2e-)?spec\.ts$/.test(file))
    .map((file) => {
      const text = readFileSync(file, 'utf8');
      return { path: relative(ROOT, file).split(sep).join('/'), text, ast: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true) };
    });
}

/** The repository paths of the files a file imports or re-exports from (relative specifiers only, type-only ones too). */
export function importsOf(file: SourceFile): string[] {
  const targets: string[] = [];
  for (const statement of file.ast.statements) {
    const specifier = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const target = resolve(ROOT, dirname(file.path), specifier.text.replace(/\.js$/, '.ts'));
    targets.push(relative(ROOT, target).split(sep).join('/'));
  }
  return targets;
}

/** The cycles of a directed graph: its strongly connected components of more than one node (Tarjan). */
export function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Every function, method, constructor and accessor of a file with its length in lines and the comment before it. */
export function functionsOf(file: SourceFile): { name: string; line: number; lines: number; comment: string }[] {
  const found: { name: string; line: number; lines: number; comment: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line;
      const end = file.ast.getLineAndCharacterOfPosition(node.getEnd()).line;
      const owner = ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent) ? node.parent : node;
      const statement = owner === node ? node : (ts.findAncestor(owner, ts.isVariableStatement) ?? owner);
      const comments = ts.getLeadingCommentRanges(file.text, statement.getFullStart()) ?? [];
      const comment = comments.map((range) => file.text.slice(range.pos, range.end)).join('\n');
      const name = (owner as { name?: ts.Node }).name?.getText(file.ast) ?? '(anonymous)';
      found.push({ name, line: start + 1, lines: end - start + 1, comment });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return found;
}

/** The text of every string literal and template of a file (where SQL would be written). */
export function stringsOf(file: SourceFile): { text: string; line: number }[] {
  const found: { text: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateExpression(node)) {
      found.push({ text: node.getText(file.ast), line: file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return found;
}
