//! Two-stack sliding-window aggregation over a key's sorted entries.
//!
//! Windows of one key are queried with non-decreasing `[lo, hi)` position
//! ranges (closing windows go in start order; in-order records ask for ever
//! newer z-score windows). The front stack holds suffix merges of the older
//! part, `back` the merge of the newer part, so a query is one merge and
//! each entry is merged O(1) times while it is in range. Records that land
//! inside the range after the stacks were built are patched in, so the
//! structure never has to be rebuilt for disorder inside the window.
//! A query that moves backwards just rebuilds.

use super::entries::{lower_bound_back, lower_bound_front, Entry};
use crate::accum::Moments;

/// Incremental aggregate of the entries in `[lo, hi)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Swag {
    /// Range start (inclusive) of the last query.
    pub lo: i64,
    /// Boundary between the front stack (`< mid`) and `back` (`>= mid`).
    pub mid: i64,
    /// Range end (exclusive) of the last query.
    pub hi: i64,
    /// Merge of the entries in `[mid, hi)`.
    pub back: Moments,
    /// `(pos, merge of entries in [pos, mid))`, newest at index 0, oldest on top.
    pub stack: Vec<(i64, Moments)>,
}

impl Default for Swag {
    fn default() -> Self {
        Swag {
            lo: 0,
            mid: 0,
            hi: 0,
            back: Moments::EMPTY,
            stack: Vec::new(),
        }
    }
}

impl Swag {
    /// Merge of `es` over `[lo, hi)`.
    pub fn query(&mut self, es: &[Entry], lo: i64, hi: i64) -> Moments {
        if lo < self.lo || hi < self.hi || lo >= self.hi {
            self.rebuild(es, lo, hi);
        } else {
            if hi > self.hi {
                let mut i = lower_bound_back(es, self.hi);
                while i < es.len() && es[i].pos < hi {
                    self.back = self.back.merge(&es[i].m);
                    i += 1;
                }
                self.hi = hi;
            }
            self.lo = lo;
            while let Some(&(p, _)) = self.stack.last() {
                if p < lo {
                    self.stack.pop();
                } else {
                    break;
                }
            }
            if self.stack.is_empty() {
                // Flip: `back` entries move to the front once each.
                self.rebuild(es, lo, hi);
            }
        }
        match self.stack.last() {
            Some((_, top)) => top.merge(&self.back),
            None => self.back,
        }
    }

    fn rebuild(&mut self, es: &[Entry], lo: i64, hi: i64) {
        self.stack.clear();
        let start = lower_bound_front(es, lo);
        let mut end = start;
        while end < es.len() && es[end].pos < hi {
            end += 1;
        }
        let mut acc = Moments::EMPTY;
        for e in es[start..end].iter().rev() {
            acc = e.m.merge(&acc);
            self.stack.push((e.pos, acc));
        }
        self.lo = lo;
        self.mid = hi;
        self.hi = hi;
        self.back = Moments::EMPTY;
    }

    /// Accounts for `x` having been added at `pos` (`new`: the entry was created).
    #[inline]
    pub fn patch(&mut self, pos: i64, x: f64, new: bool) {
        if pos < self.lo || pos >= self.hi {
            return;
        }
        if pos >= self.mid {
            self.back.add(x);
            return;
        }
        let i = self.stack.partition_point(|e| e.0 > pos);
        if new {
            let agg = if i == 0 {
                Moments::of(x)
            } else {
                let mut m = self.stack[i - 1].1;
                m.add(x);
                m
            };
            self.stack.insert(i, (pos, agg));
            for e in self.stack[i + 1..].iter_mut() {
                e.1.add(x);
            }
        } else {
            for e in self.stack[i..].iter_mut() {
                e.1.add(x);
            }
        }
    }
}
