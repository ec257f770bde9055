/**
 * Kafka Streams' StreamsPartitionAssignor, reduced to what rivulet needs:
 * tasks (sub-topology × partition) rather than partitions are assigned, so
 * every source topic of a task lands on the same instance; each member
 * announces its `applicationServer` and the changelog offsets of the task
 * state it holds locally (subscription userData); the leader places active
 * tasks, then standby tasks, and sends every member the whole map
 * host → active and standby tasks (assignment userData), which the
 * interactive-query metadata is read from.
 *
 * Placement:
 * - without standby replicas, actives are split per sub-topology in contiguous
 *   ranges over the members sorted by id: exactly what the range assignor gives
 *   co-partitioned topics (the behaviour before this assignor);
 * - with standby replicas (KIP-441's idea, without probing rebalances), a
 *   stateful task goes to the member holding the most caught-up copy of its
 *   state (highest changelog offset), within a per-sub-topology balance of
 *   ceil(tasks / members); ties keep the range placement. Standbys go to
 *   other instances than the active (never the same instance), most caught-up
 *   first, then the least loaded.
 * @module
 */
import type { GroupAssignor, GroupMemberAssignment, GroupSubscription, TopicPartition } from '../transport/transport.js';

/** A task the assignor may place: its id, its source topics, whether it has changelogged state. */
export interface AssignableSubTopology {
  readonly id: number;
  /** Source topics as named on the broker (internal ones prefixed). */
  readonly topics: readonly string[];
  readonly stateful: boolean;
}

/** What a member announces when it joins (subscription userData, JSON). */
export interface StreamsSubscriptionInfo {
  readonly version: 1;
  /** One per KafkaStreams instance: standbys never share an instance with their active. */
  readonly instanceId: string;
  /** `host:port` of `applicationServer`, when set. */
  readonly host?: string;
  /** Task id → sum of the changelog offsets of its local state (checkpoint or standby position). */
  readonly offsets: Readonly<Record<string, number>>;
}

/** The leader's answer to one member (assignment userData, JSON). */
export interface StreamsAssignmentInfo {
  readonly version: 1;
  /** Every instance that set `applicationServer`, with its tasks. */
  readonly hosts: readonly { readonly host: string; readonly active: readonly string[]; readonly standby: readonly string[] }[];
  /** This member's standby task ids. */
  readonly standby: readonly string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeInfo(info: StreamsSubscriptionInfo | StreamsAssignmentInfo): Uint8Array {
  return enc.encode(JSON.stringify(info));
}

/** Decodes userData written by {@link encodeInfo}; `undefined` for anything else (another assignor, a newer version). */
export function decodeSubscription(data: Uint8Array | undefined): StreamsSubscriptionInfo | undefined {
  const v = parse(data) as Partial<StreamsSubscriptionInfo> | undefined;
  if (v?.version !== 1 || typeof v.instanceId !== 'string' || typeof v.offsets !== 'object' || v.offsets === null) return undefined;
  return v as StreamsSubscriptionInfo;
}

export function decodeAssignment(data: Uint8Array | undefined): StreamsAssignmentInfo | undefined {
  const v = parse(data) as Partial<StreamsAssignmentInfo> | undefined;
  if (v?.version !== 1 || !Array.isArray(v.hosts) || !Array.isArray(v.standby)) return undefined;
  return v as StreamsAssignmentInfo;
}

function parse(data: Uint8Array | undefined): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(dec.decode(data));
  } catch {
    return undefined;
  }
}

interface Client {
  readonly memberId: string;
  readonly instanceId: string;
  readonly host: string | undefined;
  readonly offsets: Readonly<Record<string, number>>;
  readonly active: string[];
  readonly standby: string[];
  readonly partitions: TopicPartition[];
}

export interface StreamsAssignorOptions {
  readonly subTopologies: () => readonly AssignableSubTopology[];
  readonly numStandbyReplicas: number;
  /** This member's announcement, built at each join. */
  readonly subscription: () => StreamsSubscriptionInfo;
}

export class StreamsAssignor implements GroupAssignor {
  constructor(private readonly options: StreamsAssignorOptions) {}

  subscriptionUserData(): Uint8Array {
    return encodeInfo(this.options.subscription());
  }

  assign(members: readonly GroupSubscription[], partitionCount: (topic: string) => number | undefined): Map<string, GroupMemberAssignment> {
    const clients: Client[] = [...members]
      .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))
      .map((m) => {
        const info = decodeSubscription(m.userData);
        return { memberId: m.memberId, instanceId: info?.instanceId ?? m.memberId, host: info?.host, offsets: info?.offsets ?? {}, active: [], standby: [], partitions: [] };
      });
    const standbys = this.options.numStandbyReplicas;
    for (const sub of this.options.subTopologies()) {
      const counts = sub.topics.map((t) => partitionCount(t) ?? 0);
      const n = Math.max(0, ...counts);
      if (n === 0 || clients.length === 0) continue;
      const owners = placeActives(sub, n, clients, standbys > 0);
      owners.forEach((client, p) => {
        const task = `${sub.id}_${p}`;
        client.active.push(task);
        sub.topics.forEach((topic, i) => {
          if (p < (counts[i] ?? 0)) client.partitions.push({ topic, partition: p });
        });
      });
      if (sub.stateful && standbys > 0) {
        owners.forEach((active, p) => placeStandbys(`${sub.id}_${p}`, active, clients, standbys));
      }
    }
    const hosts = clients
      .filter((c): c is Client & { host: string } => c.host !== undefined)
      .map((c) => ({ host: c.host, active: c.active, standby: c.standby }));
    const out = new Map<string, GroupMemberAssignment>();
    for (const c of clients) {
      c.partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      out.set(c.memberId, { partitions: c.partitions, userData: encodeInfo({ version: 1, hosts, standby: c.standby }) });
    }
    return out;
  }
}

/** The owner of each partition of one sub-topology. */
function placeActives(sub: AssignableSubTopology, n: number, clients: readonly Client[], preferCaughtUp: boolean): Client[] {
  const m = clients.length;
  // Range placement: the first n % m clients take one task more.
  const base = Math.floor(n / m);
  const extra = n % m;
  const range: Client[] = [];
  clients.forEach((c, i) => {
    for (let k = 0; k < base + (i < extra ? 1 : 0); k++) range.push(c);
  });
  if (!preferCaughtUp || !sub.stateful) return range;
  const capacity = Math.ceil(n / m);
  const load = new Map<Client, number>();
  const owners: (Client | undefined)[] = new Array<Client | undefined>(n).fill(undefined);
  // Tasks whose state some client holds go first, most advanced copies first, so they win capacity.
  const best = (p: number): number => Math.max(0, ...clients.map((c) => c.offsets[`${sub.id}_${p}`] ?? 0));
  const order = Array.from({ length: n }, (_, p) => p).sort((a, b) => best(b) - best(a) || a - b);
  for (const p of order) {
    const task = `${sub.id}_${p}`;
    const ranked = [...clients].sort((a, b) => (b.offsets[task] ?? -1) - (a.offsets[task] ?? -1) || (a === range[p] ? -1 : b === range[p] ? 1 : 0));
    const chosen = ranked.find((c) => (load.get(c) ?? 0) < capacity) ?? (range[p] as Client);
    owners[p] = chosen;
    load.set(chosen, (load.get(chosen) ?? 0) + 1);
  }
  return owners as Client[];
}

function placeStandbys(task: string, active: Client, clients: readonly Client[], replicas: number): void {
  const used = new Set<string>([active.instanceId]);
  for (let r = 0; r < replicas; r++) {
    const candidates = clients.filter((c) => !used.has(c.instanceId));
    if (candidates.length === 0) return;
    candidates.sort((a, b) => (b.offsets[task] ?? -1) - (a.offsets[task] ?? -1) || a.standby.length + a.active.length - (b.standby.length + b.active.length));
    const chosen = candidates[0] as Client;
    chosen.standby.push(task);
    used.add(chosen.instanceId);
  }
}
