// The quick start's topology under the TopologyTestDriver: no broker, records piped in, results read out.
import { Serdes, StreamsBuilder, Suppressed, TimeWindows, TopologyTestDriver } from 'rivulet';

const builder = new StreamsBuilder();
builder
  .stream('sensor-readings', { keySerde: Serdes.string(), valueSerde: Serdes.json() })
  .groupBy((_key, reading) => reading.device_id)
  .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
  .stats((reading) => reading.value, { storeName: 'device-stats-store' })
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .to('device-stats');

const driver = new TopologyTestDriver(builder.build());
const input = driver.createInputTopic('sensor-readings', Serdes.string(), Serdes.json());
const output = driver.createOutputTopic('device-stats', Serdes.json(), Serdes.json());
input.pipeInput('d1', { device_id: 'd1', value: 3 }, 1_000);
input.pipeInput('d1', { device_id: 'd1', value: 5 }, 2_000);
input.pipeInput('d1', { device_id: 'd1', value: 4 }, 15_000); // stream time 15 s closes [0 s, 10 s) (end 10 s + grace 5 s)
for (const { key, value } of output.readKeyValuesToList()) {
  console.log(`${key.key} [${key.window.start}, ${key.window.end}) count=${value.count} mean=${value.mean}`);
}
driver.close();
