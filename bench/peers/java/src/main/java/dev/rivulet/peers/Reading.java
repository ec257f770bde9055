package dev.rivulet.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * A device reading {@code {"timestamp": ISO-8601, "value": number, "device_id", "status"}},
 * validated as examples/iot-anomaly/topology.ts's validateReading does.
 */
final class Reading {
  static final ObjectMapper JSON = new ObjectMapper();
  /** As JavaScript's Date.prototype.toISOString: always milliseconds, UTC. */
  static final DateTimeFormatter ISO_MS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  final String timestamp;
  final long timestampMs;
  final double value;
  final String deviceId;
  final String status;

  Reading(String timestamp, long timestampMs, double value, String deviceId, String status) {
    this.timestamp = timestamp;
    this.timestampMs = timestampMs;
    this.value = value;
    this.deviceId = deviceId;
    this.status = status;
  }

  /** The reading in {@code bytes}, or null when it is not a valid reading. */
  static Reading parse(byte[] bytes) {
    if (bytes == null) return null;
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject()) return null;
      JsonNode id = n.get("device_id"), v = n.get("value"), ts = n.get("timestamp"), st = n.get("status");
      if (id == null || !id.isTextual() || id.asText().isEmpty()) return null;
      if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) return null;
      if (ts == null || !ts.isTextual()) return null;
      long ms = parseIso(ts.asText());
      if (ms == Long.MIN_VALUE) return null;
      return new Reading(ts.asText(), ms, v.asDouble(), id.asText(), st != null && st.isTextual() ? st.asText() : "Unknown");
    } catch (Exception e) {
      return null;
    }
  }

  /** Epoch ms of an ISO-8601 instant ("...Z" or with an offset); Long.MIN_VALUE when unparsable. */
  static long parseIso(String s) {
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (Exception e) {
      try {
        return OffsetDateTime.parse(s).toInstant().toEpochMilli();
      } catch (Exception e2) {
        return Long.MIN_VALUE;
      }
    }
  }

  static String iso(long ms) {
    return ISO_MS.format(Instant.ofEpochMilli(ms));
  }

  /** A number as JSON.stringify writes it: integral values without ".0". */
  static void putNumber(ObjectNode o, String field, double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) o.put(field, (long) v);
    else o.put(field, v);
  }

  byte[] toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("timestamp", timestamp);
    putNumber(o, "value", value);
    o.put("device_id", deviceId);
    o.put("status", status);
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** JSON serde; invalid input deserializes to null (the extractor then drops the record). */
  static final class ReadingSerde implements Serde<Reading>, Serializer<Reading>, Deserializer<Reading> {
    @Override
    public byte[] serialize(String topic, Reading r) {
      return r == null ? null : r.toJson();
    }

    @Override
    public Reading deserialize(String topic, byte[] data) {
      return parse(data);
    }

    @Override
    public Serializer<Reading> serializer() {
      return this;
    }

    @Override
    public Deserializer<Reading> deserializer() {
      return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
  }

  /** Event time is the reading's own timestamp; an invalid reading gets -1, which Kafka Streams drops. */
  static final class Timestamp implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      return record.value() instanceof Reading r ? r.timestampMs : -1L;
    }
  }
}
