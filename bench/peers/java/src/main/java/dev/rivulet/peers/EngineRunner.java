package dev.rivulet.peers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Engine mode: the workload's topology in Kafka Streams' TopologyTestDriver,
 * Kafka Streams defaults (record caches at their default size) except the
 * stores: in-memory unless {@code --stores rocksdb} (see {@link #stores}).
 */
final class EngineRunner {
  private EngineRunner() {}

  static final long T_FLUSH_OFFSET = 86_400_000L;
  static final Duration GRACE = Duration.ofSeconds(2);
  /** Output records are read (and counted) every this many inputs, so the driver's output queue stays small. */
  static final int DRAIN_EVERY = 10_000;

  /** One input line as strings (topic index for the join), timestamp parsed. */
  static final class Input {
    final int n;
    final String[] keys;
    final String[] values;
    final long[] timestamps;
    final byte[] topics; // join: 0 impressions, 1 clicks
    long maxTimestamp = Long.MIN_VALUE;

    Input(int n, boolean join) {
      this.n = n;
      keys = new String[n];
      values = new String[n];
      timestamps = new long[n];
      topics = join ? new byte[n] : null;
    }
  }

  static void run(Args args) throws Exception {
    String workload = args.workload();
    Path dir = Path.of(args.opt("data"));
    boolean verify = args.flag("verify");
    String file = switch (workload) {
      case "wordcount" -> "wordcount.txt";
      case "join" -> "join.csv";
      default -> workload + ".csv";
    };
    Input in = read(dir.resolve(file), workload);

    String stores = stores(args);
    Path stateDir = Files.createTempDirectory("peers-kstreams-engine-");
    // A runner stopped by a signal still removes its state dir.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(stateDir), "peers-cleanup"));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "peers-" + workload.toLowerCase(Locale.ROOT));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    if (stores.equals("memory")) props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);

    Topology topology = topology(workload);
    long outputs = 0;
    long rssBytes = -1;
    long heapBytes = -1;
    double seconds;
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
      StringSerializer ss = new StringSerializer();
      TestInputTopic<String, String> input;
      TestInputTopic<String, String> clicks = null;
      if (workload.equals("join")) {
        input = driver.createInputTopic("impressions", ss, ss);
        clicks = driver.createInputTopic("clicks", ss, ss);
      } else {
        input = driver.createInputTopic("input", ss, ss);
      }
      ByteArrayDeserializer bd = new ByteArrayDeserializer();
      TestOutputTopic<byte[], byte[]> output = driver.createOutputTopic("output", bd, bd);

      long rssBefore = 0;
      long heapBefore = 0;
      boolean memory = workload.equals("memory");
      if (memory) {
        System.gc();
        rssBefore = Rss.read().rss;
        heapBefore = heapUsed();
        Rss.resetPeak();
      }

      long t0 = System.nanoTime();
      for (int i = 0; i < in.n; i++) {
        TestInputTopic<String, String> t = clicks != null && in.topics[i] == 1 ? clicks : input;
        t.pipeInput(in.keys[i], in.values[i], in.timestamps[i]);
        if ((i + 1) % DRAIN_EVERY == 0) outputs += output.readRecordsToList().size();
      }
      long paused = 0;
      if (memory) {
        // The state now holds one open accumulator per key: measure before the flush
        // record closes them (the GC and the reading are not timed).
        outputs += output.readRecordsToList().size();
        // VmRSS after a full GC, not VmHWM: the JVM's peak is mostly garbage the
        // heap policy had not collected yet, not state.
        long p0 = System.nanoTime();
        Rss peak = Rss.read();
        System.gc();
        Rss r = Rss.read();
        rssBytes = r.rss - rssBefore;
        heapBytes = heapUsed() - heapBefore;
        System.err.printf(Locale.ROOT, "memory: RSS before %d MB, after processing %d MB (peak %d MB since the first record), after GC %d MB; Java heap used after GC %d MB more than before%n",
            rssBefore >> 20, peak.rss >> 20, peak.hwm >> 20, r.rss >> 20, heapBytes >> 20);
        paused = System.nanoTime() - p0;
      }
      long flushTs = in.maxTimestamp + T_FLUSH_OFFSET;
      String flushValue = workload.equals("wordcount") ? "" : "0";
      input.pipeInput("flush", flushValue, flushTs);
      if (clicks != null) clicks.pipeInput("flush", flushValue, flushTs);
      outputs += output.readRecordsToList().size();
      seconds = (System.nanoTime() - t0 - paused) / 1e9;
    } finally {
      deleteTree(stateDir);
    }

    if (verify) Verify.check(workload, in, outputs);

    StringBuilder json = new StringBuilder();
    json.append("{\"workload\":\"").append(workload).append("\",\"system\":\"kafka-streams\"")
        .append(",\"recordsPerSec\":").append(Math.round(in.n / seconds))
        .append(",\"records\":").append(in.n)
        .append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", seconds))
        .append(",\"outputs\":").append(outputs)
        .append(",\"stores\":\"").append(stores.equals("memory") ? "in-memory" : "rocksdb").append('"');
    if (rssBytes >= 0) {
      json.append(",\"rssBytes\":").append(Math.round(rssBytes * 1e6 / in.n));
      // Live Java heap growth (after a full GC), same scaling: the state's own footprint,
      // without the JVM's heap sizing policy (RSS rarely shrinks after a GC).
      json.append(",\"heapBytes\":").append(Math.round(heapBytes * 1e6 / in.n));
    }
    json.append('}');
    System.out.println(json);
  }

  static long heapUsed() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /**
   * {@code --stores memory|rocksdb} or PEERS_KSTREAMS_STORES; default memory.
   *
   * <p>Why not RocksDB, Kafka Streams' default: TopologyTestDriver commits after
   * every piped record with an enforced checkpoint ({@code task.postCommit(true)}),
   * which flushes every persistent store, i.e. one RocksDB memtable flush (an SST
   * file) per record. That measures the test driver's per-record flush (about 50
   * records/s here), not Kafka Streams, which flushes once per commit interval.
   * In-memory DSL stores (BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers) keep
   * the rest of the defaults, record caches included. The result line says which.
   */
  static String stores(Args args) {
    String v = args.optional("stores");
    if (v == null) v = System.getenv("PEERS_KSTREAMS_STORES");
    if (v == null || v.isEmpty()) v = "memory";
    if (!v.equals("rocksdb") && !v.equals("memory")) throw new UsageException("--stores must be rocksdb or memory (got " + v + ")");
    return v;
  }

  static Topology topology(String workload) {
    return topology(workload, "input", "clicks", "output");
  }

  /**
   * The workload's topology on the given topics: {@code input} is the join's
   * impressions topic; {@code clicks} is used by the join only.
   */
  static Topology topology(String workload, String input, String clicksTopic, String output) {
    StreamsBuilder b = new StreamsBuilder();
    Serde<String> s = Serdes.String();
    switch (workload) {
      case "W1", "memory" -> windowedStats(b, TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), GRACE), 10_000L, input, output);
      case "W2" -> windowedStats(b, TimeWindows.ofSizeAndGrace(Duration.ofSeconds(60), GRACE).advanceBy(Duration.ofSeconds(1)), 60_000L, input, output);
      case "wordcount" -> b.stream(input, Consumed.with(s, s))
          .flatMapValues(line -> Arrays.asList(line.split(" ")))
          .groupBy((k, word) -> word, Grouped.with(s, s))
          .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("word-counts").withKeySerde(s).withValueSerde(Serdes.Long()))
          .toStream()
          .to(output, Produced.with(s, Serdes.Long()));
      case "join" -> {
        KStream<String, String> imps = b.stream(input.equals("input") ? "impressions" : input, Consumed.with(s, s));
        KStream<String, String> clks = b.stream(clicksTopic, Consumed.with(s, s));
        imps.join(clks, (imp, clk) -> imp + "/" + clk,
                JoinWindows.ofTimeDifferenceAndGrace(Duration.ofSeconds(10), GRACE),
                StreamJoined.with(s, s, s))
            .to(output, Produced.with(s, s));
      }
      default -> throw new UsageException("unknown workload " + workload);
    }
    return b.build();
  }

  private static void windowedStats(StreamsBuilder b, TimeWindows windows, long sizeMs, String input, String output) {
    Serde<String> s = Serdes.String();
    Stats.StatsSerde stats = new Stats.StatsSerde();
    b.stream(input, Consumed.with(s, s))
        .groupByKey(Grouped.with(s, s))
        .windowedBy(windows)
        .aggregate(Stats::new, (k, v, acc) -> acc.add(Double.parseDouble(v)),
            Materialized.<String, Stats, WindowStore<Bytes, byte[]>>as("stats").withKeySerde(s).withValueSerde(stats))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .to(output, Produced.with(WindowedSerdes.timeWindowedSerdeFrom(String.class, sizeMs), stats));
  }

  static Input read(Path file, String workload) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) if (!l.isEmpty()) lines.add(l);
    boolean join = workload.equals("join");
    Input in = new Input(lines.size(), join);
    for (int i = 0; i < in.n; i++) {
      String l = lines.get(i);
      long ts;
      if (workload.equals("wordcount")) {
        int c = l.indexOf(',');
        ts = Long.parseLong(l.substring(0, c));
        in.keys[i] = null;
        in.values[i] = l.substring(c + 1);
      } else {
        int off = 0;
        if (join) {
          char side = l.charAt(0);
          if ((side != 'i' && side != 'c') || l.charAt(1) != ',') throw new IOException(file + ":" + (i + 1) + ": side must be i or c");
          in.topics[i] = (byte) (side == 'c' ? 1 : 0);
          off = 2;
        }
        int c1 = l.indexOf(',', off);
        int c2 = l.indexOf(',', c1 + 1);
        if (c1 < 0 || c2 < 0) throw new IOException(file + ":" + (i + 1) + ": expected key,timestampMs,value");
        in.keys[i] = l.substring(off, c1);
        ts = Long.parseLong(l.substring(c1 + 1, c2));
        in.values[i] = l.substring(c2 + 1);
      }
      in.timestamps[i] = ts;
      if (ts > in.maxTimestamp) in.maxTimestamp = ts;
    }
    if (in.n == 0) throw new IOException(file + " has no records");
    return in;
  }

  static void deleteTree(Path p) {
    try (Stream<Path> w = Files.walk(p)) {
      w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp dir
    }
  }
}
