//! Stream time and the queue of keys waiting for a window to close.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Stream time before any record: far below every window end, far above
/// i64 overflow when grace and sizes are subtracted.
pub const NO_TIME: i64 = i64::MIN / 4;

/// "Nothing scheduled" for a key.
pub const NEVER: i64 = i64::MAX;

/// Keys by the close time at which they need attention, popped in
/// `(due, key)` order.
///
/// A key's authoritative due time lives in its own state; entries whose
/// time no longer matches are stale and skipped (lazy deletion), so
/// rescheduling is one push.
#[derive(Clone, Debug)]
pub enum CloseQueue {
    /// Sliding windows: due times are any millisecond, so a min-heap.
    Heap(BinaryHeap<Reverse<(i64, u32)>>),
    /// Tumbling/hopping: due times fall on a few window ends, shared by
    /// many keys, so one bucket per due time. A push is a lookup among a
    /// few dozen buckets, a pop takes the next key of the sorted current
    /// bucket; no per-entry heap sifting.
    Buckets {
        /// Due time → keys (unsorted).
        pending: BTreeMap<i64, Vec<u32>>,
        /// The bucket being popped: its due time and its keys sorted
        /// descending, popped from the end.
        current: Option<(i64, Vec<u32>)>,
        /// Emptied key vectors, reused so buckets do not allocate.
        spare: Vec<Vec<u32>>,
    },
}

impl CloseQueue {
    /// An empty queue; `bucketed` for window ends on a grid.
    pub fn new(bucketed: bool) -> CloseQueue {
        if bucketed {
            CloseQueue::Buckets {
                pending: BTreeMap::new(),
                current: None,
                spare: Vec::new(),
            }
        } else {
            CloseQueue::Heap(BinaryHeap::new())
        }
    }

    /// Schedules `key` at `due`.
    #[inline]
    pub fn push(&mut self, due: i64, key: u32) {
        match self {
            CloseQueue::Heap(h) => h.push(Reverse((due, key))),
            CloseQueue::Buckets {
                pending,
                current,
                spare,
            } => match current {
                // Due at the bucket being popped (a key rescheduled into it):
                // keep it sorted so it still pops in key order.
                Some((d, keys)) if *d == due => {
                    let i = keys.partition_point(|&k| k > key);
                    keys.insert(i, key);
                }
                _ => pending
                    .entry(due)
                    .or_insert_with(|| spare.pop().unwrap_or_default())
                    .push(key),
            },
        }
    }

    /// Pops the earliest entry if it is due at `close_time`.
    #[inline]
    pub fn pop_due(&mut self, close_time: i64) -> Option<(i64, u32)> {
        match self {
            CloseQueue::Heap(h) => match h.peek() {
                Some(Reverse((due, _))) if *due <= close_time => h.pop().map(|Reverse(e)| e),
                _ => None,
            },
            CloseQueue::Buckets {
                pending,
                current,
                spare,
            } => loop {
                if let Some((d, keys)) = current {
                    // A pending bucket can be earlier than the current one only
                    // if a key was scheduled below it meanwhile.
                    let earlier = matches!(pending.keys().next(), Some(&p) if p < *d);
                    if !earlier {
                        if let Some(k) = keys.pop() {
                            return Some((*d, k));
                        }
                    }
                    let (d, keys) = current.take().expect("current bucket");
                    if keys.is_empty() {
                        spare.push(keys);
                    } else {
                        // Put the unpopped rest back behind the earlier bucket.
                        pending.entry(d).or_default().extend(keys);
                    }
                }
                let due = match pending.keys().next() {
                    Some(&d) if d <= close_time => d,
                    _ => return None,
                };
                let mut keys = pending.remove(&due).expect("bucket");
                keys.sort_unstable_by(|a, b| b.cmp(a));
                keys.dedup();
                *current = Some((due, keys));
            },
        }
    }

    /// Drops everything (state import rebuilds it).
    pub fn clear(&mut self) {
        match self {
            CloseQueue::Heap(h) => h.clear(),
            CloseQueue::Buckets {
                pending, current, ..
            } => {
                pending.clear();
                *current = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut CloseQueue, ct: i64) -> Vec<(i64, u32)> {
        let mut out = vec![];
        while let Some(e) = q.pop_due(ct) {
            out.push(e);
        }
        out
    }

    #[test]
    fn both_kinds_pop_in_due_then_key_order() {
        for bucketed in [false, true] {
            let mut q = CloseQueue::new(bucketed);
            for (d, k) in [(30, 2), (10, 5), (10, 1), (20, 9), (10, 3), (40, 0)] {
                q.push(d, k);
            }
            assert_eq!(drain(&mut q, 25), vec![(10, 1), (10, 3), (10, 5), (20, 9)]);
            // Pushed while popping: into the current bucket, and below it.
            q.push(30, 1);
            assert_eq!(q.pop_due(35), Some((30, 1)));
            q.push(30, 0);
            q.push(25, 7);
            assert_eq!(drain(&mut q, 100), vec![(25, 7), (30, 0), (30, 2), (40, 0)]);
            assert_eq!(q.pop_due(1000), None);
        }
    }
}
