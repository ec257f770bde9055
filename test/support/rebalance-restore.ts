/**
 * Under exactly-once, a rebalance must cost only what changed: a second instance
 * joins (A keeps some tasks), then leaves (its tasks return to A). Kept tasks
 * restore from their checkpoints, returning ones only what the other instance
 * changed. Run on the embedded broker and on Kafka, whose client revokes differently.
 */
import { expect } from 'vitest';
import type { KafkaStreams, KafkaStreamsOptions } from '../../src/runtime/kafka-streams.js';
import type { RestoreProgress } from '../../src/runtime/task-manager.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, produceJson } from './embedded-io.js';

export interface CountingApp {
  readonly admin: Transport;
  /** A 4-partition input topic. */
  readonly input: string;
  /** A new instance counting per key into store `counts`, sharing the application id. */
  newApp(options?: Partial<KafkaStreamsOptions>): KafkaStreams;
  /** The latest count per key in the output. */
  counts(): Promise<Map<string, unknown>>;
  newStateDir(): string;
}

export async function rebalanceRestoresFromCheckpoints({ admin, input, newApp, counts, newStateDir }: CountingApp, waitMs = 15_000): Promise<void> {
  const round = () => produceJson(admin, input, Array.from({ length: 400 }, (_, j) => ({ key: `k${j}`, value: {} })));
  const restoresA: RestoreProgress[] = [];
  const a = newApp({ processingGuarantee: 'exactly_once' });
  a.onRestore((p) => restoresA.push(p));
  await a.start();
  try {
    // 2,000 changelog records over 4 tasks before anyone else joins.
    for (let i = 0; i < 5; i++) {
      await round();
      await eventually(async () => {
        const c = await counts();
        return Array.from({ length: 400 }, (_, j) => c.get(`k${j}`)).every((n) => n === i + 1);
      }, waitMs, `round ${i} counted, every key`);
    }
    const beforeJoin = restoresA.length;
    // B joins with its own state directory (another machine): A keeps some tasks and gives the others away.
    const b = newApp({ processingGuarantee: 'exactly_once', stateDir: newStateDir() });
    await b.start();
    let keptTasks = 0;
    try {
      await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks > 0 && b.metrics().tasks > 0 && a.metrics().tasks + b.metrics().tasks === 4, waitMs, 'A and B sharing the 4 tasks');
      keptTasks = a.metrics().tasks;
      await round();
      await eventually(async () => {
        const c = await counts();
        return Array.from({ length: 400 }, (_, j) => c.get(`k${j}`)).every((n) => n === 6);
      }, waitMs, 'round 6 counted by both, every key');
    } finally {
      // B leaves: its tasks return to A, whose local state for them stopped at the handover.
      await b.close();
    }
    const afterJoin = restoresA.length;
    await round();
    // Every task's round 7, not only k399's: partitions commit independently.
    await eventually(async () => {
      const c = await counts();
      return Array.from({ length: 400 }, (_, j) => c.get(`k${j}`)).every((n) => n === 7);
    }, waitMs, 'round 7 counted by A alone, every key');

    const finalTotals = (from: number, to: number) => {
      const last = new Map<string, number>();
      for (const p of restoresA.slice(from, to)) if (p.store === 'counts') last.set(p.task, p.total);
      return last;
    };
    expect(keptTasks, 'tasks A kept while B ran').toBeGreaterThan(0);
    expect(keptTasks).toBeLessThan(4);
    // A kept task restores nothing or next to nothing (a task with nothing to restore reports
    // nothing): its checkpoint covers every change. A full restore would be 500 per task.
    for (const [task, total] of finalTotals(beforeJoin, afterJoin)) expect(total, `kept task ${task}`).toBeLessThan(10);
    // A returning task restores only what B changed while it held it: at most one round's keys.
    const returnedTotal = [...finalTotals(afterJoin, restoresA.length).values()].reduce((x, y) => x + y, 0);
    expect(returnedTotal).toBeLessThanOrEqual(400);
  } finally {
    await a.close();
  }
}
