package dev.rivulet.peers;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Window statistics, Welford's online algorithm: count, sum, min, max, mean, M2. */
final class Stats {
  double count;
  double sum;
  double min = Double.POSITIVE_INFINITY;
  double max = Double.NEGATIVE_INFINITY;
  double mean;
  double m2;

  Stats add(double x) {
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
    double d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
    return this;
  }

  /** Sample variance (n - 1); NaN below two records. */
  double variance() {
    return count < 2 ? Double.NaN : m2 / (count - 1);
  }

  double stddev() {
    return Math.sqrt(variance());
  }

  /** z-score of x against these statistics, sample stddev; 0 below two records or with zero spread. */
  double zScore(double x) {
    if (count < 2) return 0;
    double sd = stddev();
    return sd == 0 || Double.isNaN(sd) ? 0 : (x - mean) / sd;
  }

  /** Fixed 48 bytes: six big-endian doubles. */
  static final class StatsSerde implements Serde<Stats>, Serializer<Stats>, Deserializer<Stats> {
    @Override
    public byte[] serialize(String topic, Stats s) {
      if (s == null) return null;
      return ByteBuffer.allocate(48).putDouble(s.count).putDouble(s.sum).putDouble(s.min).putDouble(s.max).putDouble(s.mean).putDouble(s.m2).array();
    }

    @Override
    public Stats deserialize(String topic, byte[] data) {
      if (data == null) return null;
      ByteBuffer b = ByteBuffer.wrap(data);
      Stats s = new Stats();
      s.count = b.getDouble();
      s.sum = b.getDouble();
      s.min = b.getDouble();
      s.max = b.getDouble();
      s.mean = b.getDouble();
      s.m2 = b.getDouble();
      return s;
    }

    @Override
    public Serializer<Stats> serializer() {
      return this;
    }

    @Override
    public Deserializer<Stats> deserializer() {
      return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
  }
}
