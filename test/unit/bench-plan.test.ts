import { describe, expect, it } from 'vitest';
import { benchPlan, DEFAULT_SUPPRESS_CASES, FULL_SUPPRESS_CASES } from '../../bench/bench-plan.js';
import { BROKER_ENGINE_SYSTEMS } from '../../bench/peers/broker-engines.js';
import { peerSizes } from '../../bench/peers/data.js';

describe('npm run bench sizes (bench/bench-plan.ts)', () => {
  it('plans the small sizes by default', () => {
    const p = benchPlan({});
    expect(p.full).toBe(false);
    expect(p.kernel.scale).toBe(0.02);
    expect(p.broker.records).toBe(100_000);
    expect(p.peers).toEqual({
      engineWorkloads: ['memory'],
      engineScale: 0.005,
      brokerEngineSystems: ['rivulet', 'rivulet-eos', 'kafka-streams', 'kafkats-flow'],
      memoryKeys: 100_000,
      brokerEngineScale: 0.05,
      brokerEngineSeconds: 6,
      javaWarmupSeconds: 2,
      reps: 1,
      brokerRecords: 100_000,
      brokerSeconds: 10,
      latencySeconds: 5,
      latencyWarmupSeconds: 2,
      latencyDrainSeconds: 10,
    });
    expect(p.suppress.cases).toBe(DEFAULT_SUPPRESS_CASES);
    expect(p.label).toMatch(/RIVULET_BENCH_FULL=1 gives the full sizes/);
    expect(benchPlan({ RIVULET_BENCH_FULL: '0' })).toEqual(p);
  });

  it('RIVULET_BENCH_FULL=1 switches every part to the full sizes', () => {
    const p = benchPlan({ RIVULET_BENCH_FULL: '1' });
    expect(p.full).toBe(true);
    expect(p.kernel.scale).toBe(1);
    expect(p.broker.records).toBe(2_000_000);
    expect(p.peers).toEqual({
      engineWorkloads: ['W1', 'W2', 'wordcount', 'join', 'memory'],
      engineScale: 0.01,
      brokerEngineSystems: [...BROKER_ENGINE_SYSTEMS],
      memoryKeys: 1_000_000,
      brokerEngineScale: 0.2,
      brokerEngineSeconds: 20,
      javaWarmupSeconds: 10,
      reps: 3,
      brokerRecords: 2_000_000,
      brokerSeconds: 60,
      latencySeconds: 60,
      latencyWarmupSeconds: 10,
      latencyDrainSeconds: 30,
    });
    expect(p.suppress.cases).toBe(FULL_SUPPRESS_CASES);
    expect(peerSizes(p.peers.engineScale, p.peers.memoryKeys).memory).toBe(1_000_000);
    expect(benchPlan({ RIVULET_BENCH_FULL: 'true' })).toEqual(p);
  });

  it("keeps a part's own variable over the plan, and RIVULET_BENCH_SCALE's meaning", () => {
    const p = benchPlan({ RIVULET_PEERS_REPS: '2', RIVULET_BROKER_BENCH_RECORDS: '50000', RIVULET_PEERS_MEMORY_KEYS: '1000000', RIVULET_BENCH_SUPPRESS_CASES: 'driver:50:4000:1' });
    expect([p.peers.reps, p.broker.records, p.peers.memoryKeys, p.suppress.cases]).toEqual([2, 50_000, 1_000_000, 'driver:50:4000:1']);
    expect(benchPlan({ RIVULET_PEERS_ENGINE_WORKLOADS: 'memory, W1' }).peers.engineWorkloads).toEqual(['W1', 'memory']);
    const s = benchPlan({ RIVULET_BENCH_SCALE: '0.25' });
    expect([s.kernel.scale, s.peers.engineScale, s.peers.brokerEngineScale, s.peers.brokerRecords]).toEqual([0.25, 0.01, 0.2, 500_000]);
  });

  it('rejects a flag or size it cannot read, naming the variable', () => {
    expect(() => benchPlan({ RIVULET_BENCH_FULL: 'yes' })).toThrow(/RIVULET_BENCH_FULL must be 1 .* \(got "yes"\)/);
    expect(() => benchPlan({ RIVULET_PEERS_REPS: '0' })).toThrow(/RIVULET_PEERS_REPS must be a number > 0 \(got "0"\)/);
    expect(() => benchPlan({ RIVULET_PEERS_ENGINE_WORKLOADS: 'W1,W9' })).toThrow(/unknown workload 'W9'/);
  });

  it('the default memory file holds the planned keys, the full one 1 000 000', () => {
    expect(peerSizes(0.005, 100_000)).toMatchObject({ memory: 100_000, W1: 10_000, wordcount: 1_000 });
    expect(peerSizes(0.01).memory).toBe(1_000_000);
  });
});
