import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import type { Logger } from '../../src/runtime/streams-config.js';
import type { EmbeddedBroker } from '../../src/transport/embedded/embedded-broker.js';
import type { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import type { ConsumerOptions, GroupConsumer, Producer, ProducerOptions, Transport } from '../../src/transport/transport.js';
import type { CrashableInstance, CrashEnvironment, CrashMode, LaunchOptions } from './crash-scenarios.js';
import { crashTopology } from './crash-topology.js';

class ProcessDied extends Error {}

/**
 * An embedded transport whose instance can die at an exact point of a
 * commit: `after-send` makes the next `send` append its records (outputs and
 * changelog, inside the open transaction under exactly-once) and then kills the
 * transport (`abandon()`: no abort, no leave); `after-offsets` dies right
 * after the offsets are handed over (`sendOffsets` inside the open transaction
 * under exactly-once, the consumer's `commit` under at-least-once).
 */
class CrashPointTransport {
  private armed: { mode: CrashMode; died: () => void } | undefined;
  readonly transport: Transport;

  constructor(private readonly inner: EmbeddedTransport) {
    const self = this;
    this.transport = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'producer') return (o?: ProducerOptions) => self.producer(o);
        if (prop === 'consumer') return (o: ConsumerOptions) => self.consumer(o);
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  private async point(mode: CrashMode): Promise<void> {
    const a = this.armed;
    if (a === undefined || a.mode !== mode) return;
    this.kill();
    throw new ProcessDied(`instance died (${mode})`);
  }

  /** At-least-once commits offsets through the consumer: `after-offsets` dies right after that commit. */
  private async consumer(options: ConsumerOptions): Promise<GroupConsumer> {
    const c = await this.inner.consumer(options);
    const point = (mode: CrashMode) => this.point(mode);
    return new Proxy(c, {
      get(target, prop, receiver) {
        if (prop === 'commit') {
          return async (...a: Parameters<GroupConsumer['commit']>) => {
            await target.commit(...a);
            await point('after-offsets');
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  private async producer(options?: ProducerOptions): Promise<Producer> {
    const p = await this.inner.producer(options);
    const point = (mode: CrashMode) => this.point(mode);
    return new Proxy(p, {
      get(target, prop, receiver) {
        if (prop === 'send') {
          return async (records: Parameters<Producer['send']>[0]) => {
            const md = await target.send(records);
            await point('after-send');
            return md;
          };
        }
        if (prop === 'sendOffsets') {
          return async (...a: Parameters<Producer['sendOffsets']>) => {
            await target.sendOffsets(...a);
            await point('after-offsets');
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  kill(): void {
    const a = this.armed;
    this.armed = undefined;
    this.inner.abandon();
    a?.died();
  }

  /** Dies at the next such point; if none comes within `timeoutMs`, dies wherever it is. Returns where it died. */
  async crashAt(mode: CrashMode, timeoutMs: number): Promise<string> {
    if (mode === 'now') {
      this.kill();
      return mode;
    }
    return await new Promise<string>((resolve) => {
      let where: string = mode;
      const timer = setTimeout(() => {
        where = `now (${mode} not reached in ${timeoutMs} ms)`;
        this.kill();
      }, timeoutMs);
      this.armed = {
        mode,
        died: () => {
          clearTimeout(timer);
          resolve(where);
        },
      };
    });
  }
}

function quietAfterCrash(name: string, crashed: () => boolean): Logger {
  const out = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (!crashed()) process.stderr.write(`${JSON.stringify({ level, instance: name, message, ...fields })}\n`);
  };
  return { debug: () => undefined, info: () => undefined, warn: out('warn'), error: out('error') };
}

/** Crash scenarios on an embedded broker: each instance has its own transport, killed with `abandon()`. */
export function embeddedCrashEnvironment(broker: EmbeddedBroker, opts: { records: number; sessionTimeoutMs: number; transactionTimeoutMs: number }): CrashEnvironment {
  let seq = 0;
  return {
    admin: async () => {
      const t = broker.transport();
      await t.connect();
      return t;
    },
    instanceOptions: () => ({ embeddedBroker: broker }),
    waitMs: 20_000,
    crashModes: ['after-send', 'now', 'after-offsets'],
    records: opts.records,
    scenarioTimeoutMs: 120_000,
    // The dead instance's LevelDB stays locked inside this process, so replacements get a new directory.
    reuseStateDir: false,
    async launch(o: LaunchOptions): Promise<CrashableInstance> {
      const name = `instance-${++seq}`;
      const crashTransport = new CrashPointTransport(broker.transport({ clientId: name }));
      let crashed = false;
      const app = new KafkaStreams(crashTopology(o.topics), {
        applicationId: o.applicationId,
        processingGuarantee: o.processingGuarantee,
        stateDir: o.stateDir,
        commitIntervalMs: o.commitIntervalMs,
        sessionTimeoutMs: opts.sessionTimeoutMs,
        transactionTimeoutMs: opts.transactionTimeoutMs,
        transport: crashTransport.transport,
        logger: quietAfterCrash(name, () => crashed),
      });
      await app.start();
      return {
        name,
        state: () => app.state(),
        tasks: () => app.metrics().tasks,
        async crash(mode) {
          crashed = true;
          return await crashTransport.crashAt(mode, 5_000);
          // Dropped without close(): the instance is gone as a killed process would be.
        },
        async close() {
          if (!crashed) await app.close();
        },
      };
    },
  };
}
