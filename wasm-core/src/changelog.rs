//! The kernel's changelog: one record per key whose state changed since the
//! previous export, plus one small task record, so a commit costs what
//! changed rather than the whole state.
//!
//! `export_changes` returns, little-endian:
//! `u32 task_len, task record, u32 n, n × (u32 key id, u32 len, len bytes)`,
//! where `len == u32::MAX` is a tombstone: the key holds no state any more
//! (its windows all expired) and the caller may give its id to another key.
//!
//! - Task record: magic `RVWT`, version `u32`, the spec, stream time, the
//!   late and invalid counters, rows sealed but not yet drained, and an
//!   FNV-1a 64 checksum.
//! - Key record: `b'K'`, version `u8`, key id `u32`, then the key's block as
//!   in a full export (`state::Writer::key_state`: entries, schedule, dirty
//!   ranges, aggregation stacks), so a kernel rebuilt from the latest record
//!   of every key equals the one that wrote them.
//!
//! Records of the dense grid are written in the per-key layout (the grid is
//! rebuilt from entries on import, as for a full import).
//!
//! Import applies records in any order (`import_task`, `import_key`,
//! `forget_key`); the derived structures (close queue, counters, dense grid)
//! are rebuilt once, before the kernel is next used.
//!
//! A restore crosses the boundary once per batch of records
//! (`import_batch`): little-endian `n × op`, an op being `u32 len, len bytes`
//! (a key record) or `u32 TOMBSTONE, u32 key id` (forget that key), applied
//! in order.

use crate::error::{ErrorCode, KernelError};
use crate::kernel::{Engine, KeyState, Row, ROW_F64S};
use crate::state::{check_spec, corrupt, fnv1a, Reader, Writer};
use crate::window::clock::{NEVER, NO_TIME};
use crate::window::entries::Entries;
use crate::window::MAX_TIME_MS;

const TASK_MAGIC: &[u8; 4] = b"RVWT";
const TASK_VERSION: u32 = 2;
const KEY_TAG: u8 = b'K';
const KEY_VERSION: u8 = 2;
/// Length marking a tombstone in `export_changes`' output.
pub const TOMBSTONE: u32 = u32::MAX;

fn live(ks: &KeyState) -> bool {
    !ks.es.is_empty()
        || !ks.dirty.is_empty()
        || ks.sched != NEVER
        || ks.swag.is_some()
        || ks.zswag.is_some()
}

fn task_record(eng: &Engine) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + eng.sealed.len() * ROW_F64S * 8));
    w.0.extend_from_slice(TASK_MAGIC);
    w.u32(TASK_VERSION);
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
    let sum = fnv1a(&w.0);
    w.u64(sum);
    w.0
}

fn key_record(key: u32, ks: &KeyState) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(48 + ks.es.len() * 64));
    w.u8(KEY_TAG);
    w.u8(KEY_VERSION);
    w.u32(key);
    w.key_state(ks);
    w.0
}

/// The state of a key of the dense grid in the per-key layout, as
/// `Engine::sparse_copy` builds it.
fn dense_key_state(eng: &Engine, key: u32) -> Option<KeyState> {
    let d = eng.dense.as_ref()?;
    let es = d.entries_of(key);
    if es.is_empty() {
        return None;
    }
    let geo = eng.geo;
    let ct = eng.close_time();
    let close = match geo.next_window(&es, geo.min_open_start(ct)) {
        Some(s) => s + geo.close_span,
        None => NEVER,
    };
    let evict = geo.evict_time(&es[0]);
    Some(KeyState {
        floor_ct: ct,
        sched: if close < evict { close } else { evict },
        es: Entries::from_sorted(es),
        ..KeyState::default()
    })
}

/// The records of every key changed since the previous call, and the task
/// record; clears the change set.
pub(crate) fn export_changes(eng: &mut Engine) -> Vec<u8> {
    let task = task_record(eng);
    let mut out = Vec::with_capacity(8 + task.len() + eng.changed.len() * 96);
    out.extend_from_slice(&(task.len() as u32).to_le_bytes());
    out.extend_from_slice(&task);
    let mut changed = std::mem::take(&mut eng.changed);
    changed.sort_unstable();
    // Rows not yet drained name their keys by id: an id is released only
    // once no such row can refer to it any more.
    let keep_empty = !eng.sealed.is_empty();
    let mut kept = Vec::new();
    let at = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut n: u32 = 0;
    for &key in &changed {
        let k = key as usize;
        let rec = if eng.dense.is_some() {
            dense_key_state(eng, key).map(|ks| key_record(key, &ks))
        } else {
            match eng.keys.get(k) {
                Some(ks) if live(ks) => Some(key_record(key, ks)),
                _ => None,
            }
        };
        match rec {
            Some(r) => {
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&(r.len() as u32).to_le_bytes());
                out.extend_from_slice(&r);
            }
            None if keep_empty => {
                kept.push(key);
                continue;
            }
            None => {
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&TOMBSTONE.to_le_bytes());
            }
        }
        n += 1;
        eng.logged[k >> 3] &= !(1u8 << (k & 7));
    }
    out[at..at + 4].copy_from_slice(&n.to_le_bytes());
    changed.clear();
    changed.extend_from_slice(&kept);
    eng.changed = changed;
    out
}

/// Applies a task record: stream time, counters and undrained rows.
pub(crate) fn import_task(eng: &mut Engine, bytes: &[u8]) -> Result<(), KernelError> {
    if bytes.len() < 8 + 8 || &bytes[..4] != TASK_MAGIC {
        return Err(corrupt(
            "expected a kernel task record (magic RVWT); a changelog in another layout cannot be restored",
        ));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let mut sum = [0u8; 8];
    sum.copy_from_slice(tail);
    if fnv1a(body) != u64::from_le_bytes(sum) {
        return Err(corrupt("task record checksum mismatch"));
    }
    let mut r = Reader { b: body, at: 4 };
    let version = r.u32()?;
    if version != TASK_VERSION {
        return Err(corrupt(&format!(
            "expected task record version {}, got {}",
            TASK_VERSION, version
        )));
    }
    let spec = eng.spec;
    check_spec(&mut r, &spec)?;
    let st = r.i64()?;
    if st != NO_TIME && !(st >= 0 && st as f64 <= MAX_TIME_MS) {
        return Err(corrupt(&format!(
            "expected a stream time in 0..=2^53, got {}",
            st
        )));
    }
    let late = r.u64()?;
    let invalid = r.u64()?;
    let n = r.count(ROW_F64S * 8)?;
    let mut sealed = Vec::with_capacity(n);
    for _ in 0..n {
        let mut row: Row = [0.0; ROW_F64S];
        for v in row.iter_mut() {
            *v = r.f64()?;
        }
        sealed.push(row);
    }
    if r.at != body.len() {
        return Err(corrupt("unexpected bytes after the task record"));
    }
    eng.st = st;
    eng.late = late;
    eng.invalid = invalid;
    eng.sealed = sealed;
    Ok(())
}

/// Applies a key record; returns the key id it holds.
pub(crate) fn import_key(eng: &mut Engine, bytes: &[u8]) -> Result<u32, KernelError> {
    let (key, ks) = parse_key(bytes)?;
    put_key(eng, key, ks);
    Ok(key)
}

/// A key record's key id and state.
fn parse_key(bytes: &[u8]) -> Result<(u32, KeyState), KernelError> {
    if bytes.len() < 6 || bytes[0] != KEY_TAG {
        return Err(corrupt(
            "expected a kernel key record (tag K); a changelog in another layout cannot be restored",
        ));
    }
    if bytes[1] != KEY_VERSION {
        return Err(corrupt(&format!(
            "expected key record version {}, got {}",
            KEY_VERSION, bytes[1]
        )));
    }
    let mut r = Reader { b: bytes, at: 2 };
    let key = r.u32()?;
    if key > crate::kernel::MAX_KEY_ID {
        return Err(KernelError::new(
            ErrorCode::StateCorrupt,
            format!(
                "state is corrupt: key id {} exceeds the kernel's key space",
                key
            ),
        ));
    }
    let ks = r.key_state()?;
    if r.at != bytes.len() {
        return Err(corrupt("unexpected bytes after the key record"));
    }
    Ok((key, ks))
}

fn put_key(eng: &mut Engine, key: u32, ks: KeyState) {
    let k = key as usize;
    if k >= eng.keys.len() {
        eng.keys.resize_with(k + 1, KeyState::default);
    }
    eng.keys[k] = ks;
}

enum Op {
    Put(u32, KeyState),
    Forget(u32),
}

/// Applies a batch of ops (layout above) in order; returns how many. Every
/// op is checked before any is applied, so a corrupt batch changes nothing.
pub(crate) fn import_batch(eng: &mut Engine, bytes: &[u8]) -> Result<u32, KernelError> {
    let mut ops = Vec::new();
    let mut r = Reader { b: bytes, at: 0 };
    while r.at < bytes.len() {
        let i = ops.len();
        let at = r.at;
        let len = r.u32()?;
        let op = if len == TOMBSTONE {
            Op::Forget(r.u32()?)
        } else {
            let end = r.at.saturating_add(len as usize);
            if end > bytes.len() {
                return Err(corrupt(&format!(
                    "record {} of the batch (byte {}): length {} exceeds the remaining {} bytes",
                    i,
                    at,
                    len,
                    bytes.len() - r.at
                )));
            }
            let (key, ks) = parse_key(&bytes[r.at..end]).map_err(|e| KernelError {
                code: e.code,
                detail: format!("record {} of the batch (byte {}): {}", i, at, e.detail),
            })?;
            r.at = end;
            Op::Put(key, ks)
        };
        ops.push(op);
    }
    let n = ops.len() as u32;
    for op in ops {
        match op {
            Op::Put(key, ks) => put_key(eng, key, ks),
            Op::Forget(key) => forget_key(eng, key),
        }
    }
    Ok(n)
}

/// Drops a key's state (its tombstone, or its id moving to another key).
pub(crate) fn forget_key(eng: &mut Engine, key: u32) {
    if let Some(ks) = eng.keys.get_mut(key as usize) {
        *ks = KeyState::default();
    }
}
