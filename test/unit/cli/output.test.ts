import assert from 'node:assert/strict';
import { Output, terminalSafe } from '../../../src/cli/output';

/** What `write` of process.stdout/stderr received while `run` ran. */
function captured(stream: NodeJS.WriteStream, run: () => void): string {
  const original = stream.write;
  let written = '';
  stream.write = ((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  }) as typeof stream.write;
  try {
    run();
  } finally {
    stream.write = original;
  }
  return written;
}

describe('cli/output', () => {
  it('turns escape sequences, carriage returns and C1 controls into U+FFFD and keeps line feeds and tabs', () => {
    assert.equal(terminalSafe('a\u001b]8;;https://x.test\u0007link\rb\u009bc\u007f\n\td'), 'a\ufffd]8;;https://x.test\ufffdlink\ufffdb\ufffdc\ufffd\n\td');
  });

  it('prints a human line from the network without its escape sequences', () => {
    const written = captured(process.stdout, () => new Output(false).event({ event: 'message', text: 'x' }, 'bob: hi\u001b]52;c;ZXZpbA==\u0007\ralice: forged'));
    assert.equal(written, 'bob: hi\ufffd]52;c;ZXZpbA==\ufffd\ufffdalice: forged\n');
  });

  it('keeps the text as it came in a JSON event', () => {
    const written = captured(process.stdout, () => new Output(true).event({ event: 'message', text: 'a\u001b[31mb' }, 'ignored'));
    assert.equal(JSON.parse(written).text, 'a\u001b[31mb');
  });

  it('prints an error and a diagnostic line without escape sequences', () => {
    const written = captured(process.stderr, () => {
      new Output(false).error('E', 'bad\u001b[2J');
      new Output(false).log('log\u001b[2J');
    });
    assert.equal(written, '! bad\ufffd[2J\nlog\ufffd[2J\n');
  });
});
