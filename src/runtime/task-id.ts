/** A task: one sub-topology on one partition, named `<subtopology>_<partition>` as in Kafka Streams. */
export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export function taskIdString(t: TaskId): string {
  return `${t.subtopology}_${t.partition}`;
}
