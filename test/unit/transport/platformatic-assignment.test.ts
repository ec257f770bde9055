import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  planAssignment,
} from '../../../src/transport/platformatic/platformatic-assignment.js';
import { rangeAssignor } from '../../../src/transport/assignor.js';
import type { GroupAssignor } from '../../../src/transport/transport.js';

describe('platformatic transport: group assignment', () => {
  it('round-trips a subscription and an assignment with userData through the consumer protocol bytes', () => {
    const userData = new Uint8Array([1, 2, 3]);
    expect(decodeSubscription('m1', encodeSubscription(['a', 'b'], userData))).toEqual({ memberId: 'm1', topics: ['a', 'b'], userData });
    expect(decodeSubscription('m2', encodeSubscription(['a']))).toEqual({ memberId: 'm2', topics: ['a'] });
    const partitions = [
      { topic: 'b', partition: 1 },
      { topic: 'a', partition: 2 },
      { topic: 'a', partition: 0 },
    ];
    expect(decodeAssignment(encodeAssignment({ partitions, userData }))).toEqual({
      partitions: [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 2 },
        { topic: 'b', partition: 1 },
      ],
      userData,
    });
    expect(decodeAssignment(null)).toEqual({ partitions: [] });
  });

  it('range by default: co-partitioned topics split identically across members', () => {
    const plan = planAssignment(
      rangeAssignor,
      [
        { memberId: 'b', topics: ['in', 'table'] },
        { memberId: 'a', topics: ['in', 'table'] },
      ],
      (t) => (t === 'in' || t === 'table' ? 3 : undefined),
    );
    expect(plan.get('a')?.partitions).toEqual([
      { topic: 'in', partition: 0 },
      { topic: 'in', partition: 1 },
      { topic: 'table', partition: 0 },
      { topic: 'table', partition: 1 },
    ]);
    expect(plan.get('b')?.partitions).toEqual([
      { topic: 'in', partition: 2 },
      { topic: 'table', partition: 2 },
    ]);
  });

  it('a pluggable assignor sees members with their userData and can hand userData back', () => {
    const seen: (number | undefined)[] = [];
    const standbyAware: GroupAssignor = {
      assign(members) {
        for (const m of members) seen.push(m.userData?.[0]);
        return new Map(members.map((m) => [m.memberId, { partitions: [], userData: new Uint8Array([9]) }]));
      },
    };
    const members = [encodeSubscription(['t'], new Uint8Array([7]))].map((raw) => decodeSubscription('m', raw));
    const plan = planAssignment(standbyAware, members, () => 1);
    expect(seen).toEqual([7]);
    expect(decodeAssignment(encodeAssignment(plan.get('m')!)).userData).toEqual(new Uint8Array([9]));
  });

  it('a throwing assignor falls back to range, so every partition still gets an owner', () => {
    const broken: GroupAssignor = {
      assign() {
        throw new Error('boom');
      },
    };
    const plan = planAssignment(broken, [{ memberId: 'a', topics: ['t'] }], () => 2);
    expect(plan.get('a')?.partitions).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
  });
});
