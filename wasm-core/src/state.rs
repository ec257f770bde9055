//! Export/import of a kernel's state.
//!
//! Layout (all little-endian): magic `RVWK`, version `u32`, the effective
//! spec, stream time and counters, rows sealed but not yet drained, then
//! every key with state (entries, schedule, dirty ranges and the
//! aggregation stacks, so an imported kernel produces bit-identical output),
//! and finally an FNV-1a 64 checksum of everything before it.
//! A dense grid (`window::dense`) is written in the same per-key layout
//! without aggregation stacks and comes back as a grid; its aggregation is
//! rebuilt at the next close, so values after an import can differ from an
//! uninterrupted run in the last bits (merge order), never in counts,
//! minima or maxima.
//! Import parses into a fresh engine and never panics: any truncation,
//! damage or inconsistency is `STATE_CORRUPT`; a different spec is
//! `STATE_MISMATCH`.

use crate::accum::Moments;
use crate::error::{ErrorCode, KernelError};
use crate::kernel::{Engine, KeyState, Row, ROW_F64S};
use crate::window::clock::{NEVER, NO_TIME};
use crate::window::dirty::DirtySet;
use crate::window::entries::{Entries, Entry};
use crate::window::swag::Swag;
use crate::window::{WindowSpec, MAX_TIME_MS};

const MAGIC: &[u8; 4] = b"RVWK";
const VERSION: u32 = 1;
const MOMENTS_BYTES: usize = 7 * 8;

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn moments(&mut self, m: &Moments) {
        for v in [m.count, m.sum, m.min, m.max, m.shift, m.rel_mean, m.m2] {
            self.f64(v);
        }
    }
    pub(crate) fn spec(&mut self, s: &WindowSpec) {
        self.u32(s.kind_code());
        self.i64(s.size);
        self.i64(s.advance);
        self.i64(s.grace);
        self.i64(s.retention);
        self.u32(s.emit_code());
        self.u8(s.zscore as u8);
    }
    /// One key's state: the per-key block of an export and of a changelog key record.
    pub(crate) fn key_state(&mut self, ks: &KeyState) {
        self.i64(ks.floor_ct);
        self.i64(ks.sched);
        let es = ks.es.as_slice();
        self.u32(es.len() as u32);
        for e in es {
            self.i64(e.pos);
            self.moments(&e.m);
        }
        let ranges = ks.dirty.ranges();
        self.u32(ranges.len() as u32);
        for (lo, hi) in ranges {
            self.i64(lo);
            self.i64(hi);
        }
        self.swag(&ks.swag);
        self.swag(&ks.zswag);
    }
    fn swag(&mut self, s: &Option<Box<Swag>>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.i64(s.lo);
                self.i64(s.mid);
                self.i64(s.hi);
                self.moments(&s.back);
                self.u32(s.stack.len() as u32);
                for (p, m) in &s.stack {
                    self.i64(*p);
                    self.moments(m);
                }
            }
        }
    }
}

/// Serializes the engine.
pub(crate) fn export(eng: &Engine) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(MAGIC);
    w.u32(VERSION);
    w.spec(&eng.spec);
    w.i64(eng.st);
    w.u64(eng.late);
    w.u64(eng.invalid);
    w.u32(eng.sealed.len() as u32);
    for r in &eng.sealed {
        for v in r {
            w.f64(*v);
        }
    }
    let live = |ks: &KeyState| {
        !ks.es.is_empty()
            || !ks.dirty.is_empty()
            || ks.sched != NEVER
            || ks.swag.is_some()
            || ks.zswag.is_some()
    };
    w.u32(eng.keys.iter().filter(|ks| live(ks)).count() as u32);
    for (k, ks) in eng.keys.iter().enumerate() {
        if !live(ks) {
            continue;
        }
        w.u32(k as u32);
        w.key_state(ks);
    }
    let sum = fnv1a(&w.0);
    w.u64(sum);
    w.0
}

pub(crate) fn corrupt(detail: &str) -> KernelError {
    KernelError::new(
        ErrorCode::StateCorrupt,
        format!("state is corrupt: {}", detail),
    )
}

pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], KernelError> {
        if self.b.len() - self.at < n {
            return Err(corrupt(&format!(
                "expected {} more bytes at offset {}, got {}",
                n,
                self.at,
                self.b.len() - self.at
            )));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, KernelError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, KernelError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, KernelError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn i64(&mut self) -> Result<i64, KernelError> {
        Ok(self.u64()? as i64)
    }
    pub(crate) fn f64(&mut self) -> Result<f64, KernelError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count of items at least `item_bytes` each; refuses counts the
    /// remaining bytes cannot hold, so a bad length never allocates.
    pub(crate) fn count(&mut self, item_bytes: usize) -> Result<usize, KernelError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(item_bytes) > self.b.len() - self.at {
            return Err(corrupt(&format!(
                "length {} exceeds the remaining {} bytes",
                n,
                self.b.len() - self.at
            )));
        }
        Ok(n)
    }
    fn moments(&mut self) -> Result<Moments, KernelError> {
        let m = Moments {
            count: self.f64()?,
            sum: self.f64()?,
            min: self.f64()?,
            max: self.f64()?,
            shift: self.f64()?,
            rel_mean: self.f64()?,
            m2: self.f64()?,
        };
        if !(m.count >= 0.0 && m.count <= MAX_TIME_MS && m.count.floor() == m.count) {
            return Err(corrupt(&format!("expected a whole count, got {}", m.count)));
        }
        Ok(m)
    }
    /// One key's state as `Writer::key_state` wrote it.
    pub(crate) fn key_state(&mut self) -> Result<KeyState, KernelError> {
        let mut ks = KeyState {
            floor_ct: self.i64()?,
            sched: self.i64()?,
            ..KeyState::default()
        };
        let ne = self.count(8 + MOMENTS_BYTES)?;
        let mut es = Vec::with_capacity(ne);
        for _ in 0..ne {
            let pos = self.i64()?;
            let m = self.moments()?;
            if m.count < 1.0 || es.last().map_or(false, |e: &Entry| e.pos >= pos) {
                return Err(corrupt("expected sorted non-empty entries"));
            }
            es.push(Entry { pos, m });
        }
        ks.es = Entries::from_sorted(es);
        let nr = self.count(16)?;
        let mut ranges: Vec<(i64, i64)> = Vec::with_capacity(nr);
        for _ in 0..nr {
            let lo = self.i64()?;
            let hi = self.i64()?;
            if lo > hi || ranges.last().map_or(false, |p| p.1 >= lo) {
                return Err(corrupt("expected sorted disjoint dirty ranges"));
            }
            ranges.push((lo, hi));
        }
        ks.dirty = DirtySet::from_ranges(ranges);
        ks.swag = self.swag()?;
        ks.zswag = self.swag()?;
        Ok(ks)
    }
    fn swag(&mut self) -> Result<Option<Box<Swag>>, KernelError> {
        match self.u8()? {
            0 => Ok(None),
            1 => {
                let lo = self.i64()?;
                let mid = self.i64()?;
                let hi = self.i64()?;
                let back = self.moments()?;
                let n = self.count(8 + MOMENTS_BYTES)?;
                let mut stack = Vec::with_capacity(n);
                for _ in 0..n {
                    let p = self.i64()?;
                    stack.push((p, self.moments()?));
                }
                if !(lo <= mid && mid <= hi) || stack.windows(2).any(|w| w[0].0 <= w[1].0) {
                    return Err(corrupt("inconsistent aggregation stack"));
                }
                Ok(Some(Box::new(Swag {
                    lo,
                    mid,
                    hi,
                    back,
                    stack,
                })))
            }
            other => Err(corrupt(&format!(
                "expected aggregation flag 0 or 1, got {}",
                other
            ))),
        }
    }
}

pub(crate) fn describe(s: &WindowSpec) -> String {
    format!(
        "kind {} size {} ms advance {} ms grace {} ms retention {} ms emit {} zscore {}",
        s.kind_code(),
        s.size,
        s.advance,
        s.grace,
        s.retention,
        s.emit_code(),
        s.zscore
    )
}

/// Reads a spec as `Writer::spec` wrote it; `STATE_MISMATCH` unless it equals `spec`.
pub(crate) fn check_spec(r: &mut Reader<'_>, spec: &WindowSpec) -> Result<(), KernelError> {
    let kind = r.u32()?;
    let size = r.i64()?;
    let advance = r.i64()?;
    let grace = r.i64()?;
    let retention = r.i64()?;
    let emit = r.u32()?;
    let zscore = r.u8()?;
    let same = kind == spec.kind_code()
        && size == spec.size
        && advance == spec.advance
        && grace == spec.grace
        && retention == spec.retention
        && emit == spec.emit_code()
        && zscore == spec.zscore as u8;
    if !same {
        return Err(KernelError::new(
            ErrorCode::StateMismatch,
            format!(
                "state spec must equal this kernel's (kernel {}, got kind {} size {} ms advance {} ms grace {} ms retention {} ms emit {} zscore {})",
                describe(spec), kind, size, advance, grace, retention, emit, zscore != 0
            ),
        ));
    }
    Ok(())
}

/// Parses an export into a fresh engine for `spec`.
pub(crate) fn import(spec: &WindowSpec, bytes: &[u8]) -> Result<Engine, KernelError> {
    if bytes.len() < 4 + 4 + 8 || &bytes[..4] != MAGIC {
        return Err(corrupt("expected a rivulet kernel state (magic RVWK)"));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let mut sum = [0u8; 8];
    sum.copy_from_slice(tail);
    if fnv1a(body) != u64::from_le_bytes(sum) {
        return Err(corrupt("checksum mismatch"));
    }
    let mut r = Reader { b: body, at: 4 };
    let version = r.u32()?;
    if version != VERSION {
        return Err(corrupt(&format!(
            "expected state version {}, got {}",
            VERSION, version
        )));
    }
    check_spec(&mut r, spec)?;
    // Parsed as per-key storage; `Kernel::import_state` moves it to a dense grid when it suits.
    let mut eng = Engine::per_key(*spec);
    eng.st = r.i64()?;
    if eng.st != NO_TIME && !(eng.st >= 0 && eng.st as f64 <= MAX_TIME_MS) {
        return Err(corrupt(&format!(
            "expected a stream time in 0..=2^53, got {}",
            eng.st
        )));
    }
    eng.late = r.u64()?;
    eng.invalid = r.u64()?;
    let n = r.count(ROW_F64S * 8)?;
    eng.sealed.reserve(n);
    for _ in 0..n {
        let mut row: Row = [0.0; ROW_F64S];
        for v in row.iter_mut() {
            *v = r.f64()?;
        }
        eng.sealed.push(row);
    }
    let nkeys = r.count(4 + 8 + 8 + 4 + 4 + 1 + 1)?;
    let mut prev: Option<u32> = None;
    for _ in 0..nkeys {
        let key = r.u32()?;
        if let Some(p) = prev {
            if key <= p {
                return Err(corrupt(&format!(
                    "expected keys in increasing order, got {} after {}",
                    key, p
                )));
            }
        }
        prev = Some(key);
        let ks = r.key_state()?;
        let k = key as usize;
        if k >= eng.keys.len() {
            eng.keys.resize_with(k + 1, KeyState::default);
        }
        eng.keys[k] = ks;
    }
    if r.at != body.len() {
        return Err(corrupt(&format!(
            "expected end of state at byte {}, got {} more bytes",
            r.at,
            body.len() - r.at
        )));
    }
    eng.rebuild_derived();
    Ok(eng)
}
