import { createServer, type Server } from 'node:http';
import type { MetricsSource } from './instance-metrics.js';

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The instance's metrics in Prometheus' text exposition format: instance
 * totals, per-task counters labelled `task`, consumer lag per partition and
 * restore progress per store. Counters restart when tasks move (a rebalance),
 * which Prometheus' `rate()` treats as a reset.
 */
export async function prometheusText(app: MetricsSource): Promise<string> {
  const applicationId = app.config.applicationId;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly [Record<string, string>, number][]) => {
    lines.push(`# HELP rivulet_${name} ${help}`, `# TYPE rivulet_${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries({ application: applicationId, ...labels }).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
      lines.push(`rivulet_${name}{${l}} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  const m = app.metrics();
  const tasks = Object.entries(app.taskMetrics());
  metric('records_processed_total', 'counter', 'Records processed, per task.', tasks.map(([task, t]) => [{ task }, t.processed]));
  metric('records_produced_total', 'counter', 'Records written to sink and internal topics, per task.', tasks.map(([task, t]) => [{ task }, t.produced]));
  metric('records_dropped_total', 'counter', 'Records dropped, by reason.', Object.entries(m.dropped).map(([reason, n]) => [{ reason }, n]));
  metric('records_dead_lettered_total', 'counter', 'Records sent to the dead-letter topic.', [[{}, m.deadLettered]]);
  metric('kernel_seconds_total', 'counter', 'Time spent in the WASM kernel.', [[{}, m.kernelMs / 1000]]);
  metric('process_rate', 'gauge', 'Records processed per second since start.', [[{}, m.processRate]]);
  metric('commits_total', 'counter', 'Commits made.', [[{}, m.commits]]);
  metric('commit_latency_avg_seconds', 'gauge', 'Average commit duration.', [[{}, m.commitLatencyAvgMs / 1000]]);
  metric('commit_latency_max_seconds', 'gauge', 'Longest commit.', [[{}, m.commitLatencyMaxMs / 1000]]);
  metric('tasks', 'gauge', 'Tasks this instance runs.', [[{}, m.tasks]]);
  metric('consumer_lag', 'gauge', 'Records not yet read, per partition.', (await app.lag()).map((p) => [{ topic: p.topic, partition: String(p.partition) }, p.lag]));
  metric('restore_records', 'gauge', 'Records restored so far by the latest restore of each store.', m.restores.map((r) => [{ task: r.task, store: r.store }, r.restored]));
  metric('restore_records_total', 'gauge', 'Records the latest restore of each store had to load.', m.restores.map((r) => [{ task: r.task, store: r.store }, r.total]));
  return `${lines.join('\n')}\n`;
}

/**
 * Serves `prometheusText` at `/metrics` on 127.0.0.1 (or `host`); port 0 picks
 * a free port. Optional: services with their own HTTP server can call
 * `prometheusText` from a route instead.
 */
export async function serveMetrics(app: MetricsSource, options: { readonly port?: number; readonly host?: string } = {}): Promise<{ readonly port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found; metrics are at /metrics\n');
      return;
    }
    prometheusText(app).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      (e: unknown) => res.writeHead(500).end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
