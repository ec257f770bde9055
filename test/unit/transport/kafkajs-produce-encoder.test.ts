import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c, encodeProduce, type ProduceArgs } from '../../../src/transport/kafkajs/kafkajs-produce-encoder.js';

const require = createRequire(import.meta.url);
/** kafkajs's own Produce v3 request: the bytes rivulet's encoder must reproduce. */
const kafkajsV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: ProduceArgs) => { encode: () => Promise<{ buffer: Buffer }> };

const ts = (ms: number): string => String(1_700_000_000_000 + ms);

describe('Produce request encoder', () => {
  it('CRC-32C matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it.each([
    ['plain records on two topics', null, undefined, 0],
    ['an idempotent producer', null, '4711', 3],
    ['a transactional producer', 'tx-1', '9007199254740990', 32767],
  ])('encodes %s byte for byte as kafkajs does', async (_name, transactionalId, producerId, producerEpoch) => {
    const big = Buffer.alloc(300, 7);
    const args: ProduceArgs = {
      acks: -1,
      timeout: 30_000,
      compression: 0,
      transactionalId,
      ...(producerId === undefined ? {} : { producerId, producerEpoch }),
      topicData: [
        {
          topic: 'readings',
          partitions: [
            {
              partition: 0,
              firstSequence: 42,
              messages: [
                { key: Buffer.from('k1'), value: Buffer.from('{"v":1}'), timestamp: ts(5) },
                { key: null, value: big, timestamp: ts(0) },
                { key: Buffer.from('k3'), value: null, timestamp: ts(70_000) },
                { key: Buffer.from('ключ'), value: Buffer.from('значение'), timestamp: ts(3), headers: { trace: Buffer.from('abc'), 'x-list': [Buffer.from('a'), 'b'] } },
              ],
            },
            { partition: 5, firstSequence: 0, messages: Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: Buffer.from(`value-${i}`), timestamp: ts(i * 10) })) },
          ],
        },
        { topic: 'app-store-changelog', partitions: [{ partition: 3, messages: [{ key: Buffer.from('s'), value: Buffer.from('state'), timestamp: ts(1) }] }] },
      ],
    };
    const theirs = (await kafkajsV3(args).encode()).buffer;
    const ours = encodeProduce(args);
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('takes number timestamps (as the producer hands them) with the same bytes, and so does kafkajs\'s own encoder', async () => {
    const messages = (stamp: (ms: number) => string | number) => [
      { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: stamp(20) },
      { key: Buffer.from('b'), value: Buffer.from('2'), timestamp: stamp(0) },
      { key: null, value: Buffer.from('3'), timestamp: stamp(99_999) },
    ];
    const args = (stamp: (ms: number) => string | number): ProduceArgs => ({
      acks: -1,
      timeout: 30_000,
      compression: 0,
      transactionalId: null,
      topicData: [{ topic: 't', partitions: [{ partition: 1, messages: messages(stamp) }] }],
    });
    const asString = (await kafkajsV3(args(ts)).encode()).buffer;
    const asNumber = (ms: number): number => 1_700_000_000_000 + ms;
    expect((await kafkajsV3(args(asNumber)).encode()).buffer.equals(asString)).toBe(true);
    expect(encodeProduce(args(asNumber)).equals(asString)).toBe(true);
  });
});
