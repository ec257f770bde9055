/**
 * Turns values into bytes and back. rivulet calls `serialize` when writing to a
 * topic or store and `deserialize` when reading; a `null` payload (a Kafka
 * tombstone) never reaches a serde — it is passed through as `null`.
 *
 * Kafka Streams splits this into Serializer and Deserializer; one object with
 * both methods is simpler in TypeScript and is what every built-in returns.
 */
export interface Serde<T> {
  /** Shown in errors and `describe()`, e.g. `json`. */
  readonly name: string;
  serialize(value: T): Uint8Array;
  /** Throws {@link SerdeError} when the bytes are not a valid `T`. */
  deserialize(bytes: Uint8Array): T;
}
