import { KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows, type StreamsConfig } from 'rivulet';

interface Reading {
  readonly device_id: string;
  readonly value: number;
}

const builder = new StreamsBuilder();
builder
  .stream<string, Reading>('sensor-readings', { valueSerde: Serdes.json<Reading>() })
  .groupBy((_key, reading) => reading.device_id)
  .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
  .stats((reading) => reading.value, { storeName: 'device-stats-store' }) // also names its changelog topic
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .to('device-stats');

const config: StreamsConfig = {
  applicationId: 'device-stats', // the consumer group and the prefix of internal topics: keep it stable
  brokers: (process.env['KAFKA_BROKERS'] ?? 'localhost:9092').split(','), // none: the embedded broker
  stateDir: process.env['STATE_DIR'] ?? '/var/lib/device-stats', // LevelDB stores and checkpoints
  processingGuarantee: 'exactly_once',
};
const app = new KafkaStreams(builder.build(), config);

app.onStateChange((next, previous) => {
  console.log(`device-stats: ${previous} -> ${next}`);
  // ERROR: this instance stopped processing for good. Closing it hands its tasks to the other
  // instances; exiting lets the supervisor restart it, and the new one restores its stores.
  if (next === 'ERROR') void app.close().finally(() => process.exit(1));
});
// Commits, writes checkpoints and leaves the group, so the restart restores only the changelog tail.
process.once('SIGTERM', () => app.close());

await app.start();
await app.waitForState('RUNNING', 60_000); // rejects (RIVULET_STOPPED) if the instance fails first
