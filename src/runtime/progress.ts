import type { RestoreProgress } from './task-manager.js';

/** How far a long piece of work (a restore, a catch-up run) has come. */
export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly recordsPerSec: number;
  /** Seconds left at the current rate; undefined before there is a rate. */
  readonly secondsLeft: number | undefined;
}

/** Progress from counts and the time the work started. */
export function progressOf(done: number, total: number, startedMs: number, nowMs: number): Progress {
  const rate = done / Math.max(0.001, (nowMs - startedMs) / 1000);
  return { done, total, recordsPerSec: rate, secondsLeft: rate > 0 ? Math.max(0, total - done) / rate : undefined };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** `label: 50,000/101,000 records (50 %), 41,000 records/s, 1.2 s left` */
export function formatProgress(label: string, p: Progress): string {
  const pct = p.total > 0 ? ` (${Math.floor((100 * p.done) / p.total)} %)` : '';
  const left = p.secondsLeft === undefined ? '' : p.done >= p.total ? ', done' : `, ${p.secondsLeft.toFixed(1)} s left`;
  return `${label}: ${n(p.done)}/${n(p.total)} records${pct}, ${n(p.recordsPerSec)} records/s${left}`;
}

/** A restore progress event as a line (for `onRestore` listeners and logs). */
export function formatRestoreProgress(p: RestoreProgress): string {
  const rate = p.recordsPerSec;
  return formatProgress(`restoring ${p.store} of task ${p.task}`, { done: p.restored, total: p.total, recordsPerSec: rate, secondsLeft: rate > 0 ? Math.max(0, p.total - p.restored) / rate : undefined });
}
