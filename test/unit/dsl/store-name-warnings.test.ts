import { describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Suppressed } from '../../../src/dsl/suppressed.js';
import { JoinWindows, TimeWindows } from '../../../src/dsl/windows.js';
import type { Topology } from '../../../src/topology/topology.js';

/** Option types are types only: a remedy naming `Materialized.x` points at nothing a user can import. */
const TYPE_ONLY = /\b(Materialized|Named|StreamJoined|Grouped|Consumed|Produced|Repartitioned)\.[a-z]/;

const cases: { what: string; unnamed: () => Topology; named: () => Topology; advice: string }[] = [
  {
    what: 'count()',
    unnamed: () => {
      const b = new StreamsBuilder();
      b.stream('in').groupByKey().count();
      return b.build();
    },
    named: () => {
      const b = new StreamsBuilder();
      b.stream('in').groupByKey().count({ storeName: 'counts' });
      return b.build();
    },
    advice: "count({ storeName: 'counts' })",
  },
  {
    what: 'builder.table()',
    unnamed: () => {
      const b = new StreamsBuilder();
      b.table('users');
      return b.build();
    },
    named: () => {
      const b = new StreamsBuilder();
      b.table('users', {}, { storeName: 'users' });
      return b.build();
    },
    advice: "builder.table('users', {}, { storeName: 'users' })",
  },
  {
    what: 'suppress()',
    unnamed: () => {
      const b = new StreamsBuilder();
      b.stream('in').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1000)).count({ storeName: 'c' }).suppress(Suppressed.untilWindowCloses());
      return b.build();
    },
    named: () => {
      const b = new StreamsBuilder();
      b.stream('in').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1000)).count({ storeName: 'c' }).suppress(Suppressed.untilWindowCloses(), { name: 'final-counts' });
      return b.build();
    },
    advice: "suppress(Suppressed.untilWindowCloses(), { name: 'final-counts' })",
  },
  {
    what: 'a windowed stream join',
    unnamed: () => {
      const b = new StreamsBuilder();
      b.stream('a').join(b.stream('b'), (x, y) => [x, y], JoinWindows.ofTimeDifferenceWithNoGrace(1000));
      return b.build();
    },
    named: () => {
      const b = new StreamsBuilder();
      b.stream('a').join(b.stream('b'), (x, y) => [x, y], JoinWindows.ofTimeDifferenceWithNoGrace(1000), { name: 'clicks-join' });
      return b.build();
    },
    advice: "{ name: 'clicks-join' }",
  },
  {
    what: 'a stream-table join on an unmaterialized table',
    unnamed: () => {
      const b = new StreamsBuilder();
      b.stream('a').join(b.table('t', {}, { storeName: 't' }).mapValues((v) => v), (x, y) => [x, y]);
      return b.build();
    },
    named: () => {
      const b = new StreamsBuilder();
      b.stream('a').join(b.table('t', {}, { storeName: 't' }).mapValues((v) => v).toStream().toTable({}, { storeName: 'users' }), (x, y) => [x, y]);
      return b.build();
    },
    advice: "table.toStream().toTable({}, { storeName: 'users' })",
  },
];

describe('generated-name warnings advise what a user can write', () => {
  it.each(cases)('$what: the warning names no type-only option, shows a call, and that call silences it', ({ unnamed, named, advice }) => {
    const warnings = unnamed().warnings.filter((w) => w.includes('generated name'));
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) {
      expect(w).not.toMatch(TYPE_ONLY);
      expect(w).toContain(advice);
    }
    expect(named().warnings.filter((w) => w.includes('generated name'))).toEqual([]);
  });
});
