//! Time-major slice columns for hopping windows emitted in final mode, while
//! the kernel has few enough keys.
//!
//! Per-key storage (`entries` + a two-stack aggregation per key) makes a
//! close read a key's oldest slices, its stack and its newest slices: three
//! or four cache lines at scattered addresses, for every key, every advance.
//! Here slice `c` of every key lives in one column (`cols[c % r]`, indexed by
//! key id), and the two-stack aggregation is shared by all keys: one front
//! column per slice holds the suffix merges, one column the back merge. A
//! close is then one pass over contiguous columns in key order, and a flip
//! one pass per slice, so the memory is streamed rather than chased.
//!
//! The grid holds slices `[base, top)`; every column outside that range is
//! empty. It is chosen when a window spans several slices, emission is final
//! and there are no z-scores; it holds at most `MAX_CELLS` cells, and the
//! kernel moves to per-key storage when a key id would exceed that.

use super::assign::{ceil_div, floor_div, Geometry};
use super::entries::Entry;
use super::spec::{EmitMode, WindowKind, WindowSpec};
use crate::accum::Moments;

/// Slice-by-key cells a grid may hold (56 MiB per array of columns).
pub const MAX_CELLS: usize = 1 << 20;
/// Keys the grid makes room for at first.
const FIRST_KEYS: usize = 64;

/// Slices of every key in a ring of columns, with a shared two-stack aggregation.
#[derive(Clone, Debug)]
pub struct DenseGrid {
    /// Ring capacity in slices: every slice a record or a fetch can still need.
    r: i64,
    /// Keys per column; key ids are below it.
    n: usize,
    /// `r * n` cells: slice `c` of key `i` at `(c % r) * n + i`.
    cols: Vec<Moments>,
    /// Suffix merges: slot of slice `c` holds the merge of slices `[c, mid)`, for `c` in `[lo, mid)`.
    front: Vec<Moments>,
    /// Per key, the merge of slices `[mid, hi)`.
    back: Vec<Moments>,
    /// Non-empty cells per key.
    per_key: Vec<u32>,
    /// Slices held: `[base, top)`.
    base: i64,
    top: i64,
    started: bool,
    /// First slice of the last window closed, and the aggregation's split and end.
    lo: i64,
    mid: i64,
    hi: i64,
    /// First window not sealed yet.
    next_k: i64,
}

/// What a change to the grid did to the kernel's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Cells that became non-empty minus those emptied.
    pub cells: i64,
    /// Keys that came to hold a cell minus those left with none.
    pub keys: i64,
}

impl DenseGrid {
    /// A grid for `spec` if the spec suits one (see the module doc).
    pub fn for_spec(spec: &WindowSpec, geo: &Geometry) -> Option<DenseGrid> {
        if spec.kind == WindowKind::Sliding
            || geo.m <= 1
            || spec.emit != EmitMode::Final
            || spec.zscore
        {
            return None;
        }
        // Held slices span at most (grace + retention) / g + 2 (see `start`).
        let r = spec.grace.checked_add(spec.retention)? / geo.g + 3;
        if r.checked_mul(FIRST_KEYS as i64)? > MAX_CELLS as i64 {
            return None;
        }
        let mut g = DenseGrid {
            r,
            n: 0,
            cols: Vec::new(),
            front: Vec::new(),
            back: Vec::new(),
            per_key: Vec::new(),
            base: 0,
            top: 0,
            started: false,
            lo: 0,
            mid: 0,
            hi: 0,
            next_k: 0,
        };
        g.resize(FIRST_KEYS);
        Some(g)
    }

    #[inline]
    fn col(&self, c: i64) -> usize {
        (c % self.r) as usize * self.n
    }

    /// Key ids the grid can hold at most.
    pub fn key_limit(&self) -> usize {
        MAX_CELLS / self.r as usize
    }

    /// Makes room for key id `key`; false when that would exceed `MAX_CELLS`.
    pub fn fit(&mut self, key: u32) -> bool {
        let k = key as usize;
        if k < self.n {
            return true;
        }
        if k >= self.key_limit() {
            return false;
        }
        let want = (self.n * 2).max(k + 1).min(self.key_limit());
        self.resize(want);
        true
    }

    fn resize(&mut self, n: usize) {
        let r = self.r as usize;
        let old = self.n;
        let mut cols = vec![Moments::EMPTY; r * n];
        let mut front = vec![Moments::EMPTY; r * n];
        for c in 0..r.min(self.cols.len() / old.max(1)) {
            cols[c * n..c * n + old].copy_from_slice(&self.cols[c * old..(c + 1) * old]);
            front[c * n..c * n + old].copy_from_slice(&self.front[c * old..(c + 1) * old]);
        }
        self.cols = cols;
        self.front = front;
        self.back.resize(n, Moments::EMPTY);
        self.per_key.resize(n, 0);
        self.n = n;
    }

    /// At the first cell: holds slices from the retention cutoff of close
    /// time `ct` on, so every later record that is not late lands inside the ring.
    #[inline]
    fn start(&mut self, geo: &Geometry, retention: i64, ct: i64) {
        if self.started {
            return;
        }
        self.started = true;
        let cutoff = floor_div(ct - retention, geo.g).max(0);
        self.base = cutoff;
        self.top = cutoff;
        self.next_k = geo.first_open_window(ct);
    }

    /// Index of slice `p` of key `k` (held from now on), and what taking it
    /// changed if it was empty.
    #[inline]
    fn cell(&mut self, p: i64, k: usize) -> (usize, Counts) {
        if p >= self.top {
            self.top = p + 1;
        }
        let i = self.col(p) + k;
        let mut counts = Counts::default();
        if self.cols[i].count == 0.0 {
            counts.cells = 1;
            if self.per_key[k] == 0 {
                counts.keys = 1;
            }
            self.per_key[k] += 1;
        }
        (i, counts)
    }

    /// Adds `x` at slice `p` of `key` (`key` fits, `p` is not late).
    #[inline]
    pub fn add(
        &mut self,
        geo: &Geometry,
        retention: i64,
        ct: i64,
        key: u32,
        p: i64,
        x: f64,
    ) -> Counts {
        self.start(geo, retention, ct);
        debug_assert!(p >= self.base && p - self.base < self.r);
        let k = key as usize;
        let (i, counts) = self.cell(p, k);
        self.cols[i].add(x);
        // Keep the aggregation of the windows being closed in step.
        if p >= self.mid && p < self.hi {
            self.back[k].add(x);
        } else if p >= self.lo && p < self.mid {
            let mut q = self.lo;
            while q <= p {
                let f = self.col(q) + k;
                self.front[f].add(x);
                q += 1;
            }
        }
        counts
    }

    /// Seals every window closed at close time `ct`, calling `emit(key, k,
    /// value)` for each non-empty one, in window then key order.
    pub fn seal(&mut self, geo: &Geometry, ct: i64, mut emit: impl FnMut(u32, i64, &Moments)) {
        if !self.started {
            return;
        }
        let k_close = geo.first_open_window(ct);
        // Windows wholly below `base` hold nothing.
        let k_min = ceil_div(self.base - geo.m + 1, geo.a).max(0);
        if self.next_k < k_min {
            self.next_k = k_min;
        }
        while self.next_k < k_close {
            let k = self.next_k;
            let lo = k * geo.a;
            if lo >= self.top {
                // No slice held from here on: the rest of the closed windows are empty.
                self.next_k = k_close;
                break;
            }
            self.query(lo, lo + geo.m);
            let f = self.col(lo);
            let n = self.n;
            let front = &self.front[f..f + n];
            for (i, (a, b)) in front.iter().zip(&self.back[..n]).enumerate() {
                if a.count + b.count > 0.0 {
                    emit(i as u32, k, &a.merge(b));
                }
            }
            self.next_k = k + 1;
        }
    }

    /// Moves the aggregation to slices `[lo, hi)` (never backwards).
    fn query(&mut self, lo: i64, hi: i64) {
        let n = self.n;
        if lo >= self.mid {
            // Flip: suffix merges of the held part of [lo, hi) into the front columns.
            let h = hi.min(self.top);
            let r = self.r;
            let col = |c: i64| (c % r) as usize * n;
            let (cols, front) = (&self.cols, &mut self.front);
            let last = col(h - 1);
            front[last..last + n].copy_from_slice(&cols[last..last + n]);
            let mut c = h - 1;
            while c > lo {
                c -= 1;
                let (at, newer) = (col(c), col(c + 1));
                for i in 0..n {
                    front[at + i] = cols[at + i].merge(&front[newer + i]);
                }
            }
            for b in self.back.iter_mut() {
                *b = Moments::EMPTY;
            }
            self.mid = h;
            self.hi = h;
        }
        while self.hi < hi {
            if self.hi < self.top {
                let at = self.col(self.hi);
                for (b, c) in self.back.iter_mut().zip(&self.cols[at..at + n]) {
                    *b = b.merge(c);
                }
            }
            self.hi += 1;
        }
        self.lo = lo;
    }

    /// Drops slices wholly before `cutoff_ms` (retention).
    /// `emptied` hears of every key left with no cell.
    pub fn evict(
        &mut self,
        geo: &Geometry,
        cutoff_ms: i64,
        mut emptied: impl FnMut(u32),
    ) -> Counts {
        let mut counts = Counts::default();
        if !self.started {
            return counts;
        }
        let cutoff = floor_div(cutoff_ms, geo.g);
        let n = self.n;
        while self.base < cutoff && self.base < self.top {
            let at = self.col(self.base);
            for (i, cell) in self.cols[at..at + n].iter_mut().enumerate() {
                if cell.count > 0.0 {
                    *cell = Moments::EMPTY;
                    counts.cells -= 1;
                    self.per_key[i] -= 1;
                    if self.per_key[i] == 0 {
                        counts.keys -= 1;
                        emptied(i as u32);
                    }
                }
            }
            self.base += 1;
        }
        if self.base < cutoff {
            self.base = cutoff;
            self.top = cutoff;
        }
        counts
    }

    /// Merge of `key`'s slices in `[lo, hi)`, oldest first.
    pub fn window(&self, key: u32, lo: i64, hi: i64) -> Moments {
        let mut acc = Moments::EMPTY;
        if (key as usize) >= self.n {
            return acc;
        }
        let mut c = lo.max(self.base);
        while c < hi.min(self.top) {
            acc = acc.merge(&self.cols[self.col(c) + key as usize]);
            c += 1;
        }
        acc
    }

    /// Keys that may hold cells (ids below this).
    pub fn keys(&self) -> usize {
        self.n
    }

    /// `key`'s non-empty slices, oldest first.
    pub fn entries_of(&self, key: u32) -> Vec<Entry> {
        let k = key as usize;
        let mut out = Vec::new();
        if k >= self.n || self.per_key[k] == 0 {
            return out;
        }
        for c in self.base..self.top {
            let m = self.cols[self.col(c) + k];
            if m.count > 0.0 {
                out.push(Entry { pos: c, m });
            }
        }
        out
    }

    /// A grid holding `entries` per key (an imported state) at close time
    /// `ct`; entries past retention are dropped, as eviction would. `None`
    /// when the keys do not fit.
    pub fn from_entries(
        mut self,
        geo: &Geometry,
        retention: i64,
        ct: i64,
        entries: &[(u32, &[Entry])],
    ) -> Option<(DenseGrid, Counts)> {
        let mut counts = Counts::default();
        for &(key, es) in entries {
            if !es.is_empty() && !self.fit(key) {
                return None;
            }
        }
        for &(key, es) in entries {
            for e in es {
                self.start(geo, retention, ct);
                if e.pos < self.base || e.pos - self.base >= self.r {
                    continue;
                }
                let (i, c) = self.cell(e.pos, key as usize);
                self.cols[i] = e.m;
                counts.cells += c.cells;
                counts.keys += c.keys;
            }
        }
        Some((self, counts))
    }
}
