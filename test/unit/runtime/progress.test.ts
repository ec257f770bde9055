import { expect, it } from 'vitest';
import { formatProgress, formatRestoreProgress, progressOf } from '../../../src/runtime/progress.js';

it('progress lines give records done and total, share, rate and time left', () => {
  const p = progressOf(50_000, 101_000, 0, 2_000);
  expect(p.recordsPerSec).toBe(25_000);
  expect(p.secondsLeft).toBeCloseTo(2.04, 2);
  expect(formatProgress('catching up', p)).toBe('catching up: 50,000/101,000 records (49 %), 25,000 records/s, 2.0 s left');
  expect(formatProgress('x', progressOf(10, 10, 0, 1_000))).toBe('x: 10/10 records (100 %), 10 records/s, done');
  expect(formatRestoreProgress({ task: '0_1', store: 'counts', restored: 40_000, total: 101_000, recordsPerSec: 20_000 })).toBe(
    'restoring counts of task 0_1: 40,000/101,000 records (39 %), 20,000 records/s, 3.0 s left',
  );
});
