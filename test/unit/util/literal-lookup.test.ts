import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { literalLookup } from '../../../src/util/literal-lookup';

type Answer = { error: NodeJS.ErrnoException | null; address: string; family: number };

function lookUp(hostname: string, options: Parameters<typeof literalLookup>[1]): { answer: Answer | undefined; settled: Promise<Answer> } {
  let answer: Answer | undefined;
  const settled = new Promise<Answer>((resolve) => {
    literalLookup(hostname, options, (error, address, family) => {
      answer = { error, address, family };
      resolve(answer);
    });
  });
  return { answer, settled };
}

describe('util/literal-lookup', () => {
  it('answers an IPv4 literal at once, as itself', () => {
    const { answer } = lookUp('127.0.0.1', 4);
    assert.deepEqual(answer, { error: null, address: '127.0.0.1', family: 4 });
  });

  it('answers an IPv6 literal at once when family 6 (or any) is wanted', () => {
    assert.deepEqual(lookUp('::1', 6).answer, { error: null, address: '::1', family: 6 });
    assert.deepEqual(lookUp('::1', { family: 0 }).answer, { error: null, address: '::1', family: 6 });
  });

  it('answers a literal with its own family whatever was asked, as dns.lookup does', () => {
    assert.deepEqual(lookUp('::1', 4).answer, { error: null, address: '::1', family: 6 });
  });

  it('leaves names to dns.lookup (later, not at once)', async () => {
    const { answer, settled } = lookUp('localhost', 4);
    assert.equal(answer, undefined);
    const resolved = await settled;
    assert.equal(resolved.error, null);
    assert.equal(resolved.family, 4);
  });

  it('carries a real datagram when a socket sends through it', async () => {
    const receiver = dgram.createSocket('udp4');
    const sender = dgram.createSocket({ type: 'udp4', lookup: literalLookup });
    try {
      await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
      const arrived = new Promise<string>((resolve) => receiver.once('message', (message) => resolve(message.toString())));
      sender.send('hello', receiver.address().port, '127.0.0.1');
      assert.equal(await arrived, 'hello');
    } finally {
      receiver.close();
      sender.close();
    }
  });
});
