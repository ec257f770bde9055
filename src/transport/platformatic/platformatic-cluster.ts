/**
 * What every client of the @platformatic/kafka transport shares: the
 * library's `Admin` (topics, offsets, metadata) and one `ConnectionPool` over
 * which rivulet's own group and fetch requests go, all through the library's
 * public request API (`apis/*`), plus the coordinator lookup.
 * @module
 */
import { Admin, ConnectionPool, findCoordinatorV4, type ClusterMetadata, type Connection, type ConnectionOptions } from '@platformatic/kafka';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { hasKafkaError } from './platformatic-errors.js';

/** Kafka's FindCoordinator key types. */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

/** Errors that heal once the cluster settles (coordinator moving or loading, leader elections). */
export const TRANSIENT_ERRORS = [
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'CONCURRENT_TRANSACTIONS',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
];

/** How long a call waits out {@link TRANSIENT_ERRORS} before it fails. */
export const TRANSIENT_WAIT_MS = 30_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseBroker(b: string): { host: string; port: number } {
  const i = b.lastIndexOf(':');
  return { host: b.slice(0, i), port: Number(b.slice(i + 1)) };
}

export class PlatformaticCluster {
  readonly admin: Admin;
  readonly pool: ConnectionPool;
  readonly #brokers: { host: string; port: number }[];
  readonly #coordinators = new Map<string, { host: string; port: number }>();
  #metadata: ClusterMetadata | undefined;

  constructor(
    brokers: readonly string[],
    readonly clientId: string,
    readonly connection: ConnectionOptions,
  ) {
    this.#brokers = brokers.map(parseBroker);
    this.admin = new Admin({ clientId, bootstrapBrokers: [...brokers], retries: 3, retryDelay: 200, ...connection });
    this.pool = new ConnectionPool(clientId, connection);
  }

  get bootstrapBrokers(): string[] {
    return this.#brokers.map((b) => `${b.host}:${b.port}`);
  }

  /** Cluster metadata for `topics` (fresh when `force`). */
  async metadata(topics: string[], force = false): Promise<ClusterMetadata> {
    this.#metadata = await this.admin.metadata({ topics, forceUpdate: force });
    return this.#metadata;
  }

  /** A pool of its own for a client whose requests must not queue behind others' (fetches wait at the broker). */
  newPool(requestTimeoutMs?: number): ConnectionPool {
    return new ConnectionPool(this.clientId, requestTimeoutMs === undefined ? this.connection : { ...this.connection, requestTimeout: requestTimeoutMs });
  }

  /** The leader node id of every partition of `topics` (metadata refreshed when `force`). */
  async leaders(topics: string[], force = false): Promise<ClusterMetadata> {
    let meta = this.#metadata;
    if (force || meta === undefined || topics.some((t) => !meta!.topics.has(t))) meta = await this.metadata(topics, force);
    return meta;
  }

  async brokerConnection(nodeId: number, meta: ClusterMetadata, pool: ConnectionPool = this.pool): Promise<Connection> {
    const broker = meta.brokers.get(nodeId);
    if (broker === undefined) throw transportError(TransportErrorCode.NOT_CONNECTED, `broker ${nodeId} is not in the cluster metadata`, { retriable: true });
    return pool.get({ host: broker.host, port: broker.port });
  }

  async bootstrapConnection(): Promise<Connection> {
    return this.pool.getFirstAvailable(this.#brokers);
  }

  /** A connection to the coordinator of a group or transactional id; `forget` after NOT_COORDINATOR. */
  async coordinator(type: number, key: string, pool: ConnectionPool = this.pool): Promise<Connection> {
    const cacheKey = `${type}:${key}`;
    const known = this.#coordinators.get(cacheKey);
    if (known !== undefined) return pool.get(known);
    const deadline = Date.now() + TRANSIENT_WAIT_MS;
    for (;;) {
      try {
        const res = await findCoordinatorV4.api.async(await this.bootstrapConnection(), type, [key]);
        const c = res.coordinators[0];
        if (c === undefined || c.errorCode !== 0) throw transportError(TransportErrorCode.NOT_CONNECTED, `no coordinator for '${key}' yet`, { retriable: true });
        const broker = { host: c.host, port: c.port };
        this.#coordinators.set(cacheKey, broker);
        return pool.get(broker);
      } catch (e) {
        const transient = hasKafkaError(e, ...TRANSIENT_ERRORS) || (e as { retriable?: boolean }).retriable === true;
        if (!transient || Date.now() >= deadline) throw e;
        await sleep(200);
      }
    }
  }

  forgetCoordinator(type: number, key: string): void {
    this.#coordinators.delete(`${type}:${key}`);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.admin.close(), this.pool.close()]);
  }
}

/**
 * Runs `call` against a coordinator, finding it again after NOT_COORDINATOR and
 * waiting out loading and unavailability (bounded).
 */
export async function withCoordinator<T>(
  cluster: PlatformaticCluster,
  type: number,
  key: string,
  call: (c: Connection) => Promise<T>,
  pool: ConnectionPool = cluster.pool,
): Promise<T> {
  const deadline = Date.now() + TRANSIENT_WAIT_MS;
  for (;;) {
    try {
      return await call(await cluster.coordinator(type, key, pool));
    } catch (e) {
      const transient = hasKafkaError(e, ...TRANSIENT_ERRORS) || (e as { code?: string }).code === 'PLT_KFK_NETWORK';
      if (!transient || Date.now() >= deadline) throw e;
      cluster.forgetCoordinator(type, key);
      await sleep(100);
    }
  }
}
