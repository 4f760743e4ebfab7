/**
 * A snippet's location (src/shared/snippet.ts) in the local history's `entries.snippet` column (schema version 4):
 * JSON of its fields, NULL for every other entry. What is read back, and what the worker is asked to store, passes
 * the same checks as on the wire, so a damaged or foreign value is left out rather than shown. Pure.
 */
import { snippetProblem, type SnippetMeta, type SnippetRepo } from '../shared/snippet';

/** The column's value for an entry: JSON of the snippet's fields, or null. */
export function snippetColumn(meta: SnippetMeta | undefined): string | null {
  if (meta === undefined) return null;
  const { path, startLine, endLine, language, repo } = meta;
  return JSON.stringify(repo === undefined ? { path, startLine, endLine, language } : { path, startLine, endLine, language, repo });
}

/** The snippet a column holds; undefined for NULL or for anything that is not a snippet this version accepts. */
export function snippetFromColumn(value: unknown): SnippetMeta | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  return isSnippetMeta(parsed) ? parsed : undefined;
}

/** A SnippetMeta with only its own fields, of the right types, that snippetProblem accepts. */
export function isSnippetMeta(value: unknown): value is SnippetMeta {
  if (!isObject(value)) return false;
  const { path, startLine, endLine, language, repo } = value;
  if (typeof path !== 'string' || typeof startLine !== 'number' || typeof endLine !== 'number' || typeof language !== 'string') return false;
  if (!onlyKeys(value, ['path', 'startLine', 'endLine', 'language', 'repo'])) return false;
  if (repo !== undefined && !isRepo(repo)) return false;
  return snippetProblem({ path, startLine, endLine, language, ...(repo === undefined ? {} : { repo }) }) === undefined;
}

function isRepo(value: unknown): value is SnippetRepo {
  if (!isObject(value) || !onlyKeys(value, ['remote', 'branch', 'commit'])) return false;
  return Object.values(value).every((field) => field === undefined || typeof field === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}
