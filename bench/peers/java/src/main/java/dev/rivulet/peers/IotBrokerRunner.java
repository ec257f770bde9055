package dev.rivulet.peers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Broker mode: the IoT topology of examples/iot-anomaly/topology.ts in a real
 * KafkaStreams instance (one thread, at-least-once or with --guarantee
 * exactly_once exactly_once_v2, commit interval 1 s under both, RocksDB
 * stores), until SIGTERM.
 */
final class IotBrokerRunner {
  private IotBrokerRunner() {}

  static final Duration GRACE = Duration.ofSeconds(5);
  static final long HOP_SIZE_MS = 30_000, HOP_ADVANCE_MS = 10_000;
  static final double THRESHOLD = 2;
  static final String ZSCORE_STORE = "device-anomaly-zscore";

  static Topology topology(String input, String windowed, String alerts, String status) {
    StreamsBuilder b = new StreamsBuilder();
    Serde<String> s = Serdes.String();
    Reading.ReadingSerde rs = new Reading.ReadingSerde();
    Stats.StatsSerde ss = new Stats.StatsSerde();

    KStream<String, Reading> readings = b.stream(input, Consumed.with(s, rs).withTimestampExtractor(new Reading.Timestamp()));
    KGroupedStream<String, Reading> byDevice = readings.groupByKey(Grouped.with(s, rs));

    windowStats(byDevice, TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), GRACE), "device-stats-tumbling-10s", "tumbling 10s", windowed);
    windowStats(byDevice, TimeWindows.ofSizeAndGrace(Duration.ofMillis(HOP_SIZE_MS), GRACE).advanceBy(Duration.ofMillis(HOP_ADVANCE_MS)),
        "device-stats-hopping-30s", "hopping 30s/10s", windowed);

    b.addStateStore(Stores.windowStoreBuilder(
        Stores.persistentWindowStore(ZSCORE_STORE, Duration.ofMillis(HOP_SIZE_MS).plus(GRACE), Duration.ofMillis(HOP_SIZE_MS), false), s, ss));
    readings.process(ZScore::new, ZSCORE_STORE).to(alerts, Produced.with(s, s));

    readings.groupBy((k, r) -> r.status, Grouped.with("status", s, rs))
        .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("status-counts").withKeySerde(s).withValueSerde(Serdes.Long()))
        .toStream()
        .mapValues(String::valueOf)
        .to(status, Produced.with(s, s));
    return b.build();
  }

  private static void windowStats(KGroupedStream<String, Reading> byDevice, TimeWindows windows, String store, String label, String topic) {
    Serde<String> s = Serdes.String();
    byDevice.windowedBy(windows)
        .aggregate(Stats::new, (k, r, acc) -> acc.add(r.value),
            Materialized.<String, Stats, WindowStore<Bytes, byte[]>>as(store).withKeySerde(s).withValueSerde(new Stats.StatsSerde()))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((Windowed<String> w, Stats st) -> KeyValue.pair(w.key(), row(label, w, st)))
        .to(topic, Produced.with(s, s));
  }

  /** One row of the windowed results topic, as the TS topology's row(). */
  static String row(String label, Windowed<String> w, Stats st) {
    ObjectNode o = Reading.JSON.createObjectNode();
    o.put("device_id", w.key());
    o.put("window", label);
    o.put("window_start", Reading.iso(w.window().start()));
    o.put("window_end", Reading.iso(w.window().end()));
    o.put("count", (long) st.count);
    Reading.putNumber(o, "avg", st.mean);
    Reading.putNumber(o, "min", st.min);
    Reading.putNumber(o, "max", st.max);
    double sd = st.stddev();
    if (Double.isNaN(sd)) o.putNull("stddev");
    else Reading.putNumber(o, "stddev", sd);
    return o.toString();
  }

  /**
   * z-score alerts: each reading updates the statistics of every open hopping
   * 30 s / 10 s window containing it (a window store keyed by device and window
   * start); its z-score is taken against the newest of them, the reading
   * included; |z| > 2 emits an alert. A reading whose newest window is closed
   * (stream time past its end + grace) is late and dropped.
   */
  static final class ZScore implements Processor<String, Reading, String, String> {
    private ProcessorContext<String, String> ctx;
    private WindowStore<String, Stats> store;
    private long observed = Long.MIN_VALUE;

    @Override
    public void init(ProcessorContext<String, String> context) {
      ctx = context;
      store = context.getStateStore(ZSCORE_STORE);
    }

    @Override
    public void process(Record<String, Reading> rec) {
      Reading r = rec.value();
      if (rec.key() == null || r == null) return;
      long t = rec.timestamp();
      observed = Math.max(observed, Math.max(ctx.currentStreamTimeMs(), t));
      long closeTime = observed - GRACE.toMillis();
      long newest = Math.floorDiv(t, HOP_ADVANCE_MS) * HOP_ADVANCE_MS;
      Stats z = null;
      for (long start = newest; start > t - HOP_SIZE_MS && start >= 0; start -= HOP_ADVANCE_MS) {
        if (start + HOP_SIZE_MS <= closeTime) continue; // closed
        Stats st = store.fetch(rec.key(), start);
        if (st == null) st = new Stats();
        st.add(r.value);
        store.put(rec.key(), st, start);
        if (start == newest) z = st;
      }
      if (z == null) return; // late
      double score = z.zScore(r.value);
      if (Math.abs(score) > THRESHOLD) {
        ObjectNode o = Reading.JSON.createObjectNode();
        o.put("device_id", rec.key());
        o.put("timestamp", r.timestamp);
        Reading.putNumber(o, "value", r.value);
        o.put("z_score", score);
        o.put("status", r.status);
        ctx.forward(new Record<>(rec.key(), o.toString(), t));
      }
    }
  }

  static void run(Args args) throws Exception {
    String brokers = args.opt("brokers");
    String input = args.opt("input"), windowed = args.opt("windowed"), alerts = args.opt("alerts"), status = args.opt("status");
    String appId = args.opt("app-id");
    String guarantee = args.optional("guarantee") == null ? "at_least_once" : args.opt("guarantee");
    if (!guarantee.equals("at_least_once") && !guarantee.equals("exactly_once")) throw new UsageException("--guarantee must be at_least_once or exactly_once (got " + guarantee + ")");
    Path stateDir = Files.createTempDirectory("peers-kstreams-broker-");

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee.equals("exactly_once") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    // The same commit interval as rivulet under both guarantees (Kafka Streams' EOS default is 100 ms).
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    KafkaStreams streams = new KafkaStreams(topology(input, windowed, alerts, status), p);
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
    Thread hook = new Thread(() -> {
      boolean closed = streams.close(Duration.ofSeconds(60));
      EngineRunner.deleteTree(stateDir);
      if (failing[0]) return;
      if (!closed) {
        System.err.println("kafka-streams broker: no clean close within 60 s of SIGTERM (state " + streams.state() + ")");
        System.err.flush();
        Runtime.getRuntime().halt(1);
      }
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(0); // SIGTERM: a clean close is a success (the JVM would exit 143)
    }, "peers-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    streams.start();
    boolean running = false;
    while (true) {
      if (failed.await(running ? 1000 : 50, java.util.concurrent.TimeUnit.MILLISECONDS)) break;
      if (!running && streams.state() == KafkaStreams.State.RUNNING
          && streams.metadataForLocalThreads().stream().anyMatch(t -> !t.activeTasks().isEmpty())) {
        System.out.println("{\"event\":\"running\"}");
        System.out.flush();
        running = true;
      }
    }
    failing[0] = true;
    System.err.println("kafka-streams broker: the instance stopped (state " + streams.state() + ")"
        + (failure[0] != null ? ": " + failure[0] : ""));
    if (failure[0] != null) failure[0].printStackTrace();
    System.exit(1);
  }
}
