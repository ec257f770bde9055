import { describe, expect, it } from 'vitest';
import { parseRunnerArgs } from '../../bench/peers/args.js';
import { peerSizes } from '../../bench/peers/data.js';

describe('peer benchmark runner arguments', () => {
  it('parses broker-engine with the join\'s two input topics and the guarantee', () => {
    const a = parseRunnerArgs(['--', 'broker-engine', '--workload', 'join', '--brokers', 'h:1', '--inputs', 'imp,clk', '--output', 'o', '--app-id', 'id', '--guarantee', 'exactly_once']);
    expect(a).toEqual({ mode: 'broker-engine', workload: 'join', brokers: ['h:1'], inputs: ['imp', 'clk'], output: 'o', appId: 'id', guarantee: 'exactly_once' });
  });

  it('defaults to at-least-once and rejects a wrong number of inputs or the memory workload', () => {
    const a = parseRunnerArgs(['broker-engine', '--workload', 'W1', '--brokers', 'h:1', '--inputs', 'in', '--output', 'o', '--app-id', 'id']);
    expect(a.mode === 'broker-engine' && a.guarantee).toBe('at_least_once');
    expect(() => parseRunnerArgs(['broker-engine', '--workload', 'join', '--brokers', 'h:1', '--inputs', 'in', '--output', 'o', '--app-id', 'id'])).toThrow(/two topics/);
    expect(() => parseRunnerArgs(['broker-engine', '--workload', 'memory', '--brokers', 'h:1', '--inputs', 'in', '--output', 'o', '--app-id', 'id'])).toThrow(/unknown workload memory/);
  });

  it('parses broker (the IoT topology) with an optional guarantee, refusing an unknown one', () => {
    const base = ['broker', '--brokers', 'h:1,h:2', '--input', 'in', '--windowed', 'w', '--alerts', 'a', '--status', 's', '--app-id', 'id'];
    expect(parseRunnerArgs(base)).toEqual({ mode: 'broker', brokers: ['h:1', 'h:2'], input: 'in', windowed: 'w', alerts: 'a', status: 's', appId: 'id', guarantee: 'at_least_once' });
    expect(parseRunnerArgs([...base, '--guarantee', 'exactly_once'])).toMatchObject({ mode: 'broker', guarantee: 'exactly_once' });
    expect(() => parseRunnerArgs([...base, '--guarantee', 'exactly_twice'])).toThrow(/--guarantee must be at_least_once or exactly_once \(got exactly_twice\)/);
  });

  it('keeps the memory workload at 1 000 000 real keys at every scale', () => {
    expect(peerSizes(0.01).memory).toBe(1_000_000);
    expect(peerSizes(0.01).W1).toBe(20_000);
  });
});
