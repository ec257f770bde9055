package dev.rivulet.peers;

/**
 * Entry point of the Java peer runners (bench/peers/README.md):
 *
 * <pre>
 * java -jar peers.jar kafka-streams engine --workload W1|W2|wordcount|join|memory --data DIR [--verify]
 * java -jar peers.jar kafka-streams broker --brokers H:P --input T --windowed T --alerts T --status T --app-id ID [--guarantee at_least_once|exactly_once]
 * java -jar peers.jar kafka-streams broker-engine --workload W1|W2|wordcount|join --brokers H:P --inputs T[,T] --output T --app-id ID
 *     [--guarantee at_least_once|exactly_once] [--stores rocksdb|memory] [--warmup-output T] [--warmup-seconds S]
 * java -jar peers.jar java-consumer broker --brokers H:P --input T --app-id ID [...]
 * </pre>
 *
 * The result is one JSON line on stdout; a failure exits 1 with the reason on stderr.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) {
    try {
      Args args = Args.parse(argv);
      switch (args.system + " " + args.mode) {
        case "kafka-streams engine" -> EngineRunner.run(args);
        case "kafka-streams broker" -> IotBrokerRunner.run(args);
        case "kafka-streams broker-engine" -> BrokerEngineRunner.run(args);
        case "java-consumer broker" -> ConsumerRunner.run(args);
        case "java-consumer engine" -> throw new UsageException("java-consumer has no engine mode: it is a bare KafkaConsumer (broker mode only)");
        default -> throw new UsageException("unknown system " + args.system + " (kafka-streams or java-consumer)");
      }
    } catch (UsageException e) {
      System.err.println("peers: " + e.getMessage());
      System.err.println("usage: " + Args.USAGE);
      System.exit(2);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }
}
