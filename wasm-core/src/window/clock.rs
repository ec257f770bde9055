//! Stream time and the queue of keys waiting for a window to close.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Stream time before any record: far below every window end, far above
/// i64 overflow when grace and sizes are subtracted.
pub const NO_TIME: i64 = i64::MIN / 4;

/// "Nothing scheduled" for a key.
pub const NEVER: i64 = i64::MAX;

/// Min-heap of `(due close time, key)`.
///
/// A key's authoritative due time lives in its own state; entries whose
/// time no longer matches are stale and skipped (lazy deletion), so
/// rescheduling is one push and peeking stays O(1).
#[derive(Clone, Debug, Default)]
pub struct CloseQueue {
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl CloseQueue {
    /// Schedules `key` at `due`.
    #[inline]
    pub fn push(&mut self, due: i64, key: u32) {
        self.heap.push(Reverse((due, key)));
    }

    /// Pops the earliest entry if it is due at `close_time`.
    #[inline]
    pub fn pop_due(&mut self, close_time: i64) -> Option<(i64, u32)> {
        match self.heap.peek() {
            Some(Reverse((due, _))) if *due <= close_time => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Drops everything (state import rebuilds it).
    pub fn clear(&mut self) {
        self.heap.clear();
    }
}
