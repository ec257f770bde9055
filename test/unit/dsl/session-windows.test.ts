import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Suppressed } from '../../../src/dsl/suppressed.js';
import { SessionWindows, type Windowed } from '../../../src/dsl/windows.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// Session windows (Kafka Streams' KStreamSessionWindowAggregate): a record joins
// every session of its key whose [start, end] lies within `gap` of it (both ends
// inclusive); the sessions merge and the merged-away ones are retracted with a
// null. A record whose merged session ends before streamTime - grace is late.

const str = Serdes.string();
const num = Serdes.json<number>();
const wkey = Serdes.json<Windowed<string>>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

/** `key@[start,end]=value` (session ends are inclusive). */
function rows<V>(records: { key: Windowed<string> | null; value: V | null }[]): string[] {
  return records.map((r) => `${r.key?.key}@[${r.key?.window.start},${r.key?.window.end}]=${r.value}`);
}

describe('session windows', () => {
  function build() {
    const b = new StreamsBuilder();
    const sessions = b.stream<string, string>('clicks', { keySerde: str, valueSerde: str }).groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10));
    sessions.count({ storeName: 'session-counts' }).toStream().to('counts', { keySerde: wkey, valueSerde: num });
    sessions
      .aggregate(
        () => '',
        (_k, page, agg: string) => agg + page,
        (_k, left: string, right: string) => left + right,
        { storeName: 'session-pages' },
      )
      .toStream()
      .to('pages', { keySerde: wkey, valueSerde: str });
    return b.build();
  }

  it('merges sessions within the gap, bridges two sessions and retracts the merged-away ones', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const input = d.createInputTopic('clicks', str, str);
    input.pipeInput('a', 'p', 0); //  new session [0,0]
    input.pipeInput('a', 'q', 5); //  5 - 0 = gap: joins [0,0] (inclusive) -> [0,5]; [0,0] retracted
    input.pipeInput('a', 'r', 20); // 20 - 5 = 15 > gap: new session [20,20]
    input.pipeInput('a', 's', 11); // 11 - 5 = 6 > gap and 20 - 11 = 9 > gap: new session [11,11]
    input.pipeInput('a', 't', 15); // 15 - 11 = 4 and 20 - 15 = 5: bridges [11,11] and [20,20] -> [11,20]
    input.pipeInput('b', 'u', 16); // other key: its own session
    expect(rows(d.createOutputTopic('counts', wkey, num).readKeyValuesToList())).toEqual([
      'a@[0,0]=1',
      'a@[0,0]=null',
      'a@[0,5]=2',
      'a@[20,20]=1',
      'a@[11,11]=1',
      'a@[11,11]=null',
      'a@[20,20]=null',
      'a@[11,20]=3', // 1 + 1 merged, plus the bridging record
      'b@[16,16]=1',
    ]);
    // The merger combines the sessions in store order (by end): "s" + "r", then the record "t".
    expect(rows(d.createOutputTopic('pages', wkey, str).readKeyValuesToList())).toEqual([
      'a@[0,0]=p',
      'a@[0,0]=null',
      'a@[0,5]=pq',
      'a@[20,20]=r',
      'a@[11,11]=s',
      'a@[11,11]=null',
      'a@[20,20]=null',
      'a@[11,20]=srt',
      'b@[16,16]=u',
    ]);
    const store = d.getSessionStore<string, number>('session-counts');
    expect(store.findSessions('a', 0, 100).map((s) => [s.start, s.end, s.value])).toEqual([
      [0, 5, 2],
      [11, 20, 3],
    ]);
  });

  it('a record inside an existing session updates it in place (no retraction)', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const input = d.createInputTopic('clicks', str, str);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'y', 10); // 10 - 0 > 5: separate session [10,10]
    input.pipeInput('a', 'z', 8); //  joins [10,10] (10 - 8 = 2): merged [8,10]; [10,10] retracted
    input.pipeInput('a', 'w', 9); //  inside [8,10]: same bounds, one update
    expect(rows(d.createOutputTopic('counts', wkey, num).readKeyValuesToList())).toEqual([
      'a@[0,0]=1',
      'a@[10,10]=1',
      'a@[10,10]=null',
      'a@[8,10]=2',
      'a@[8,10]=3',
    ]);
  });

  it('drops a record whose merged session ends before streamTime - grace, and accepts one ending exactly there', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const input = d.createInputTopic('clicks', str, str);
    input.pipeInput('a', 'p', 0); //  [0,0]
    input.pipeInput('a', 'q', 40); // [40,40]; stream time 40, grace 10: close time 30
    input.pipeInput('a', 'r', 1); //  would merge into [0,1]: 1 < 30 -> late
    input.pipeInput('a', 's', 29); // [29,29]: 29 < 30 -> late
    input.pipeInput('a', 't', 30); // [30,30]: 30 is not < 30 -> accepted; 40 - 30 > 5: not merged with [40,40]
    expect(rows(d.createOutputTopic('counts', wkey, num).readKeyValuesToList())).toEqual(['a@[0,0]=1', 'a@[40,40]=1', 'a@[30,30]=1']);
    // Two late records, each dropped by both session aggregations (count and pages).
    expect(d.metrics().dropped.late).toBe(4);
  });

  it('drops records with a null key', () => {
    const d = (driver = new TopologyTestDriver(build()));
    d.createInputTopic('clicks', str, str).pipeInput(null, 'p', 0);
    expect(d.createOutputTopic('counts', wkey, num).isEmpty()).toBe(true);
    // Dropped once by each of the two session aggregations.
    expect(d.metrics().dropped['null-key']).toBe(2);
  });

  it('suppress(untilWindowCloses) emits a session once it can no longer grow: end + gap + grace < stream time', () => {
    // gap 5, grace 2. A session ending at e can still be extended by a record at ts <= e + 5 that
    // is not late (ts >= streamTime - 2), so it is final only when e + 5 < streamTime - 2.
    const b = new StreamsBuilder();
    b.stream<string, string>('clicks', { keySerde: str, valueSerde: str })
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 2))
      .count({ storeName: 'c' })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('final', { keySerde: wkey, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('clicks', str, str);
    const out = d.createOutputTopic('final', wkey, num);
    input.pipeInput('a', 'x', 0); //  a [0,0]
    input.pipeInput('a', 'x', 4); //  a [0,4]
    input.pipeInput('b', 'x', 10); // b [10,10]; a: 4 + 5 + 2 = 11, not < 10
    input.pipeInput('b', 'x', 11); // b [10,11]; a: 11 is not < 11 -> still open, and rightly so:
    input.pipeInput('a', 'x', 9); //  9 - 5 = 4 reaches [0,4] and 9 >= 11 - 2 is on time -> a [0,9]
    input.pipeInput('c', 'x', 16); // a: 9 + 7 = 16, not < 16
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('c', 'x', 17); // a: 16 < 17 -> a [0,9] = 3, once (its earlier versions were never emitted)
    expect(rows(out.readKeyValuesToList())).toEqual(['a@[0,9]=3']);
    input.pipeInput('c', 'x', 18); // b: 11 + 7 = 18, not < 18
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('c', 'x', 19); // b: 18 < 19 -> b [10,11] = 2
    expect(rows(out.readKeyValuesToList())).toEqual(['b@[10,11]=2']);
    expect(d.metrics().dropped.late).toBe(0);
  });
});
