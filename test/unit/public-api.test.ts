import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as rivulet from '../../src/index.js';

/**
 * The values `import … from 'rivulet'` offers. A change here is a change of
 * the public API: add to the README's API map what you add here.
 */
const PUBLIC_VALUES = [
  'BufferConfig',
  'ConfigError',
  'DLQ_HEADERS',
  'DLQ_MAX_RECORD_BYTES',
  'EmbeddedBroker',
  'JoinWindows',
  'KafkaStreams',
  'KeyQueryMetadata',
  'KernelError',
  'QueryableStoreTypes',
  'RivuletError',
  'Serdes',
  'SerdeError',
  'SessionWindows',
  'SlidingWindows',
  'StateError',
  'StreamThreadExceptionResponse',
  'StreamsBuilder',
  'Suppressed',
  'TaskFailure',
  'TestInputTopic',
  'TestOutputTopic',
  'TimeWindows',
  'Topology',
  'TopologyError',
  'TopologyTestDriver',
  'TransportError',
  'TypedConsumer',
  'TypedProducer',
  'deadLetterTopic',
  'defaultEmbeddedBroker',
  'formatProgress',
  'formatRestoreProgress',
  'prometheusText',
  'serveMetrics',
];

it('src/index.ts exports exactly the public values, none of the kernel, runtime or transport internals', () => {
  expect(Object.keys(rivulet).sort()).toEqual([...PUBLIC_VALUES].sort());
  for (const internal of ['WasmWindowKernel', 'ReferenceKernel', 'StreamThread', 'StreamTask', 'TaskManager', 'GlobalStateManager', 'resolveConfig', 'createTransport', 'createKafkaTransport', 'EmbeddedTransport', 'murmur2']) {
    expect(rivulet).not.toHaveProperty(internal);
  }
});

it('src/index.ts re-exports no type of the WASM kernel layer and no catch-all', () => {
  const index = readFileSync(join(__dirname, '../../src/index.ts'), 'utf8');
  expect(index).not.toMatch(/from '\.\/wasm\//);
  expect(index).not.toMatch(/export \* from/);
});
