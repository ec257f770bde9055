/**
 * What the child-process runners of the crash tests share: report a JSON status
 * line on every state change and every 100 ms, and close and exit 0 on a
 * `close` line on stdin. The parent kills the process group for a crash.
 */
import { createInterface } from 'node:readline';
import type { KafkaStreams } from '../../src/runtime/kafka-streams.js';

export async function runAsChild(app: KafkaStreams, status: () => object): Promise<void> {
  const report = () => process.stdout.write(`${JSON.stringify(status())}\n`);
  app.onStateChange(report);
  const timer = setInterval(report, 100);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'close') return;
    void app.close().then(() => {
      clearInterval(timer);
      report();
      process.exit(0);
    });
  });
  await app.start();
  report();
}
