//! The per-key changelog: a kernel rebuilt from the latest record of every
//! key (what compaction keeps) equals the kernel that wrote them, and emits
//! what an uninterrupted kernel emits.

use super::common::{drain, feed, rows_close, Rng};
use crate::changelog::TOMBSTONE;
use crate::Kernel;
use std::collections::BTreeMap;

/// A compacted changelog: the latest record per key id, and the task record.
#[derive(Default)]
struct Log {
    task: Vec<u8>,
    keys: BTreeMap<u32, Vec<u8>>,
    bytes: usize,
    tombstones: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

impl Log {
    /// Applies one export; returns the bytes it wrote.
    fn apply(&mut self, out: &[u8]) -> usize {
        let tl = u32_at(out, 0) as usize;
        self.task = out[4..4 + tl].to_vec();
        let mut at = 4 + tl;
        let n = u32_at(out, at);
        at += 4;
        let mut bytes = tl;
        for _ in 0..n {
            let id = u32_at(out, at);
            let len = u32_at(out, at + 4);
            at += 8;
            if len == TOMBSTONE {
                self.keys.remove(&id);
                self.tombstones += 1;
            } else {
                let r = out[at..at + len as usize].to_vec();
                at += len as usize;
                bytes += r.len();
                self.keys.insert(id, r);
            }
        }
        assert_eq!(at, out.len());
        self.bytes += bytes;
        bytes
    }

    fn restore(&self, spec: (u32, f64, f64, f64, f64, u32, bool)) -> Kernel {
        let mut k = kernel(spec);
        // Compaction does not keep the writing order: apply keys first, task last.
        for (&id, r) in self.keys.iter().rev() {
            assert_eq!(k.import_key(r).unwrap(), id);
        }
        if !self.task.is_empty() {
            k.import_task(&self.task).unwrap();
        }
        k
    }
}

fn kernel(s: (u32, f64, f64, f64, f64, u32, bool)) -> Kernel {
    Kernel::from_raw(s.0, s.1, s.2, s.3, s.4, s.5, s.6).unwrap()
}

const SPECS: [(u32, f64, f64, f64, f64, u32, bool); 7] = [
    (0, 100.0, 0.0, 20.0, -1.0, 1, false),
    (0, 100.0, 0.0, 20.0, 400.0, 0, false),
    (1, 100.0, 20.0, 30.0, -1.0, 1, false),
    (1, 100.0, 20.0, 30.0, -1.0, 0, true),
    (1, 100.0, 30.0, 0.0, 500.0, 1, false),
    (2, 50.0, 0.0, 10.0, -1.0, 1, false),
    (2, 50.0, 0.0, 10.0, 200.0, 0, true),
];

#[test]
fn a_kernel_rebuilt_from_per_key_records_equals_the_original_and_emits_the_same() {
    for (si, &spec) in SPECS.iter().enumerate() {
        for seed in 1..6u64 {
            let mut rng = Rng(seed * 7919 + si as u64);
            let mut k = kernel(spec);
            let mut log = Log::default();
            let mut t = 0i64;
            for commit in 0..40 {
                let recs: Vec<(u32, f64, f64)> = (0..rng.range(0, 60))
                    .map(|_| {
                        t += rng.range(0, 6);
                        let ts = (t - rng.range(0, 40)).max(0);
                        (
                            rng.below(50) as u32,
                            ts as f64,
                            rng.range(-1000, 1000) as f64 / 7.0,
                        )
                    })
                    .collect();
                feed(&mut k, &recs);
                drain(&mut k);
                log.apply(&k.export_changes());
                if commit % 5 == 4 {
                    let mut r = log.restore(spec);
                    assert_eq!(
                        r.export_state(),
                        k.export_state(),
                        "spec {} seed {} commit {}: restored state differs",
                        si,
                        seed,
                        commit
                    );
                    // Both go on with the same records and emit the same rows.
                    let mut k2 = k.clone();
                    let more: Vec<(u32, f64, f64)> = (0..200)
                        .map(|i| ((i * 7 % 53) as u32, (t + i as i64) as f64, i as f64))
                        .collect();
                    let (sa, za) = feed(&mut k2, &more);
                    let (sb, zb) = feed(&mut r, &more);
                    assert_eq!(sa, sb);
                    assert_eq!(format!("{:?}", za), format!("{:?}", zb));
                    k2.advance_stream_time((t + 5000) as f64).unwrap();
                    r.advance_stream_time((t + 5000) as f64).unwrap();
                    let (want, got) = (drain(&mut k2), drain(&mut r));
                    // The dense grid (hopping, final, no z-scores) rebuilds its shared
                    // aggregation on import: the last bits of sums may differ (see `state`).
                    let dense = spec.0 == 1 && spec.5 == 1 && !spec.6;
                    if dense {
                        if let Err(e) = rows_close(&got, &want) {
                            panic!(
                                "spec {} seed {} commit {}: rows after restore differ: {}",
                                si, seed, commit, e
                            );
                        }
                    } else {
                        assert!(
                            format!("{:?}", want) == format!("{:?}", got),
                            "spec {} seed {} commit {}: rows after restore differ",
                            si,
                            seed,
                            commit
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn keys_whose_windows_all_expired_are_tombstoned() {
    let spec = (0, 100.0, 0.0, 0.0, 100.0, 1, false);
    let mut k = kernel(spec);
    let mut log = Log::default();
    feed(&mut k, &[(0, 10.0, 1.0), (1, 20.0, 2.0), (2, 30.0, 3.0)]);
    log.apply(&k.export_changes());
    assert_eq!(log.keys.len(), 3);
    feed(&mut k, &[(1, 150.0, 2.0)]);
    drain(&mut k);
    log.apply(&k.export_changes());
    feed(&mut k, &[(1, 250.0, 2.0)]);
    drain(&mut k);
    log.apply(&k.export_changes());
    // Keys 0 and 2 hold nothing once their only window is past retention.
    assert_eq!(log.keys.keys().copied().collect::<Vec<_>>(), vec![1]);
    assert_eq!(log.tombstones, 2);
    let mut r = log.restore(spec);
    assert_eq!(r.export_state(), k.export_state());
}

#[test]
fn commit_bytes_follow_the_keys_changed_not_the_state() {
    let spec = (1, 60_000.0, 10_000.0, 0.0, -1.0, 1, false);
    let mut per_commit = Vec::new();
    for &keys in &[10_000u32, 100_000] {
        let mut k = kernel(spec);
        let all: Vec<(u32, f64, f64)> = (0..keys).map(|i| (i, 1000.0, i as f64)).collect();
        feed(&mut k, &all);
        drain(&mut k);
        k.export_changes();
        // A commit after 500 records on 500 keys.
        let some: Vec<(u32, f64, f64)> = (0..500).map(|i| (i * 7 % keys, 2000.0, 1.0)).collect();
        feed(&mut k, &some);
        drain(&mut k);
        per_commit.push(k.export_changes().len());
    }
    assert_eq!(per_commit[0], per_commit[1], "{:?}", per_commit);
    assert!(per_commit[0] < 500 * 200, "{:?}", per_commit);
}

#[test]
fn records_of_another_layout_or_spec_are_refused() {
    let mut k = kernel(SPECS[0]);
    feed(&mut k, &[(0, 10.0, 1.0)]);
    let old = k.export_state();
    let e = kernel(SPECS[0]).import_task(&old).unwrap_err();
    assert!(e.detail.contains("RVWT"), "{}", e.detail);
    let e = kernel(SPECS[0]).import_key(&old).unwrap_err();
    assert!(e.detail.contains("tag K"), "{}", e.detail);
    let mut log = Log::default();
    log.apply(&k.export_changes());
    let e = kernel(SPECS[2]).import_task(&log.task).unwrap_err();
    assert_eq!(e.code, crate::ErrorCode::StateMismatch);
    let rec = log.keys.values().next().unwrap().clone();
    for cut in 0..rec.len() {
        assert!(kernel(SPECS[0]).import_key(&rec[..cut]).is_err());
    }
}

/// Packs ops the way `import_batch` reads them: key records, and forgets as `TOMBSTONE, id`.
fn pack(ops: &[Result<&[u8], u32>]) -> Vec<u8> {
    let mut b = Vec::new();
    for op in ops {
        match op {
            Ok(r) => {
                b.extend_from_slice(&(r.len() as u32).to_le_bytes());
                b.extend_from_slice(r);
            }
            Err(id) => {
                b.extend_from_slice(&TOMBSTONE.to_le_bytes());
                b.extend_from_slice(&id.to_le_bytes());
            }
        }
    }
    b
}

#[test]
fn a_batch_import_equals_the_records_imported_one_by_one_in_order() {
    for (si, &spec) in SPECS.iter().enumerate() {
        let mut rng = Rng(31 + si as u64);
        let mut k = kernel(spec);
        let mut records: Vec<Vec<u8>> = Vec::new();
        let mut t = 0i64;
        for _ in 0..6 {
            let recs: Vec<(u32, f64, f64)> = (0..80)
                .map(|_| {
                    t += rng.range(0, 4);
                    (rng.below(40) as u32, t as f64, rng.range(-50, 50) as f64)
                })
                .collect();
            feed(&mut k, &recs);
            drain(&mut k);
            let mut log = Log::default();
            log.apply(&k.export_changes());
            records.extend(log.keys.into_values());
        }
        // Later records of a key overwrite earlier ones; a forget between them drops the earlier.
        let ids: Vec<u32> = records.iter().map(|r| u32_at(r, 2)).collect();
        let mut ops: Vec<Result<&[u8], u32>> = Vec::new();
        let mut one = kernel(spec);
        for (i, r) in records.iter().enumerate() {
            if i % 7 == 3 {
                ops.push(Err(ids[i]));
                one.forget_key(ids[i]);
            }
            ops.push(Ok(r));
            assert_eq!(one.import_key(r).unwrap(), ids[i]);
            if i % 11 == 5 {
                ops.push(Err(ids[i]));
                one.forget_key(ids[i]);
            }
        }
        let mut batched = kernel(spec);
        let packed = pack(&ops);
        // Through the import buffer, in two batches split at an op boundary.
        let split = pack(&ops[..ops.len() / 2]).len();
        batched.import_buffer(split);
        assert_eq!(batched.import_batch(&packed[..split]).unwrap() as usize, ops.len() / 2);
        let rest = &packed[split..];
        let at = batched.import_buffer(rest.len());
        assert!(!at.is_null());
        batched.import_buf_mut()[..rest.len()].copy_from_slice(rest);
        assert_eq!(batched.import_buffered(rest.len()).unwrap() as usize, ops.len() - ops.len() / 2);
        assert_eq!(batched.export_state(), one.export_state(), "spec {}", si);
    }
}

#[test]
fn a_corrupt_batch_names_its_record_and_changes_nothing() {
    let spec = SPECS[0];
    let mut k = kernel(spec);
    feed(&mut k, &[(0, 10.0, 1.0), (1, 20.0, 2.0), (2, 30.0, 3.0)]);
    let mut log = Log::default();
    log.apply(&k.export_changes());
    let recs: Vec<&[u8]> = log.keys.values().map(|r| r.as_slice()).collect();
    let mut bad = recs[2].to_vec();
    bad[0] = b'X';
    let packed = pack(&[Ok(recs[0]), Ok(recs[1]), Ok(&bad)]);
    let mut r = kernel(spec);
    let before = r.export_state();
    let e = r.import_batch(&packed).unwrap_err();
    assert!(e.detail.contains("record 2 of the batch"), "{}", e.detail);
    assert!(e.detail.contains("tag K"), "{}", e.detail);
    assert_eq!(r.export_state(), before);
    // Cut anywhere inside an op: refused, never a panic.
    let good = pack(&[Ok(recs[0]), Err(1)]);
    for cut in 1..good.len() {
        if cut == 4 + recs[0].len() {
            continue;
        }
        assert!(kernel(spec).import_batch(&good[..cut]).is_err(), "cut at {}", cut);
    }
    assert!(r.import_buffered(1 << 20).is_err());
}
