package dev.rivulet.peers;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * java-consumer broker mode: a bare KafkaConsumer that JSON-parses every value
 * and keeps its latency (now − the reading's {@code timestamp}); on SIGTERM it
 * commits, closes and prints {@code {"event":"latency",...}} over the records of
 * the last 60 s of wall-clock time.
 */
final class ConsumerRunner {
  private ConsumerRunner() {}

  static final long WINDOW_MS = 60_000;

  /** (timestamp, latency) pairs, growable. */
  private static long[] stamps = new long[1 << 16];
  private static long[] latencies = new long[1 << 16];
  private static int n;

  private static void add(long ts, long latency) {
    if (n == stamps.length) {
      stamps = Arrays.copyOf(stamps, n * 2);
      latencies = Arrays.copyOf(latencies, n * 2);
    }
    stamps[n] = ts;
    latencies[n] = latency;
    n++;
  }

  static void run(Args args) throws Exception {
    String input = args.opt("input");
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args.opt("brokers"));
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args.opt("app-id"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
    p.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);

    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p);
    CountDownLatch done = new CountDownLatch(1);
    final boolean[] failing = {false};
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      boolean closed = false;
      try {
        closed = done.await(90, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException ignored) {
        // exiting anyway
      }
      if (failing[0]) return;
      if (!closed) {
        System.err.println("java-consumer: no clean close within 90 s of SIGTERM");
        System.err.flush();
        Runtime.getRuntime().halt(1);
      }
      System.out.flush();
      Runtime.getRuntime().halt(0); // SIGTERM: a clean close is a success (the JVM would exit 143)
    }, "peers-shutdown"));

    final boolean[] running = {false};
    long invalid = 0;
    try {
      consumer.subscribe(List.of(input), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          if (!running[0] && !partitions.isEmpty()) {
            running[0] = true;
            System.out.println("{\"event\":\"running\"}");
            System.out.flush();
          }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
      });
      try {
        while (true) {
          ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
          for (ConsumerRecord<String, String> r : records) {
            long now = System.currentTimeMillis();
            long ts = Long.MIN_VALUE;
            try {
              JsonNode v = Reading.JSON.readTree(r.value());
              JsonNode t = v == null ? null : v.get("timestamp");
              if (t != null && t.isTextual()) ts = Reading.parseIso(t.asText());
            } catch (Exception e) {
              // not JSON: counted below
            }
            if (ts == Long.MIN_VALUE) invalid++;
            else add(ts, now - ts);
          }
        }
      } catch (WakeupException stop) {
        // SIGTERM
      }
      consumer.commitSync();
      consumer.close();
    } catch (Throwable e) {
      failing[0] = true;
      done.countDown();
      throw e;
    }

    long since = System.currentTimeMillis() - WINDOW_MS;
    long[] recent = new long[n];
    int m = 0;
    for (int i = 0; i < n; i++) if (stamps[i] >= since) recent[m++] = latencies[i];
    Arrays.sort(recent, 0, m);
    System.err.println("java-consumer: " + n + " records, " + invalid + " without a parsable timestamp");
    System.out.println("{\"event\":\"latency\",\"p50Ms\":" + pct(recent, m, 0.50) + ",\"p99Ms\":" + pct(recent, m, 0.99) + ",\"samples\":" + m + "}");
    System.out.flush();
    done.countDown();
    // The shutdown hook halts with status 0 once it sees done.
    Thread.sleep(Long.MAX_VALUE);
  }

  /** Nearest-rank percentile of sorted[0..m); "null" without samples. */
  static String pct(long[] sorted, int m, double q) {
    if (m == 0) return "null";
    int i = (int) Math.ceil(q * m) - 1;
    return String.format(Locale.ROOT, "%d", sorted[Math.max(0, Math.min(m - 1, i))]);
  }
}
