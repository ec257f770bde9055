package dev.rivulet.peers;

import java.util.List;

/** Command line of the runners: {@code SYSTEM engine|broker --name value ...}. */
final class Args {
  static final String USAGE = "kafka-streams|java-consumer engine --workload W1|W2|wordcount|join|memory --data DIR [--verify]"
      + " | kafka-streams|java-consumer broker --brokers HOST:PORT --input T --windowed T --alerts T --status T --app-id ID [--guarantee at_least_once|exactly_once]";
  static final List<String> WORKLOADS = List.of("W1", "W2", "wordcount", "join", "memory");

  final String system;
  final String mode;
  private final String[] argv;

  private Args(String system, String mode, String[] argv) {
    this.system = system;
    this.mode = mode;
    this.argv = argv;
  }

  static Args parse(String[] argv) {
    String[] a = java.util.Arrays.stream(argv).filter(s -> !s.equals("--")).toArray(String[]::new);
    if (a.length < 2) throw new UsageException("expected SYSTEM and MODE");
    if (!a[1].equals("engine") && !a[1].equals("broker") && !a[1].equals("broker-engine")) throw new UsageException("mode must be engine, broker or broker-engine (got " + a[1] + ")");
    return new Args(a[0], a[1], a);
  }

  /** The value of {@code --name}; throws when missing. */
  String opt(String name) {
    String v = optional(name);
    if (v == null) throw new UsageException("missing --" + name);
    return v;
  }

  String optional(String name) {
    for (int i = 2; i < argv.length; i++) {
      if (argv[i].equals("--" + name)) {
        if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) throw new UsageException("--" + name + " needs a value");
        return argv[i + 1];
      }
    }
    return null;
  }

  boolean flag(String name) {
    for (int i = 2; i < argv.length; i++) if (argv[i].equals("--" + name)) return true;
    return false;
  }

  String workload() {
    String w = opt("workload");
    if (!WORKLOADS.contains(w)) throw new UsageException("unknown workload " + w + " (one of " + String.join(", ", WORKLOADS) + ")");
    return w;
  }
}
