/**
 * `/snippet PATH[:A-B]`: lines of a local file as a code snippet. The path sent is relative to the file's Git work
 * tree when it is in one, else to the current folder when it is under it, else the file's base name: never where
 * the file sits on this machine. The language comes from the extension, the repository from `git` (run
 * asynchronously, each call bounded in time; nothing of it when git is missing or the file is not in a repository).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { snippetProblem, snippetRepo, type SnippetMeta, type SnippetRepo } from '../shared/snippet';

/** Largest file /snippet reads, in bytes: a snippet is far smaller (the relay's text limit), a file need not be. */
export const MAX_SNIPPET_FILE_BYTES = 16 * 1024 * 1024;
/** How long one git call may take (ms) before it counts as no answer: a LAN chat should not wait on a slow disk. */
export const GIT_TIMEOUT_MS = 2000;
/** Largest git output read (bytes): a path, a URL or a commit id. */
const GIT_MAX_OUTPUT_BYTES = 64 * 1024;

/** Language ids of VS Code, by file extension (lower case, without the dot); anything else is `plaintext`. */
const LANGUAGES: Readonly<Record<string, string>> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascriptreact',
  py: 'python',
  rs: 'rust',
  go: 'go',
  java: 'java',
  kt: 'kotlin',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
  swift: 'swift',
  sh: 'shellscript',
  bash: 'shellscript',
  zsh: 'shellscript',
  ps1: 'powershell',
  json: 'json',
  jsonc: 'jsonc',
  md: 'markdown',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  xml: 'xml',
  html: 'html',
  htm: 'html',
  css: 'css',
  scss: 'scss',
  less: 'less',
  sql: 'sql',
  lua: 'lua',
  dart: 'dart',
  r: 'r',
};

/** Why a file cannot be shared: a stable code (the CLI's error event) and a sentence for people. */
export class SnippetFileError extends Error {
  constructor(
    readonly code: 'usage' | 'not-found' | 'is-directory' | 'unreadable' | 'binary' | 'not-text' | 'empty' | 'out-of-range' | 'too-large' | 'invalid-snippet',
    message: string,
  ) {
    super(message);
    this.name = 'SnippetFileError';
  }
}

/** Runs git with `args` in `cwd`: its trimmed output, or undefined when it fails, is missing or takes too long. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<string | undefined>;

/** The file and the lines `/snippet`'s argument names: `PATH`, `PATH:A` or `PATH:A-B` (lines from 1). */
export function parseSnippetArgument(argument: string): { file: string; start?: number; end?: number } {
  const text = argument.trim();
  if (text.length === 0) throw new SnippetFileError('usage', 'usage: /snippet PATH[:A-B] (PATH:A for one line; no range for the whole file)');
  const ranged = /^(.+):(\d{1,9})(?:-(\d{1,9}))?$/.exec(text);
  if (!ranged) return { file: text };
  const start = Number(ranged[2]);
  return { file: ranged[1] as string, start, end: ranged[3] === undefined ? start : Number(ranged[3]) };
}

/** The language id for a file name, from its extension. */
export function languageOf(file: string): string {
  const extension = path.extname(file).slice(1).toLowerCase();
  return Object.hasOwn(LANGUAGES, extension) ? (LANGUAGES[extension] as string) : 'plaintext';
}

/** Runs the real git: asynchronously, bounded in time and output, never through a shell. */
export const runGit: GitRunner = (args, cwd) =>
  new Promise((resolve) => {
    execFile('git', [...args], { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: GIT_MAX_OUTPUT_BYTES, windowsHide: true, encoding: 'utf8' }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || undefined);
    });
  });

/**
 * The snippet `/snippet argument` shares, read from the file it names (relative to `cwd`). Throws
 * SnippetFileError with what is wrong: no such file, a folder, binary or not UTF-8, empty, lines it does not have,
 * larger than MAX_SNIPPET_FILE_BYTES.
 */
export async function readSnippet(argument: string, cwd: string, git: GitRunner = runGit): Promise<{ meta: SnippetMeta; code: string }> {
  const { file, start, end } = parseSnippetArgument(argument);
  const absolute = path.resolve(cwd, file);
  const text = await readText(absolute, file);
  const lines = text.split(/\r\n|\n|\r/);
  // A last line break ends the last line; it does not start another.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (text.length === 0) throw new SnippetFileError('empty', `${file} is empty: there is nothing to share`);
  const first = start ?? 1;
  const last = end ?? lines.length;
  if (first < 1 || last < first || last > lines.length) {
    const asked = first === last ? `line ${first}` : `lines ${first}-${last}`;
    throw new SnippetFileError('out-of-range', `${file} has ${lines.length} line${lines.length === 1 ? '' : 's'}: ${asked} ${first === last ? 'is' : 'are'} not in it`);
  }
  const real = await fs.realpath(absolute);
  const top = await git(['rev-parse', '--show-toplevel'], path.dirname(real));
  const repo = top === undefined ? undefined : await repoOf(path.dirname(real), git);
  const meta: SnippetMeta = {
    path: await sentPath(real, top, cwd),
    startLine: first,
    endLine: last,
    language: languageOf(real),
    ...(repo ? { repo } : {}),
  };
  const problem = snippetProblem(meta);
  if (problem !== undefined) throw new SnippetFileError('invalid-snippet', `${file} cannot be shared as a snippet: it has ${problem}`);
  return { meta, code: lines.slice(first - 1, last).join('\n') };
}

async function readText(absolute: string, shown: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SnippetFileError('not-found', `there is no file ${shown}`);
    throw new SnippetFileError('unreadable', `cannot read ${shown}: ${code ?? (error as Error).message}`);
  }
  if (stat.isDirectory()) throw new SnippetFileError('is-directory', `${shown} is a folder, not a file`);
  if (!stat.isFile()) throw new SnippetFileError('unreadable', `${shown} is not a regular file`);
  if (stat.size > MAX_SNIPPET_FILE_BYTES) {
    throw new SnippetFileError('too-large', `${shown} is ${megabytes(stat.size)} MB; /snippet reads files of at most ${megabytes(MAX_SNIPPET_FILE_BYTES)} MB`);
  }
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(absolute);
  } catch (error) {
    throw new SnippetFileError('unreadable', `cannot read ${shown}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes.includes(0)) throw new SnippetFileError('binary', `${shown} is a binary file (it holds NUL bytes): only text can be shared`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SnippetFileError('not-text', `${shown} is not UTF-8 text: only text can be shared`);
  }
}

/** Relative to the work tree `top`, else to `cwd` when under it, else the base name; `/`-separated. */
async function sentPath(real: string, top: string | undefined, cwd: string): Promise<string> {
  const inside = (folder: string): string | undefined => {
    const relative = path.relative(folder, real);
    return relative.length > 0 && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : undefined;
  };
  const realCwd = await fs.realpath(cwd).catch(() => path.resolve(cwd));
  return (top !== undefined ? inside(path.resolve(top)) : undefined) ?? inside(realCwd) ?? path.basename(real);
}

/** What git says of the repository at `dir`: each field only when git knows it and it is one a snippet may carry. */
async function repoOf(dir: string, git: GitRunner): Promise<SnippetRepo | undefined> {
  const [remote, branch, commit] = await Promise.all([git(['remote', 'get-url', 'origin'], dir), git(['rev-parse', '--abbrev-ref', 'HEAD'], dir), git(['rev-parse', 'HEAD'], dir)]);
  // A detached HEAD names no branch.
  return snippetRepo({ remote, branch: branch === 'HEAD' ? undefined : branch, commit });
}

function megabytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
}
