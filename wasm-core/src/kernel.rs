//! The safe kernel core: batch ingestion, closing, emission and fetch.
//!
//! Usable natively (tests, the native benchmark); `abi` only forwards to it.

use crate::accum::Moments;
use crate::error::{ErrorCode, KernelError};
use crate::window::assign::{ceil_div, floor_div};
use crate::window::clock::{CloseQueue, NEVER, NO_TIME};
use crate::window::dense::{Counts, DenseGrid};
use crate::window::dirty::DirtySet;
use crate::window::entries::{lower_bound, lower_bound_front, range_merge, Entries, Entry};
use crate::window::sliding;
use crate::window::swag::Swag;
use crate::window::{EmitMode, Geometry, WindowKind, WindowSpec, MAX_TIME_MS};

/// f64s per emitted row: `key, start, end, count, sum, min, max, mean, m2`.
pub const ROW_F64S: usize = 9;

/// One emitted or fetched window.
pub type Row = [f64; ROW_F64S];

/// Per-record status bytes written by `ingest`.
pub mod status {
    /// Applied to at least one open window.
    pub const APPLIED: u8 = 0;
    /// Every window that could hold it was closed.
    pub const LATE: u8 = 1;
    /// Timestamp not finite, negative or above 2^53.
    pub const INVALID_TIMESTAMP: u8 = 2;
    /// Value NaN or infinite.
    pub const INVALID_VALUE: u8 = 3;
    /// Key id above `MAX_KEY_ID`.
    pub const INVALID_KEY: u8 = 4;
}

/// Largest key id the kernel accepts. Per-key state is indexed directly by id
/// (ids are dense, interned by the TS side), so an unbounded id would make one
/// record allocate gigabytes; 2^22 distinct keys per kernel is the limit.
pub const MAX_KEY_ID: u32 = (1 << 22) - 1;

/// Everything the kernel keeps for one key id.
///
/// `repr(C)` keeps the fields a close-queue pop reads (`sched`, `floor_ct`,
/// the entries' header) in the first cache line: with a million keys those
/// pops are random accesses and the miss dominates.
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct KeyState {
    /// Close time at which the key needs attention (next window end or
    /// next eviction); `NEVER` when idle.
    pub sched: i64,
    /// Close time when this key's entries last changed or its windows were
    /// last sealed. Every window ending at or before it is either sealed or
    /// never existed, so a seal pass only looks at ends after it.
    pub floor_ct: i64,
    /// Slices or atoms.
    pub es: Entries,
    /// Update mode: window starts changed since the last drain.
    pub dirty: DirtySet,
    /// Whether the key is in `Engine::dirty_keys`.
    pub listed: bool,
    /// Aggregation for closing/emitted windows (multi-entry windows only).
    pub swag: Option<Box<Swag>>,
    /// Aggregation for z-score windows (multi-entry windows only).
    pub zswag: Option<Box<Swag>>,
}

impl Default for KeyState {
    fn default() -> Self {
        KeyState {
            es: Entries::default(),
            floor_ct: NO_TIME,
            sched: NEVER,
            dirty: DirtySet::default(),
            listed: false,
            swag: None,
            zswag: None,
        }
    }
}

/// Processing state, split from the input columns so `ingest` can read
/// the columns while mutating it.
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    pub spec: WindowSpec,
    pub geo: Geometry,
    /// Stream time, `NO_TIME` before the first record.
    pub st: i64,
    pub late: u64,
    pub invalid: u64,
    pub keys: Vec<KeyState>,
    pub queue: CloseQueue,
    /// Rows sealed since the last drain, in closing order.
    pub sealed: Vec<Row>,
    /// Update mode: keys with changed windows since the last drain.
    pub dirty_keys: Vec<u32>,
    /// Entries held over all keys.
    pub entries: u64,
    /// `geo.min_open_start(close_time())`, kept with stream time so the
    /// record path does not divide for it.
    pub min_open: i64,
    /// `(end, key)` of the last row sealed by the running `raise`, and
    /// whether its rows left that order (then they are sorted once).
    last_sealed: (i64, u32),
    unsorted: bool,
    /// Keys holding at least one entry.
    pub live_keys: u32,
    /// Time-major storage replacing `keys` and `queue` while it suits the
    /// spec and the key count (see `window::dense`).
    pub dense: Option<Box<DenseGrid>>,
    /// Key ids whose state changed since the last changelog export, each
    /// once (`logged` holds a bit per id), for `changelog::export_changes`.
    pub changed: Vec<u32>,
    pub logged: Vec<u8>,
}

/// Notes that `key`'s state changed since the last changelog export: a
/// bitmap test on the record path, a push the first time per export.
#[inline]
pub(crate) fn mark(logged: &mut Vec<u8>, changed: &mut Vec<u32>, key: u32) {
    let k = key as usize;
    let byte = k >> 3;
    if byte >= logged.len() {
        logged.resize(byte + 1, 0);
    }
    let bit = 1u8 << (k & 7);
    if logged[byte] & bit == 0 {
        logged[byte] |= bit;
        changed.push(key);
    }
}

#[inline]
fn row(key: u32, start: i64, end: i64, m: &Moments) -> Row {
    [
        key as f64,
        start as f64,
        end as f64,
        m.count,
        m.sum,
        m.min,
        m.max,
        m.mean(),
        m.m2,
    ]
}

/// Value of the window at `start`, through the key's aggregation when a
/// window spans several entries.
#[inline]
fn window_value(geo: &Geometry, es: &[Entry], swag: &mut Option<Box<Swag>>, start: i64) -> Moments {
    let (lo, hi) = geo.entry_range(start);
    if !geo.multi_entry() {
        let i = lower_bound(es, lo);
        return match es.get(i) {
            Some(e) if e.pos == lo => e.m,
            _ => Moments::EMPTY,
        };
    }
    swag.get_or_insert_with(Default::default).query(es, lo, hi)
}

/// Sealed-row order: `(end, key)`; a window's start is its end minus the
/// span, so no two rows share both.
#[inline]
fn seal_order(r: &Row) -> (i64, u32) {
    (r[2] as i64, r[0] as u32)
}

/// Appends a sealed row, noting when it breaks `(end, key)` order.
#[inline]
fn push_sealed(sealed: &mut Vec<Row>, last: &mut (i64, u32), unsorted: &mut bool, r: Row) {
    let o = seal_order(&r);
    if o <= *last {
        *unsorted = true;
    }
    *last = o;
    sealed.push(r);
}

/// `rows` in `seal_order`, as a new vector.
///
/// Rows arrive in queue order: by key within a due time, each key's rows
/// by end. When ends lie on a grid of `step` (tumbling/hopping), a stable
/// counting sort by end restores the order in two passes, and keys within
/// one end are then already ascending unless keys were due at different
/// times (checked, and those groups sorted). Otherwise the rows are sorted
/// through a 16-byte index, which moves far less than the 72-byte rows.
fn sorted_rows(rows: &[Row], step: i64) -> Vec<Row> {
    let n = rows.len();
    let mut idx: Vec<u32> = Vec::with_capacity(n);
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    if step > 0 {
        for r in rows {
            let e = r[2] as i64;
            lo = lo.min(e);
            hi = hi.max(e);
        }
    }
    let groups = if step > 0 {
        (hi - lo) / step + 1
    } else {
        i64::MAX
    };
    if groups <= (n as i64).max(64) {
        let g = groups as usize;
        let group = |r: &Row| ((r[2] as i64 - lo) / step) as usize;
        let mut at = vec![0u32; g + 1];
        for r in rows {
            at[group(r) + 1] += 1;
        }
        for i in 0..g {
            at[i + 1] += at[i];
        }
        let bounds = at.clone();
        idx.resize(n, 0);
        for (i, r) in rows.iter().enumerate() {
            let b = group(r);
            idx[at[b] as usize] = i as u32;
            at[b] += 1;
        }
        for w in bounds.windows(2) {
            let grp = &mut idx[w[0] as usize..w[1] as usize];
            let key = |i: &u32| rows[*i as usize][0] as u32;
            if grp.windows(2).any(|p| key(&p[0]) > key(&p[1])) {
                grp.sort_unstable_by_key(key);
            }
        }
    } else {
        let mut order: Vec<(i64, u32, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (end, key) = seal_order(r);
                (end, key, i as u32)
            })
            .collect();
        order.sort_unstable();
        idx.extend(order.iter().map(|&(_, _, i)| i));
    }
    idx.iter().map(|&i| rows[i as usize]).collect()
}

impl Engine {
    /// An engine on the dense grid when the spec suits one, else per-key storage.
    pub fn new(spec: WindowSpec) -> Engine {
        let mut e = Engine::per_key(spec);
        e.dense = DenseGrid::for_spec(&spec, &e.geo).map(Box::new);
        e
    }

    /// An engine on per-key storage (what a state import parses into).
    pub fn per_key(spec: WindowSpec) -> Engine {
        let geo = Geometry::new(&spec);
        Engine {
            dense: None,
            spec,
            geo,
            st: NO_TIME,
            late: 0,
            invalid: 0,
            keys: Vec::new(),
            queue: CloseQueue::new(spec.kind != WindowKind::Sliding),
            sealed: Vec::new(),
            dirty_keys: Vec::new(),
            entries: 0,
            live_keys: 0,
            min_open: 0,
            last_sealed: (i64::MIN, 0),
            unsorted: false,
            changed: Vec::new(),
            logged: Vec::new(),
        }
    }

    #[inline]
    pub fn close_time(&self) -> i64 {
        self.st - self.spec.grace
    }

    /// One record: status and z-score.
    #[inline]
    pub fn process(&mut self, key: u32, ts: f64, x: f64) -> (u8, f64) {
        if key > MAX_KEY_ID {
            self.invalid += 1;
            return (status::INVALID_KEY, f64::NAN);
        }
        // Even a record that changes nothing is noted: the key's id may be
        // one the caller just interned, and an export that finds the key
        // without state tombstones it, so the id is released.
        mark(&mut self.logged, &mut self.changed, key);
        if !(ts >= 0.0 && ts <= MAX_TIME_MS) {
            self.invalid += 1;
            return (status::INVALID_TIMESTAMP, f64::NAN);
        }
        if !x.is_finite() {
            self.invalid += 1;
            return (status::INVALID_VALUE, f64::NAN);
        }
        // Non-negative, so truncation is the README's floor.
        let t = ts as i64;
        if t > self.st {
            self.raise(t);
        }
        if self.dense.is_some() {
            if let Some(done) = self.process_dense(key, t, x) {
                return done;
            }
        }
        let ct = self.close_time();
        let geo = self.geo;
        // Slice, newest window index and oldest window start holding `t`;
        // with `a == 1` (advance a multiple of the slice width, the usual
        // case) this costs one division.
        let (p, kw, oldest, late) = if geo.sliding {
            (t, 0, t - geo.size, geo.is_late(t, ct))
        } else {
            let p = geo.slice_of(t);
            let (kw, ko) = if geo.a == 1 {
                (p, p - geo.m + 1)
            } else {
                (p / geo.a, floor_div(p - geo.m, geo.a) + 1)
            };
            let oldest = if ko < 0 { 0 } else { ko * geo.step };
            (p, kw, oldest, kw * geo.step + geo.size <= ct)
        };
        if late {
            self.late += 1;
            return (status::LATE, f64::NAN);
        }
        let k = key as usize;
        if k >= self.keys.len() {
            self.keys.resize_with(k + 1, KeyState::default);
        }
        let ks = &mut self.keys[k];
        ks.floor_ct = ct;
        let was_empty = ks.es.is_empty();
        let (idx, new) = ks.es.add(p, x);
        if new {
            self.entries += 1;
            if was_empty {
                self.live_keys += 1;
            }
        }
        if let Some(sw) = ks.swag.as_mut() {
            sw.patch(p, x, new);
        }
        if let Some(sw) = ks.zswag.as_mut() {
            sw.patch(p, x, new);
        }
        let min_open = self.min_open;
        let open_from = if oldest > min_open { oldest } else { min_open };
        if self.spec.emit == EmitMode::Update {
            let mut hi = geo.newest_start_containing(t);
            if geo.sliding && sliding::right_window_is_new(ks.es.as_slice(), t, geo.size, new) {
                hi = t + 1;
            }
            ks.dirty.insert(open_from, hi, geo.step);
            if !ks.listed {
                ks.listed = true;
                self.dirty_keys.push(key);
            }
        }
        // Only windows starting at `open_from` or later can be new, so a key
        // already due no later than such a window's end needs no reschedule.
        if ks.sched > open_from + geo.close_span {
            let first = if geo.sliding {
                sliding::next_window(ks.es.as_slice(), open_from, geo.size)
            } else {
                Some(open_from)
            };
            let mut due = match first {
                Some(s) => s + geo.close_span,
                None => NEVER,
            };
            if due == NEVER && ks.sched == NEVER {
                // A sliding record inside no window yet still has to be evicted.
                due = geo.evict_time(&ks.es.as_slice()[0]);
            }
            if due < ks.sched {
                ks.sched = due;
                self.queue.push(due, key);
            }
        }
        if !self.spec.zscore {
            return (status::APPLIED, f64::NAN);
        }
        let es = ks.es.as_slice();
        let z = if !geo.multi_entry() {
            es[idx].m.zscore(x)
        } else if !geo.sliding {
            let lo = kw * geo.a;
            let hi = lo + geo.m;
            ks.zswag
                .get_or_insert_with(Default::default)
                .query(es, lo, hi)
                .zscore(x)
        } else {
            // Against the record's own left window [t - D, t]; NaN when it
            // was already closed (README decision).
            if t + 1 > ct {
                let s = t - geo.size;
                ks.zswag
                    .get_or_insert_with(Default::default)
                    .query(es, s, t + 1)
                    .zscore(x)
            } else {
                f64::NAN
            }
        };
        (status::APPLIED, z)
    }

    /// The record path over the dense grid; `None` when the key does not
    /// fit and the engine moved to per-key storage for it.
    #[inline]
    fn process_dense(&mut self, key: u32, t: i64, x: f64) -> Option<(u8, f64)> {
        let geo = self.geo;
        let ct = self.close_time();
        let p = geo.slice_of(t);
        let kw = if geo.a == 1 { p } else { p / geo.a };
        if kw * geo.step + geo.size <= ct {
            self.late += 1;
            return Some((status::LATE, f64::NAN));
        }
        let retention = self.spec.retention;
        let d = self.dense.as_mut().expect("dense grid");
        if !d.fit(key) {
            self.make_sparse();
            return None;
        }
        let c = d.add(&geo, retention, ct, key, p, x);
        self.count(c);
        Some((status::APPLIED, f64::NAN))
    }

    #[inline]
    fn count(&mut self, c: Counts) {
        self.entries = (self.entries as i64 + c.cells) as u64;
        self.live_keys = (self.live_keys as i64 + c.keys) as u32;
    }

    /// The state held in grid `d` as per-key storage.
    fn sparse_copy(&self, d: &DenseGrid) -> Engine {
        let mut e = Engine::per_key(self.spec);
        e.st = self.st;
        e.late = self.late;
        e.invalid = self.invalid;
        e.sealed = self.sealed.clone();
        e.min_open = self.min_open;
        let ct = self.close_time();
        e.keys.resize_with(d.keys(), KeyState::default);
        for k in 0..d.keys() {
            let es = d.entries_of(k as u32);
            if es.is_empty() {
                continue;
            }
            e.entries += es.len() as u64;
            e.live_keys += 1;
            let ks = &mut e.keys[k];
            ks.es = Entries::from_sorted(es);
            ks.floor_ct = ct;
            // Every window ending by `ct` was sealed by the grid.
            e.evict_and_schedule(k as u32, ct, None);
        }
        while e.keys.last().map_or(false, |ks| ks.es.is_empty()) {
            e.keys.pop();
        }
        e
    }

    /// Leaves the dense grid for per-key storage.
    pub fn make_sparse(&mut self) {
        if let Some(d) = &self.dense {
            // The copy notes every key it holds; keys emptied since the last
            // export still need their tombstones.
            let pending = std::mem::take(&mut self.changed);
            *self = self.sparse_copy(d);
            for key in pending {
                mark(&mut self.logged, &mut self.changed, key);
            }
        }
    }

    /// After an import: back to the dense grid when the spec and keys suit it.
    pub fn densify(&mut self) {
        let grid = match DenseGrid::for_spec(&self.spec, &self.geo) {
            Some(g) if self.dense.is_none() => g,
            _ => return,
        };
        // A state written by per-key storage (its aggregation stacks) stays
        // there, so that importing and exporting again gives the same bytes.
        if self
            .keys
            .iter()
            .any(|ks| ks.swag.is_some() || ks.zswag.is_some())
        {
            return;
        }
        let held: Vec<(u32, &[Entry])> = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, ks)| !ks.es.is_empty())
            .map(|(k, ks)| (k as u32, ks.es.as_slice()))
            .collect();
        let (grid, counts) =
            match grid.from_entries(&self.geo, self.spec.retention, self.close_time(), &held) {
                Some(g) => g,
                None => return,
            };
        self.keys = Vec::new();
        self.queue.clear();
        self.entries = 0;
        self.live_keys = 0;
        self.count(counts);
        self.dense = Some(Box::new(grid));
    }

    /// Raises stream time to `t` and seals every window that closes.
    pub fn raise(&mut self, t: i64) {
        self.st = t;
        let ct = self.close_time();
        self.min_open = self.geo.min_open_start(ct);
        if let Some(d) = self.dense.as_mut() {
            let geo = self.geo;
            let sealed = &mut self.sealed;
            d.seal(&geo, ct, |key, k, m| {
                let start = k * geo.step;
                sealed.push(row(key, start, start + geo.span, m));
            });
            let (logged, changed) = (&mut self.logged, &mut self.changed);
            let c = d.evict(&geo, ct - self.spec.retention, |key| {
                mark(logged, changed, key)
            });
            self.count(c);
            return;
        }
        let first_row = self.sealed.len();
        self.last_sealed = (i64::MIN, 0);
        self.unsorted = false;
        while let Some((due, key)) = self.queue.pop_due(ct) {
            if self.keys[key as usize].sched == due {
                self.seal_key(key, ct);
            }
        }
        // Keys pop in (due, key) order and each seals all its closed windows,
        // so rows are in (end, key) order unless a key sealed several; then
        // they are sorted. Rows of earlier events all end before this
        // event's, so the whole drain is ordered. Queueing a key once per
        // window instead would read its slices once per window.
        if self.unsorted {
            let step = if self.geo.sliding { 0 } else { self.geo.step };
            let sorted = sorted_rows(&self.sealed[first_row..], step);
            if first_row == 0 {
                self.sealed = sorted;
            } else {
                self.sealed[first_row..].copy_from_slice(&sorted);
            }
        }
        debug_assert!(self.sealed[first_row..]
            .windows(2)
            .all(|w| seal_order(&w[0]) < seal_order(&w[1])));
    }

    /// Seals the key's windows closed at close time `ct` and schedules it
    /// for the next.
    fn seal_key(&mut self, key: u32, ct: i64) {
        if self.geo.sliding {
            self.seal_key_atoms(key, ct)
        } else {
            self.seal_key_slices(key, ct)
        }
    }

    /// Tumbling/hopping: walks window indices with a cursor over the slices,
    /// so sealing a window costs no search and no division (windows come
    /// out in order, and slice gaps are skipped with one division each).
    fn seal_key_slices(&mut self, key: u32, ct: i64) {
        let geo = self.geo;
        let final_mode = self.spec.emit == EmitMode::Final;
        let sealed = &mut self.sealed;
        let last_sealed = &mut self.last_sealed;
        let unsorted = &mut self.unsorted;
        let ks = &mut self.keys[key as usize];
        let KeyState {
            es,
            floor_ct,
            dirty,
            swag,
            ..
        } = ks;
        let (a, m) = (geo.a, geo.m);
        let k_close = geo.first_open_window(ct);
        let mut k = geo.first_open_window(*floor_ct);
        let mut next_open = None;
        {
            let s = es.as_slice();
            let mut i = lower_bound_front(s, k * a);
            while i < s.len() {
                let j = s[i].pos;
                if j >= k * a + m {
                    // Window `k` is empty: the next one holding slice `j`.
                    let kj = if a == 1 {
                        j - m + 1
                    } else {
                        ceil_div(j - m + 1, a)
                    };
                    if kj > k {
                        k = kj;
                    }
                }
                if k >= k_close {
                    next_open = Some(k);
                    break;
                }
                let start = k * geo.step;
                if final_mode || dirty.contains(start) {
                    let v = if m == 1 {
                        s[i].m
                    } else {
                        swag.get_or_insert_with(Default::default)
                            .query(s, k * a, k * a + m)
                    };
                    push_sealed(
                        sealed,
                        last_sealed,
                        unsorted,
                        row(key, start, start + geo.span, &v),
                    );
                }
                k += 1;
                while i < s.len() && s[i].pos < k * a {
                    i += 1;
                }
            }
        }
        *floor_ct = ct;
        if !final_mode {
            dirty.trim_below(k_close * geo.step);
        }
        // Eviction only drops slices of closed windows, so `next_open` stands.
        let close = match next_open {
            Some(k) => k * geo.step + geo.close_span,
            None => NEVER,
        };
        self.evict_and_schedule(key, ct, Some(close));
    }

    /// Sliding windows: atoms are sparse, so windows are found by search.
    fn seal_key_atoms(&mut self, key: u32, ct: i64) {
        let geo = self.geo;
        let final_mode = self.spec.emit == EmitMode::Final;
        let sealed = &mut self.sealed;
        let last_sealed = &mut self.last_sealed;
        let unsorted = &mut self.unsorted;
        let ks = &mut self.keys[key as usize];
        let KeyState {
            es,
            floor_ct,
            dirty,
            swag,
            ..
        } = ks;
        let mut next = geo.next_window(es.as_slice(), geo.min_open_start(*floor_ct));
        while let Some(s) = next {
            if s + geo.close_span > ct {
                break;
            }
            if final_mode || dirty.contains(s) {
                let m = window_value(&geo, es.as_slice(), swag, s);
                push_sealed(sealed, last_sealed, unsorted, row(key, s, s + geo.span, &m));
            }
            next = geo.next_window(es.as_slice(), s + geo.step);
        }
        *floor_ct = ct;
        if !final_mode {
            dirty.trim_below(geo.min_open_start(ct));
        }
        self.evict_and_schedule(key, ct, None);
    }

    /// After sealing at close time `ct`: drops the key's entries past
    /// retention and queues it for its next window close (`next_close`, or
    /// searched after eviction when `None`) or eviction, whichever is first.
    fn evict_and_schedule(&mut self, key: u32, ct: i64, next_close: Option<i64>) {
        let geo = self.geo;
        mark(&mut self.logged, &mut self.changed, key);
        let ks = &mut self.keys[key as usize];
        let n = geo.evictable(ks.es.as_slice(), ct - geo.retention);
        if n > 0 {
            ks.es.drop_front(n);
            self.entries -= n as u64;
            if ks.es.is_empty() {
                self.live_keys -= 1;
                ks.swag = None;
                ks.zswag = None;
            }
        }
        let es = ks.es.as_slice();
        let close =
            next_close.unwrap_or_else(|| match geo.next_window(es, geo.min_open_start(ct)) {
                Some(s) => s + geo.close_span,
                None => NEVER,
            });
        let evict = match es.first() {
            Some(e) => geo.evict_time(e),
            None => NEVER,
        };
        ks.sched = if close < evict { close } else { evict };
        if ks.sched != NEVER {
            self.queue.push(ks.sched, key);
        }
    }

    /// Update mode: appends the still-open changed windows, by key then start.
    pub fn collect_open_dirty(&mut self, out: &mut Vec<Row>) {
        let geo = self.geo;
        let min_open = geo.min_open_start(self.close_time());
        let mut dk = std::mem::take(&mut self.dirty_keys);
        dk.sort_unstable();
        for &key in &dk {
            mark(&mut self.logged, &mut self.changed, key);
            let ks = &mut self.keys[key as usize];
            ks.listed = false;
            let KeyState {
                es, dirty, swag, ..
            } = ks;
            for (lo, hi) in dirty.iter() {
                let mut next =
                    geo.next_window(es.as_slice(), if lo > min_open { lo } else { min_open });
                while let Some(s) = next {
                    if s > hi {
                        break;
                    }
                    let m = window_value(&geo, es.as_slice(), swag, s);
                    out.push(row(key, s, s + geo.span, &m));
                    next = geo.next_window(es.as_slice(), s + geo.step);
                }
            }
            dirty.clear();
        }
        dk.clear();
        self.dirty_keys = dk;
    }

    /// Recomputes counters and the close queue after an import.
    pub fn rebuild_derived(&mut self) {
        self.min_open = self.geo.min_open_start(self.close_time());
        self.queue.clear();
        self.dirty_keys.clear();
        self.entries = 0;
        self.live_keys = 0;
        for (k, ks) in self.keys.iter_mut().enumerate() {
            let n = ks.es.len() as u64;
            self.entries += n;
            if n > 0 {
                self.live_keys += 1;
            }
            if ks.sched != NEVER {
                self.queue.push(ks.sched, k as u32);
            }
            ks.listed = !ks.dirty.is_empty();
            if ks.listed {
                self.dirty_keys.push(k as u32);
            }
        }
    }
}

/// The input/output columns JS reads and writes in place.
#[derive(Clone, Debug, Default)]
struct Columns {
    keys: Vec<u32>,
    ts: Vec<f64>,
    values: Vec<f64>,
    status: Vec<u8>,
    z: Vec<f64>,
}

/// Mutable views of the input columns, for native callers.
pub struct Input<'a> {
    /// Dense key ids.
    pub keys: &'a mut [u32],
    /// Timestamps, ms.
    pub ts: &'a mut [f64],
    /// Values.
    pub values: &'a mut [f64],
}

/// A windowed-statistics kernel: one per (task, operator).
#[derive(Clone, Debug)]
pub struct Kernel {
    cols: Columns,
    pub(crate) eng: Engine,
    out: Vec<Row>,
    fetch_row: Row,
    /// Changelog records were imported; derived structures are rebuilt
    /// before the kernel is next used (`settle`).
    restoring: bool,
    /// Where JS writes a batch of changelog ops for `import_batch`.
    import_buf: Vec<u8>,
}

impl Kernel {
    /// A kernel for a validated spec.
    pub fn new(spec: WindowSpec) -> Kernel {
        Kernel {
            cols: Columns::default(),
            eng: Engine::new(spec),
            out: Vec::new(),
            fetch_row: [f64::NAN; ROW_F64S],
            restoring: false,
            import_buf: Vec::new(),
        }
    }

    /// Validates boundary values and builds a kernel (see `WindowSpec::new`).
    pub fn from_raw(
        kind: u32,
        size_ms: f64,
        advance_ms: f64,
        grace_ms: f64,
        retention_ms: f64,
        emit: u32,
        zscore: bool,
    ) -> Result<Kernel, KernelError> {
        WindowSpec::new(
            kind,
            size_ms,
            advance_ms,
            grace_ms,
            retention_ms,
            emit,
            zscore,
        )
        .map(Kernel::new)
    }

    /// The validated spec.
    pub fn spec(&self) -> &WindowSpec {
        &self.eng.spec
    }

    /// Makes the columns hold at least `capacity` records.
    pub fn reserve(&mut self, capacity: usize) {
        if capacity <= self.cols.keys.len() {
            return;
        }
        self.cols.keys.resize(capacity, 0);
        self.cols.ts.resize(capacity, 0.0);
        self.cols.values.resize(capacity, 0.0);
        self.cols.status.resize(capacity, 0);
        self.cols.z.resize(capacity, f64::NAN);
    }

    /// Records the columns can hold.
    pub fn capacity(&self) -> usize {
        self.cols.keys.len()
    }

    /// The input columns (full capacity).
    pub fn input(&mut self) -> Input<'_> {
        Input {
            keys: &mut self.cols.keys,
            ts: &mut self.cols.ts,
            values: &mut self.cols.values,
        }
    }

    /// Address of the key column.
    pub fn keys_ptr(&self) -> *const u32 {
        self.cols.keys.as_ptr()
    }
    /// Address of the timestamp column.
    pub fn ts_ptr(&self) -> *const f64 {
        self.cols.ts.as_ptr()
    }
    /// Address of the value column.
    pub fn values_ptr(&self) -> *const f64 {
        self.cols.values.as_ptr()
    }
    /// Address of the status column.
    pub fn status_ptr(&self) -> *const u8 {
        self.cols.status.as_ptr()
    }
    /// Address of the z-score column.
    pub fn z_ptr(&self) -> *const f64 {
        self.cols.z.as_ptr()
    }
    /// Address of the drained rows.
    pub fn out_ptr(&self) -> *const f64 {
        self.out.as_ptr() as *const f64
    }
    /// Address of the last fetched row.
    pub fn fetch_ptr(&self) -> *const f64 {
        self.fetch_row.as_ptr()
    }

    /// Processes the first `n` records of the input columns.
    pub fn ingest(&mut self, n: usize) -> Result<(), ErrorCode> {
        self.settle();
        if n > self.cols.keys.len() {
            return Err(ErrorCode::BatchTooLarge);
        }
        let c = &mut self.cols;
        let eng = &mut self.eng;
        let records = c.keys[..n].iter().zip(&c.ts[..n]).zip(&c.values[..n]);
        if eng.spec.zscore {
            for ((((&k, &t), &v), s), z) in records.zip(&mut c.status[..n]).zip(&mut c.z[..n]) {
                let (st, zz) = eng.process(k, t, v);
                *s = st;
                *z = zz;
            }
        } else {
            for (((&k, &t), &v), s) in records.zip(&mut c.status[..n]) {
                *s = eng.process(k, t, v).0;
            }
        }
        Ok(())
    }

    /// Per-record statuses of the last batch (full capacity).
    pub fn statuses(&self) -> &[u8] {
        &self.cols.status
    }

    /// Per-record z-scores of the last batch (full capacity).
    pub fn z_scores(&self) -> &[f64] {
        &self.cols.z
    }

    /// Raises stream time as a record at `ts` would.
    pub fn advance_stream_time(&mut self, ts: f64) -> Result<(), ErrorCode> {
        self.settle();
        if !(ts >= 0.0 && ts <= MAX_TIME_MS) {
            return Err(ErrorCode::InvalidTimestamp);
        }
        let t = ts as i64;
        if t > self.eng.st {
            self.eng.raise(t);
        }
        Ok(())
    }

    /// Moves everything due since the previous drain into the output rows.
    pub fn drain(&mut self) -> usize {
        self.settle();
        self.out.clear();
        std::mem::swap(&mut self.out, &mut self.eng.sealed);
        if self.eng.spec.emit == EmitMode::Update {
            self.eng.collect_open_dirty(&mut self.out);
        }
        self.out.len()
    }

    /// Rows of the last drain.
    pub fn rows(&self) -> &[Row] {
        &self.out
    }

    /// The current value of a window, if its state is still held.
    pub fn fetch(&mut self, key: u32, start_ms: f64) -> Option<Row> {
        self.settle();
        if !(start_ms.is_finite()
            && start_ms.floor() == start_ms
            && start_ms.abs() <= 2.0 * MAX_TIME_MS)
        {
            return None;
        }
        let geo = self.eng.geo;
        let s = start_ms as i64;
        if !geo.sliding && (s < 0 || s % geo.step != 0) {
            return None;
        }
        // Held while `start >= closeTime - retention`, as the reference does.
        if s + geo.retention < self.eng.close_time() {
            return None;
        }
        let (lo, hi) = geo.entry_range(s);
        let m = if let Some(d) = &self.eng.dense {
            let m = d.window(key, lo, hi);
            if m.is_empty() {
                return None;
            }
            m
        } else {
            let es = self.eng.keys.get(key as usize)?.es.as_slice();
            if !geo.window_exists(es, s) {
                return None;
            }
            range_merge(es, lo, hi)
        };
        let r = row(key, s, s + geo.span, &m);
        self.fetch_row = r;
        Some(r)
    }

    /// Stream time in ms; `-inf` before the first record.
    pub fn stream_time(&self) -> f64 {
        if self.eng.st == NO_TIME {
            f64::NEG_INFINITY
        } else {
            self.eng.st as f64
        }
    }

    /// Records dropped as late.
    pub fn late_records(&self) -> u64 {
        self.eng.late
    }

    /// Records dropped for an invalid timestamp or value.
    pub fn invalid_records(&self) -> u64 {
        self.eng.invalid
    }

    /// Keys currently holding state.
    pub fn key_count(&mut self) -> u32 {
        self.settle();
        self.eng.live_keys
    }

    /// Slices or sliding atoms currently held.
    pub fn state_entries(&mut self) -> u64 {
        self.settle();
        self.eng.entries
    }

    /// Serialized state (see `state`).
    pub fn export_state(&mut self) -> Vec<u8> {
        self.settle();
        if let Some(d) = &self.eng.dense {
            // Written as per-key storage: one format whatever the layout.
            return crate::state::export(&self.eng.sparse_copy(d));
        }
        crate::state::export(&self.eng)
    }

    /// Replaces the state with an export of a kernel with the same spec.
    pub fn import_state(&mut self, bytes: &[u8]) -> Result<(), KernelError> {
        self.eng = crate::state::import(&self.eng.spec, bytes)?;
        self.eng.densify();
        self.restoring = false;
        Ok(())
    }

    /// The changelog records of every key changed since the previous call
    /// and the task record (layout in `changelog`).
    pub fn export_changes(&mut self) -> Vec<u8> {
        self.settle();
        crate::changelog::export_changes(&mut self.eng)
    }

    /// Applies a changelog task record.
    pub fn import_task(&mut self, bytes: &[u8]) -> Result<(), KernelError> {
        self.begin_import();
        crate::changelog::import_task(&mut self.eng, bytes)
    }

    /// Applies a changelog key record; returns the key id it holds.
    pub fn import_key(&mut self, bytes: &[u8]) -> Result<u32, KernelError> {
        self.begin_import();
        crate::changelog::import_key(&mut self.eng, bytes)
    }

    /// Makes the import buffer `len` bytes long and returns its address:
    /// the caller writes a batch of changelog ops there (layout in
    /// `changelog`) and calls `import_buffered(len)`.
    pub fn import_buffer(&mut self, len: usize) -> *mut u8 {
        if self.import_buf.len() < len {
            self.import_buf.resize(len, 0);
        }
        self.import_buf.as_mut_ptr()
    }

    /// The import buffer, for native callers.
    pub fn import_buf_mut(&mut self) -> &mut [u8] {
        &mut self.import_buf
    }

    /// Applies the first `len` bytes of the import buffer as a batch of
    /// changelog ops; returns how many. A corrupt batch changes nothing.
    pub fn import_buffered(&mut self, len: usize) -> Result<u32, KernelError> {
        if len > self.import_buf.len() {
            return Err(KernelError::new(
                ErrorCode::BatchTooLarge,
                format!(
                    "import batch of {} bytes exceeds the reserved {} bytes; call import_buffer first",
                    len,
                    self.import_buf.len()
                ),
            ));
        }
        self.begin_import();
        let buf = std::mem::take(&mut self.import_buf);
        let r = crate::changelog::import_batch(&mut self.eng, &buf[..len]);
        self.import_buf = buf;
        r
    }

    /// Applies a batch of changelog ops (layout in `changelog`); returns how many.
    pub fn import_batch(&mut self, bytes: &[u8]) -> Result<u32, KernelError> {
        self.begin_import();
        crate::changelog::import_batch(&mut self.eng, bytes)
    }

    /// Drops a key's state (a tombstone, or the id moving to another key).
    pub fn forget_key(&mut self, key: u32) {
        self.begin_import();
        crate::changelog::forget_key(&mut self.eng, key)
    }

    fn begin_import(&mut self) {
        if !self.restoring {
            self.eng.make_sparse();
            self.restoring = true;
        }
    }

    /// After imports: the close queue, counters and dense grid from the
    /// imported keys; nothing imported counts as changed.
    fn settle(&mut self) {
        if !self.restoring {
            return;
        }
        self.restoring = false;
        while self.eng.keys.last().map_or(false, |ks| {
            ks.es.is_empty() && ks.sched == NEVER && ks.dirty.is_empty()
        }) {
            self.eng.keys.pop();
        }
        self.eng.rebuild_derived();
        self.eng.densify();
        self.eng.changed.clear();
        self.eng.logged.clear();
    }
}
