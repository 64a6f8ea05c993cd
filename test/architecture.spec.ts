import { describe, expect, it } from '@jest/globals';
import { cyclesOf, functionsOf, importsOf, sourceFiles, stringsOf } from './architecture/source-tree.js';

const LIBRARY = 'src/tasks/';
const library = sourceFiles('src/tasks');

/** The part of the library a file belongs to: its folder under src/tasks, or the file itself at the top. */
function partOf(path: string): string {
  const [first, ...rest] = path.slice(LIBRARY.length).split('/');
  return rest.length > 0 ? `${first}/` : first;
}

/** A graph of the library's imports, at the level `level` picks (parts or files). */
function importGraph(level: (path: string) => string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of library) {
    const from = level(file.path);
    const edges = graph.get(from) ?? new Set<string>();
    for (const target of importsOf(file)) if (level(target) !== from) edges.add(level(target));
    graph.set(from, edges);
  }
  return graph;
}

/** What a statement of raw SQL looks like inside a string or template. */
const SQL = /\b(SELECT\b[\s\S]+\bFROM|INSERT\s+INTO|UPDATE\s+[`\w${}]+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|TRIGGER|INDEX))\b/i;
/** A function may run longer than this only under a comment that says why. */
const MAX_FUNCTION_LINES = 40;
const MAX_FILE_LINES = 250;

describe('the shape of the code', () => {
  it('has no import cycle between the folders of the library (a top-level file counts as its own part)', () => {
    expect(cyclesOf(importGraph(partOf))).toEqual([]);
  });

  it('has no import cycle between the files of the library', () => {
    expect(cyclesOf(importGraph((path) => path))).toEqual([]);
  });

  it('never imports from outside the library (the demo app, tests, migrations)', () => {
    const outside = library.flatMap((file) => importsOf(file).filter((target) => !target.startsWith(LIBRARY)).map((target) => `${file.path} -> ${target}`));
    expect(outside).toEqual([]);
  });

  it('writes raw SQL only under store/', () => {
    const misplaced = library
      .filter((file) => !file.path.startsWith(`${LIBRARY}store/`))
      .flatMap((file) => [
        ...stringsOf(file).filter(({ text }) => SQL.test(text)).map(({ line }) => `${file.path}:${line}`),
        ...[...file.text.matchAll(/\.(query|createQueryBuilder)\(/g)].map((match) => `${file.path}: .${match[1]}(`),
      ]);
    expect(misplaced).toEqual([]);
  });

  it('uses no SQL that MySQL 8 deprecates: no VALUES() in ON DUPLICATE KEY UPDATE (library and migrations)', () => {
    const deprecated = [...library, ...sourceFiles('migrations')]
      .flatMap((file) => stringsOf(file).map((literal) => ({ ...literal, path: file.path })))
      .filter(({ text }) => /ON\s+DUPLICATE\s+KEY\s+UPDATE[\s\S]*\bVALUES\s*\(/i.test(text))
      .map(({ path, line }) => `${path}:${line}`);
    expect(deprecated).toEqual([]);
  });

  it(`keeps every source file at ${MAX_FILE_LINES} lines or fewer`, () => {
    const files = ['src', 'test', 'bench', 'migrations'].flatMap((folder) => sourceFiles(folder, { specs: true }));
    const long = files.map((file) => [file.path, file.text.split('\n').length] as const).filter(([, lines]) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`keeps functions at ${MAX_FUNCTION_LINES} lines or fewer unless a comment says why ("Long on purpose: …")`, () => {
    const long = ['src', 'bench', 'migrations']
      .flatMap((folder) => sourceFiles(folder))
      .flatMap((file) => functionsOf(file).map((fn) => ({ ...fn, path: file.path })))
      .filter((fn) => fn.lines > MAX_FUNCTION_LINES && !/Long on purpose:/.test(fn.comment))
      .map((fn) => `${fn.path}:${fn.line} ${fn.name} (${fn.lines} lines)`);
    expect(long).toEqual([]);
  });
});
