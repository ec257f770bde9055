package dev.rivulet.peers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

/**
 * {@code kafka-streams broker-engine}: an engine workload's topology (the same
 * as {@link EngineRunner}'s) in a real KafkaStreams instance on topics the
 * orchestrator pre-loaded, configured as rivulet runs: one stream thread,
 * commit.interval.ms 1000 under both guarantees (Kafka Streams' defaults are
 * 30 000, and 100 with exactly-once), a 64 MB record cache for every store,
 * RocksDB stores (Kafka Streams' default) or in-memory ones ({@code --stores}).
 *
 * <p>Warm-up: before the measured instance starts, an instance with application
 * id {@code <app-id>-warmup} runs the same topology over the same input into
 * {@code --warmup-output} until its committed offsets reach the input's end (at
 * most {@code --warmup-seconds}, default 20), so the measured run sees JIT-compiled
 * code. Prints {@code {"event":"running"}} once the measured instance is RUNNING
 * with active tasks; runs until SIGTERM.
 */
final class BrokerEngineRunner {
  private BrokerEngineRunner() {}

  static final long CACHE_BYTES = 64L << 20;

  static void run(Args args) throws Exception {
    String workload = args.opt("workload");
    if (!List.of("W1", "W2", "wordcount", "join").contains(workload)) throw new UsageException("broker-engine: unknown workload " + workload + " (W1, W2, wordcount or join)");
    String brokers = args.opt("brokers");
    String[] inputs = args.opt("inputs").split(",");
    if (inputs.length != (workload.equals("join") ? 2 : 1)) throw new UsageException("broker-engine: --inputs must name " + (workload.equals("join") ? "impressions,clicks" : "one topic") + " for " + workload);
    String output = args.opt("output");
    String appId = args.opt("app-id");
    String guarantee = args.optional("guarantee") == null ? "at_least_once" : args.opt("guarantee");
    if (!guarantee.equals("at_least_once") && !guarantee.equals("exactly_once")) throw new UsageException("--guarantee must be at_least_once or exactly_once (got " + guarantee + ")");
    String stores = args.optional("stores") == null ? "rocksdb" : args.opt("stores");
    if (!stores.equals("rocksdb") && !stores.equals("memory")) throw new UsageException("--stores must be rocksdb or memory (got " + stores + ")");
    String warmupOutput = args.optional("warmup-output");
    int warmupSeconds = args.optional("warmup-seconds") == null ? 20 : Integer.parseInt(args.opt("warmup-seconds"));
    String clicks = inputs.length > 1 ? inputs[1] : "";

    if (warmupOutput != null && warmupSeconds > 0) {
      long t0 = System.nanoTime();
      boolean caughtUp = warmUp(workload, brokers, inputs, clicks, warmupOutput, appId + "-warmup", guarantee, stores, warmupSeconds);
      System.err.printf(Locale.ROOT, "kafka-streams broker-engine: warm-up %s in %.1f s%n", caughtUp ? "read the whole input" : "stopped at its time limit", (System.nanoTime() - t0) / 1e9);
    }

    Path stateDir = Files.createTempDirectory("peers-kstreams-bengine-");
    KafkaStreams streams = new KafkaStreams(EngineRunner.topology(workload, inputs[0], clicks, output), props(appId, brokers, guarantee, stores, stateDir));
    CountDownLatch failed = new CountDownLatch(1);
    final Throwable[] failure = new Throwable[1];
    streams.setUncaughtExceptionHandler(e -> {
      failure[0] = e;
      failed.countDown();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || (now == KafkaStreams.State.NOT_RUNNING && before != KafkaStreams.State.PENDING_SHUTDOWN)) failed.countDown();
    });
    final boolean[] failing = {false};
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      boolean closed = streams.close(Duration.ofSeconds(60));
      EngineRunner.deleteTree(stateDir);
      if (failing[0]) return;
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(closed ? 0 : 1); // SIGTERM: a clean close is a success (the JVM would exit 143)
    }, "peers-shutdown"));

    streams.start();
    boolean running = false;
    while (true) {
      if (failed.await(running ? 1000 : 20, TimeUnit.MILLISECONDS)) break;
      if (!running && streams.state() == KafkaStreams.State.RUNNING
          && streams.metadataForLocalThreads().stream().anyMatch(t -> !t.activeTasks().isEmpty())) {
        System.out.println("{\"event\":\"running\"}");
        System.out.flush();
        running = true;
      }
    }
    failing[0] = true;
    System.err.println("kafka-streams broker-engine: the instance stopped (state " + streams.state() + ")" + (failure[0] != null ? ": " + failure[0] : ""));
    if (failure[0] != null) failure[0].printStackTrace();
    System.exit(1);
  }

  static Properties props(String appId, String brokers, String guarantee, String stores, Path stateDir) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee.equals("exactly_once") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, CACHE_BYTES);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    if (stores.equals("memory")) p.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
    String extra = System.getenv("PEERS_KSTREAMS_PROPS");
    // Tunings tried by hand (bench/results/peers.md lists them): k=v;k=v overrides.
    if (extra != null) {
      for (String kv : extra.split(";")) {
        int i = kv.indexOf('=');
        if (i > 0) p.put(kv.substring(0, i).trim(), kv.substring(i + 1).trim());
      }
    }
    return p;
  }

  /** Runs a warm-up instance until its committed offsets reach the inputs' end or `seconds` pass; true if it caught up. */
  static boolean warmUp(String workload, String brokers, String[] inputs, String clicks, String output, String appId, String guarantee, String stores, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("peers-kstreams-warmup-");
    KafkaStreams streams = new KafkaStreams(EngineRunner.topology(workload, inputs[0], clicks, output), props(appId, brokers, guarantee, stores, dir));
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    boolean caughtUp = false;
    try (Admin admin = Admin.create(ap)) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (TopicDescription d : admin.describeTopics(List.of(inputs)).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
        d.partitions().forEach(pi -> latest.put(new TopicPartition(d.name(), pi.partition()), OffsetSpec.latest()));
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
      streams.start();
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < deadline && !caughtUp) {
        Thread.sleep(200);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        caughtUp = ends.entrySet().stream().allMatch(e -> {
          OffsetAndMetadata c = committed.get(e.getKey());
          return e.getValue() == 0 || (c != null && c.offset() >= e.getValue());
        });
      }
    } finally {
      streams.close(Duration.ofSeconds(60));
      EngineRunner.deleteTree(dir);
    }
    return caughtUp;
  }
}
