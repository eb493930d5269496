// Loads the configuration: shipped defaults, then drop-in files in lexical order, then overrides,
// deep-merged and validated once. Every problem comes back at once with the file:line that set it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { describeProblem, type Location, type Problem } from '../core/errors.js';
import { deepFreeze } from './freeze.js';
import { watcherConfigSchema, type ConfigOverrides, type WatcherConfig } from './schema.js';

export const DEFAULT_CONFIG_DIR = '/etc/watcher/watcher.d';
/** The `file` of locations for values that came from `overrides`. */
export const OVERRIDES_SOURCE = '<command line>';

export interface LoadOptions {
  /** drop-in directory; default /etc/watcher/watcher.d (a missing directory is fine) */
  configDir?: string;
  /** shipped defaults; default conf/watcher.yaml of the package */
  defaultsFile?: string;
  /** values that win over every file (command-line flags) */
  overrides?: ConfigOverrides;
}

export type LoadResult =
  | { ok: true; config: WatcherConfig; sources: string[] }
  | { ok: false; problems: Problem[] };

type Tree = Record<string, unknown>;
type Path = readonly (string | number)[];
/** Where each key path (JSON of the path array) was last set. */
type Locations = Map<string, Location>;

/** One input after parsing: its values and where each was set. */
interface Layer {
  tree: Tree;
  locations: Locations;
}

const keyOf = (path: Path): string => JSON.stringify(path);

export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const sources: string[] = [];
  const defaultsFile = opts.defaultsFile ?? findShippedDefaults();
  if (defaultsFile === undefined) {
    return { ok: false, problems: [configProblem('shipped defaults conf/watcher.yaml not found; pass defaultsFile', { file: 'conf/watcher.yaml' })] };
  }

  // The merged tree's root is "set" by the defaults, so a key missing everywhere points there.
  const merged: Layer = { tree: {}, locations: new Map([[keyOf([]), { file: defaultsFile }]]) };
  let skipped = false;
  for (const file of [defaultsFile, ...listDropIns(opts.configDir ?? DEFAULT_CONFIG_DIR, problems)]) {
    sources.push(file);
    const layer = readYamlLayer(file, problems);
    if (layer === undefined) {
      skipped = true;
      continue;
    }
    resolveListPaths(layer, dirname(file));
    mergeLayer(merged, layer);
  }
  if (opts.overrides !== undefined) {
    const layer = overridesLayer(opts.overrides);
    resolveListPaths(layer, process.cwd());
    mergeLayer(merged, layer);
  }

  const result = watcherConfigSchema.safeParse(merged.tree, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...issueProblems(issue, merged, skipped));
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems, sources) };
  if (!result.success) throw new Error('unreachable: schema failed without problems');
  return { ok: true, config: deepFreeze(result.data), sources };
}

/** One line per problem: "file:line: message (WATCHER_E_CONFIG)". */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(describeProblem).join('\n');
}

// --- finding the files ------------------------------------------------------------------------

// Run from source (src/config/) the package root is two levels up; compiled (dist/src/config/), three.
function findShippedDefaults(): string | undefined {
  for (const rel of ['../../conf/watcher.yaml', '../../../conf/watcher.yaml']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}

// Dotfiles are skipped: editors and package managers leave them next to real drop-ins.
function listDropIns(dir: string, problems: Problem[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && /\.ya?ml$/.test(e.name))
      .map((e) => e.name);
  } catch (err) {
    // No directory means no local changes; one we cannot read might hold some, so that is a problem.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    problems.push({ code: 'WATCHER_E_IO', message: `cannot read drop-in directory: ${errMessage(err)}`, location: { file: dir } });
    return [];
  }
  // Plain code-unit order, like run-parts in the C locale: independent of the host's locale.
  return names.sort().map((name) => join(dir, name));
}

// --- reading one YAML file into values and locations -----------------------------------------

function readYamlLayer(file: string, problems: Problem[]): Layer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ code: 'WATCHER_E_IO', message: `cannot read config file: ${errMessage(err)}`, location: { file } });
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const message = e.code === 'MULTIPLE_DOCS' ? 'a config file holds one YAML document (remove the extra "---")' : e.message;
      problems.push(configProblem(`YAML syntax: ${message}`, { file, line: lineAt(e.pos[0]) }));
    }
    return undefined;
  }

  const layer: Layer = { tree: {}, locations: new Map([[keyOf([]), { file }]]) };
  const before = problems.length;
  const walk = (node: unknown, path: Path, active: Set<Node>): unknown => {
    if (isAlias(node)) {
      const target = node.resolve(doc as Document.Parsed);
      if (target === undefined || active.has(target)) return null;
      active.add(target);
      const value = walk(target, path, active);
      active.delete(target);
      return value;
    }
    if (isMap(node)) {
      const out: Tree = {};
      for (const pair of node.items) {
        const keyNode = pair.key;
        const line = keyNode && isScalar(keyNode) && keyNode.range ? lineAt(keyNode.range[0]) : undefined;
        if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
          problems.push(configProblem('keys must be plain words', { file, ...(line !== undefined ? { line } : {}) }));
          continue;
        }
        const key = String(keyNode.value);
        const childPath = [...path, key];
        layer.locations.set(keyOf(childPath), { file, ...(line !== undefined ? { line } : {}) });
        setOwn(out, key, walk(pair.value, childPath, active));
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const childPath = [...path, i];
        const range = (item as Node | null)?.range;
        layer.locations.set(keyOf(childPath), range ? { file, line: lineAt(range[0]) } : { file });
        return walk(item, childPath, active);
      });
    }
    if (isScalar(node)) return node.value;
    return null; // `key:` with nothing after it
  };

  const contents = doc.contents;
  if (contents === null) return layer; // an empty (or all-comment) file sets nothing
  if (!isMap(contents)) {
    const line = contents.range ? lineAt(contents.range[0]) : 1;
    problems.push(configProblem('the top level of a config file must be a map of settings', { file, line }));
    return undefined;
  }
  layer.tree = walk(contents, [], new Set()) as Tree;
  return problems.length === before ? layer : undefined;
}

function overridesLayer(overrides: ConfigOverrides): Layer {
  const locations: Locations = new Map();
  const walk = (value: unknown, path: Path): unknown => {
    locations.set(keyOf(path), { file: OVERRIDES_SOURCE });
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (!isPlainMap(value)) return value;
    const out: Tree = {};
    // Flag parsers leave unset flags as undefined: those override nothing.
    for (const [k, v] of Object.entries(value)) if (v !== undefined) setOwn(out, k, walk(v, [...path, k]));
    return out;
  };
  return { tree: walk(overrides, []) as Tree, locations };
}

// --- merging -----------------------------------------------------------------------------------

/** Relative list paths mean "next to the file that names them". */
function resolveListPaths(layer: Layer, baseDir: string): void {
  const lists = layer.tree.lists;
  if (!isPlainMap(lists)) return;
  for (const key of ['whitelist', 'blacklist']) {
    const value = lists[key];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) lists[key] = resolve(baseDir, value);
  }
}

/** Maps merge key by key; anything else (scalars, lists, a change of kind) replaces, with its locations. */
function mergeLayer(into: Layer, from: Layer): void {
  const walk = (target: Tree, source: Tree, path: Path): void => {
    for (const [key, value] of Object.entries(source)) {
      const childPath = [...path, key];
      const loc = from.locations.get(keyOf(childPath));
      if (loc) into.locations.set(keyOf(childPath), loc);
      const current = target[key];
      if (Object.hasOwn(target, key) && isPlainMap(current) && isPlainMap(value)) {
        walk(current, value, childPath);
        continue;
      }
      setOwn(target, key, value);
      // What was set below the replaced value is gone; what the new value sets below it comes along.
      const below = keyOf(childPath).slice(0, -1) + ',';
      for (const k of [...into.locations.keys()]) if (k.startsWith(below)) into.locations.delete(k);
      for (const [k, l] of from.locations) if (k.startsWith(below)) into.locations.set(k, l);
    }
  };
  walk(into.tree, from.tree, []);
}

// --- schema issues into problems ---------------------------------------------------------------

function issueProblems(issue: z.core.$ZodIssue, merged: Layer, skippedFile: boolean): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key] as Path;
      return configProblem(`unknown setting "${dotted(path)}"`, locate(merged, path));
    });
  }
  const path = issue.path as Path;
  // Whatever the check that failed (type, enum, union), nothing there means the key was never set.
  const missing = valueAt(merged.tree, path) === undefined;
  // A file with syntax errors was left out, so a missing key is most likely a consequence of that.
  if (missing && skippedFile) return [];
  let message: string;
  if (missing) message = `missing setting "${dotted(path)}"`;
  else if (issue.code === 'invalid_key') message = `"${dotted(path)}": ${issue.issues.map((i) => i.message).join('; ')}`;
  else message = `${dotted(path)}: ${issueMessage(issue)}`;
  return [configProblem(message, locate(merged, path))];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const got = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}${got}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message}${got}`; // the schema words every bound itself
    default:
      return issue.message;
  }
}

// Zod's type names, in a sysadmin's words.
const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
};

/** The location of the deepest part of the path that some input set. */
function locate(merged: Layer, path: Path): Location {
  for (let n = path.length; n >= 0; n--) {
    const loc = merged.locations.get(keyOf(path.slice(0, n)));
    if (loc) return loc;
  }
  return { file: 'configuration' }; // not reached: the root always has a location
}

/** The value at a path, or undefined where the path leaves the tree. */
function valueAt(tree: Tree, path: Path): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Tree)[key];
  }
  return node;
}

// Files in load order, then the command line; within a file, by line.
function sortProblems(problems: Problem[], sources: string[]): Problem[] {
  const rank = (p: Problem): number => {
    const i = sources.indexOf(p.location?.file ?? '');
    return i === -1 ? sources.length : i;
  };
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || (a.p.location?.line ?? 0) - (b.p.location?.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

// --- small helpers -----------------------------------------------------------------------------

function configProblem(message: string, location: Location): Problem {
  return { code: 'WATCHER_E_CONFIG', message, location };
}

function isPlainMap(value: unknown): value is Tree {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// defineProperty, so a key named "__proto__" stays an ordinary (unknown) key instead of a prototype.
function setOwn(obj: Tree, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function dotted(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') || '(top level)';
}

function show(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
