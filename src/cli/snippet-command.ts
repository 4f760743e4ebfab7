/** `udp-chat join`'s `/snippet`: reads the lines (snippet-file.ts), sends them, and says so with `--json`. */
import { ChatClientError, type ChatClient } from '../client/client';
import { clock, type Output } from './output';
import { readSnippet, SnippetFileError, type GitRunner } from './snippet-file';
import { snippetHeader } from './snippet-output';

export const SNIPPET_HELP = `  /snippet PATH[:A-B]  share lines A to B of a file as code (PATH:A one line; no range: the whole file)`;

/** Shares what `/snippet argument` names; a file that cannot be shared or a refusal is an error event. */
export async function shareSnippet(argument: string, client: ChatClient, output: Output, cwd: string = process.cwd(), git?: GitRunner): Promise<void> {
  try {
    const { meta, code } = await readSnippet(argument, cwd, git);
    const id = client.sendSnippet(meta, code);
    output.event(
      { event: 'sent', id, kind: 'snippet', path: meta.path, startLine: meta.startLine, endLine: meta.endLine, language: meta.language, ...(meta.repo ? { repo: meta.repo } : {}) },
      `${clock()} * sharing ${snippetHeader(meta)}`,
    );
  } catch (error) {
    const code = error instanceof SnippetFileError || error instanceof ChatClientError ? error.code : 'snippet-failed';
    output.error(code, (error as Error).message, { file: argument.trim() });
  }
}
