package dev.rivulet.peers;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;

/**
 * {@code --verify}: recomputes the expected output count of a workload from its
 * input with Kafka Streams' rules, independently of the topology, and compares.
 * Prints one line on stderr; exits 3 on a mismatch.
 */
final class Verify {
  private Verify() {}

  static void check(String workload, EngineRunner.Input in, long outputs) {
    switch (workload) {
      case "W1", "memory" -> windows(workload, in, outputs, 10_000, 10_000);
      case "W2" -> windows(workload, in, outputs, 60_000, 1_000);
      case "wordcount" -> wordcount(in, outputs);
      case "join" -> join(in, outputs);
      default -> { }
    }
  }

  /**
   * Final window results: one per distinct (key, window) that accepted a record.
   * A record is late for a window when windowEnd <= streamTime - grace, stream
   * time including the record itself (KStreamWindowAggregate). The flush
   * record's own window never closes, so it is not counted.
   */
  private static void windows(String workload, EngineRunner.Input in, long outputs, long size, long advance) {
    long grace = EngineRunner.GRACE.toMillis();
    long streamTime = Long.MIN_VALUE;
    Set<String> seen = new HashSet<>();
    long lateWindows = 0, lateRecords = 0;
    for (int i = 0; i < in.n; i++) {
      long ts = in.timestamps[i];
      streamTime = Math.max(streamTime, ts);
      long closeTime = streamTime - grace;
      long first = Math.max(0, Math.floorDiv(ts - size, advance) * advance + advance);
      boolean any = false;
      for (long s = first; s <= ts; s += advance) {
        if (s + size <= closeTime) {
          lateWindows++;
          continue;
        }
        any = true;
        seen.add(in.keys[i] + "@" + s);
      }
      if (!any) lateRecords++;
    }
    report(workload, seen.size(), outputs, "distinct (key, window) pairs accepted; " + lateRecords + " records late for every window, " + lateWindows + " (record, window) drops");
  }

  /** Counts with caching: at least one update per distinct word, at most one per word occurrence. */
  private static void wordcount(EngineRunner.Input in, long outputs) {
    Set<String> words = new HashSet<>();
    long occurrences = 0;
    for (int i = 0; i < in.n; i++) {
      for (String w : in.values[i].split(" ")) {
        words.add(w);
        occurrences++;
      }
    }
    // The flush line "" is one more word (the empty one).
    words.add("");
    occurrences++;
    boolean ok = outputs >= words.size() && outputs <= occurrences;
    System.err.println("verify wordcount: outputs " + outputs + ", distinct words " + words.size() + ", word occurrences " + occurrences + (ok ? " (in range)" : " (OUT OF RANGE)"));
    if (!ok) System.exit(3);
  }

  /**
   * Inner join pairs with |ti - tc| <= 10 s, the later record not late (its
   * timestamp >= streamTime - 10 s - grace for the other side's window), plus
   * the two flush records joining each other.
   */
  private static void join(EngineRunner.Input in, long outputs) {
    long before = 10_000, grace = EngineRunner.GRACE.toMillis();
    Map<String, List<long[]>> imps = new HashMap<>(), clks = new HashMap<>();
    long streamTime = Long.MIN_VALUE;
    long pairs = 0;
    for (int i = 0; i < in.n; i++) {
      long ts = in.timestamps[i];
      streamTime = Math.max(streamTime, ts);
      boolean click = in.topics[i] == 1;
      // Kafka Streams skips a record too late for the join window of its own side.
      if (ts < streamTime - before - grace) continue;
      Map<String, List<long[]>> other = click ? imps : clks;
      for (long[] o : other.getOrDefault(in.keys[i], List.of())) if (Math.abs(o[0] - ts) <= before) pairs++;
      (click ? clks : imps).computeIfAbsent(in.keys[i], k -> new ArrayList<>()).add(new long[] {ts});
    }
    pairs++; // flush ⨝ flush
    report("join", pairs, outputs, "pairs within 10 s (incl. flush ⨝ flush)");
  }

  private static void report(String workload, long expected, long outputs, String what) {
    boolean ok = expected == outputs;
    System.err.println("verify " + workload + ": outputs " + outputs + ", expected " + expected + " " + what + (ok ? " (match)" : " (MISMATCH)"));
    if (!ok) System.exit(3);
  }
}
