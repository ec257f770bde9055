// Waits until the broker at argv[2] answers a metadata request with itself as
// controller-backed broker, or fails after argv[3] ms. Exits 0 when ready, 1 otherwise.
// With argv[4] (a pid), gives up as soon as that process is gone.
import kafkajs from 'kafkajs';

const [broker, waitArg, pidArg] = process.argv.slice(2);
const deadline = Date.now() + Number(waitArg ?? 60_000);
const pid = pidArg === undefined ? undefined : Number(pidArg);
const alive = () => {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const kafka = new kafkajs.Kafka({
  clientId: 'rivulet-wait-ready',
  brokers: [broker],
  logLevel: kafkajs.logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
});

while (Date.now() < deadline) {
  if (!alive()) {
    console.error(`wait-ready: broker process ${pid} exited`);
    process.exit(1);
  }
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    // The broker must know a controller and list itself: metadata is being served.
    if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== undefined) {
      await admin.disconnect();
      process.exit(0);
    }
  } catch {
    // not up yet
  }
  await admin.disconnect().catch(() => {});
  await new Promise((r) => setTimeout(r, 250));
}
console.error(`wait-ready: ${broker} did not answer within ${waitArg} ms`);
process.exit(1);
