package dev.rivulet.peers;

import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size from /proc/self/status (VmRSS, VmHWM), bytes. */
final class Rss {
  final long rss;
  final long hwm;

  private Rss(long rss, long hwm) {
    this.rss = rss;
    this.hwm = hwm;
  }

  static Rss read() {
    try {
      long rss = -1, hwm = -1;
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) rss = kb(l);
        else if (l.startsWith("VmHWM:")) hwm = kb(l);
      }
      if (rss >= 0 && hwm >= 0) return new Rss(rss, hwm);
    } catch (Exception ignored) {
      // not Linux: fall through
    }
    Runtime r = Runtime.getRuntime();
    long used = r.totalMemory() - r.freeMemory();
    return new Rss(used, used);
  }

  /** Resets VmHWM to the current RSS (Linux >= 4.0; best effort), so the next peak is this run's. */
  static void resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (Exception ignored) {
      // not permitted or not Linux: VmHWM stays the process-lifetime peak
    }
  }

  private static long kb(String line) {
    String[] parts = line.trim().split("\\s+");
    return Long.parseLong(parts[1]) * 1024;
  }
}
