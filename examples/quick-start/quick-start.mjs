// Windowed statistics per device, start to finish, on rivulet's in-process embedded broker:
// create the input topic, start the application, produce readings, read the final windows, close.
// Run it with `node quick-start.mjs`; it exits by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows, defaultEmbeddedBroker } from 'rivulet';

// The broker every KafkaStreams without `brokers` joins. Source topics must exist before start().
const broker = defaultEmbeddedBroker();
await broker.createTopic('sensor-readings', { partitions: 1 });

const builder = new StreamsBuilder();
builder
  .stream('sensor-readings', { keySerde: Serdes.string(), valueSerde: Serdes.json() })
  .groupBy((_key, reading) => reading.device_id)
  .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
  // count, sum, mean, min, max, variance and stddev per window, computed in the WASM kernel
  .stats((reading) => reading.value, { storeName: 'device-stats-store' })
  .suppress(Suppressed.untilWindowCloses()) // one final result per window
  .toStream()
  .to('device-stats'); // key {key, window: {start, end}}, value the statistics, both JSON

const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-quick-start-'));
const app = new KafkaStreams(builder.build(), { applicationId: 'quick-start', stateDir });
await app.start();

// Three devices, 60 readings each, 1 s apart in event time (the record timestamp). They are sent
// without a key, so they spread over the topic's partitions, and each pair of seconds arrives in
// reverse order: event time is what counts, and 1 s of disorder is well within the 5 s grace.
const devices = ['d1', 'd2', 'd3'];
const t0 = Date.UTC(2025, 0, 1);
const readings = [];
for (let i = 0; i < 60; i++) {
  const second = i % 2 === 0 ? i + 1 : i - 1;
  devices.forEach((device, d) => {
    const value = 20 + 5 * d + (second % 10) / 2;
    readings.push({ topic: 'sensor-readings', value: { device_id: device, value }, timestamp: t0 + second * 1000 });
  });
}
// A window's result is final only once stream time passes its end plus the grace: the last
// window [50 s, 60 s) closes at 65 s. One more reading per device at 65 s closes every window
// (grouped by device, it reaches the task that holds that device's windows); the window it
// opens itself stays open, so it is not printed.
for (const device of devices) {
  readings.push({ topic: 'sensor-readings', value: { device_id: device, value: 0 }, timestamp: t0 + 65_000 });
}
const producer = broker.producer({ valueSerde: Serdes.json() });
await producer.send(readings);

// Read the final windows from the output topic: 3 devices x 6 windows, or give up after 30 s.
const consumer = broker.consumer({ groupId: 'quick-start-reader', keySerde: Serdes.json(), valueSerde: Serdes.json() });
await consumer.subscribe(['device-stats']);
const results = [];
const deadline = Date.now() + 30_000;
while (results.length < 18 && Date.now() < deadline) {
  results.push(...(await consumer.poll({ timeoutMs: 500 })));
}
const seconds = (ms) => `${(ms - t0) / 1000}s`;
for (const { key, value: s } of results) {
  console.log(
    `${key.key} [${seconds(key.window.start)}, ${seconds(key.window.end)}) count=${s.count} mean=${s.mean.toFixed(2)} ` +
      `min=${s.min} max=${s.max} stddev=${s.stddev.toFixed(3)}`,
  );
}
console.log(`${results.length} final windows`);

await consumer.close();
await producer.close();
await app.close();
rmSync(stateDir, { recursive: true, force: true });
