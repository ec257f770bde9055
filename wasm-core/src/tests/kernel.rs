//! Hand-checked behaviour of the kernel against worked-out oracles.

use super::common::{close, drain, feed, stats};
use crate::{status, ErrorCode, Kernel, Row};

const NAN: f64 = f64::NAN;

fn kernel(kind: u32, size: f64, adv: f64, grace: f64, emit: u32) -> Kernel {
    Kernel::from_raw(kind, size, adv, grace, -1.0, emit, true).unwrap()
}

fn key_start_count(rows: &[Row]) -> Vec<(u32, i64, i64, u64)> {
    rows.iter()
        .map(|r| (r[0] as u32, r[1] as i64, r[2] as i64, r[3] as u64))
        .collect()
}

#[test]
fn tumbling_boundaries_are_start_inclusive_end_exclusive() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 1);
    let (st, _) = feed(&mut k, &[(0, 0.0, 1.0), (0, 9.0, 2.0), (0, 9.99, 3.0)]);
    assert_eq!(st, vec![0, 0, 0]);
    assert!(drain(&mut k).is_empty());
    // ts 10 opens [10,20) and closes [0,10) before being applied
    feed(&mut k, &[(0, 10.0, 4.0)]);
    assert_eq!(drain(&mut k), vec![stats(0, 0, 10, &[1.0, 2.0, 3.0])]);
    feed(&mut k, &[(0, 19.5, 5.0), (0, 20.0, 6.0)]);
    assert_eq!(drain(&mut k), vec![stats(0, 10, 20, &[4.0, 5.0])]);
    k.advance_stream_time(29.0).unwrap();
    assert!(drain(&mut k).is_empty());
    k.advance_stream_time(30.0).unwrap();
    assert_eq!(drain(&mut k), vec![stats(0, 20, 30, &[6.0])]);
}

#[test]
fn grace_edge_end_equal_close_time_is_late() {
    // size 10, grace 5: ST 25 -> closeTime 20; [10,20) has end == closeTime
    let mut k = kernel(0, 10.0, 0.0, 5.0, 1);
    let (st, z) = feed(&mut k, &[(0, 25.0, 1.0), (0, 15.0, 2.0)]);
    assert_eq!(st, vec![status::APPLIED, status::LATE]);
    assert!(z[1].is_nan());
    assert_eq!(k.late_records(), 1);
    // ST 24 -> closeTime 19; end 20 == closeTime + 1 is still open
    let mut k = kernel(0, 10.0, 0.0, 5.0, 1);
    let (st, _) = feed(&mut k, &[(0, 24.0, 1.0), (0, 15.0, 2.0)]);
    assert_eq!(st, vec![status::APPLIED, status::APPLIED]);
    assert_eq!(k.late_records(), 0);
    k.advance_stream_time(25.0).unwrap();
    assert_eq!(drain(&mut k), vec![stats(0, 10, 20, &[2.0])]);
}

#[test]
fn hopping_partial_lateness_applies_to_open_windows_only() {
    // size 10, advance 5: ts 7 is in [0,10) and [5,15)
    let mut k = kernel(1, 10.0, 5.0, 0.0, 1);
    feed(&mut k, &[(0, 3.0, 1.0), (0, 12.0, 2.0)]);
    assert_eq!(drain(&mut k), vec![stats(0, 0, 10, &[1.0])]);
    let (st, _) = feed(&mut k, &[(0, 7.0, 3.0)]);
    assert_eq!(st, vec![status::APPLIED]);
    k.advance_stream_time(100.0).unwrap();
    assert_eq!(
        drain(&mut k),
        vec![stats(0, 5, 15, &[2.0, 3.0]), stats(0, 10, 20, &[2.0])]
    );
    // a record whose newest window is closed is late
    let (st, _) = feed(&mut k, &[(0, 94.0, 1.0)]);
    assert_eq!(st, vec![status::LATE]);
}

#[test]
fn sliding_windows_follow_kip450() {
    let mut k = kernel(2, 5.0, 0.0, 100.0, 1);
    feed(&mut k, &[(0, 10.0, 1.0), (0, 12.0, 3.0)]);
    k.advance_stream_time(1000.0).unwrap();
    assert_eq!(
        drain(&mut k),
        vec![
            stats(0, 5, 10, &[1.0]),
            stats(0, 7, 12, &[1.0, 3.0]),
            stats(0, 11, 16, &[3.0])
        ]
    );
}

#[test]
fn sliding_update_mode_emits_created_right_window() {
    let mut k = kernel(2, 5.0, 0.0, 100.0, 0);
    feed(&mut k, &[(0, 12.0, 3.0)]);
    assert_eq!(drain(&mut k), vec![stats(0, 7, 12, &[3.0])]);
    // 10 arrives late-but-in-grace: its left window is new, its right window
    // [11,16] is created from 12, and [7,12] receives it.
    feed(&mut k, &[(0, 10.0, 1.0)]);
    assert_eq!(
        drain(&mut k),
        vec![
            stats(0, 5, 10, &[1.0]),
            stats(0, 7, 12, &[3.0, 1.0]),
            stats(0, 11, 16, &[3.0])
        ]
    );
    assert!(drain(&mut k).is_empty());
}

#[test]
fn update_mode_emits_sealed_value_once() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 0);
    feed(&mut k, &[(1, 1.0, 1.0), (1, 2.0, 2.0)]);
    // [0,10) changed then closed before the drain: emitted sealed, once
    feed(&mut k, &[(1, 10.0, 5.0)]);
    assert_eq!(
        drain(&mut k),
        vec![stats(1, 0, 10, &[1.0, 2.0]), stats(1, 10, 20, &[5.0])]
    );
    k.advance_stream_time(50.0).unwrap();
    assert!(drain(&mut k).is_empty());
}

#[test]
fn sealed_rows_go_out_by_end_key_start() {
    let mut k = kernel(1, 10.0, 5.0, 0.0, 1);
    feed(&mut k, &[(2, 1.0, 1.0), (1, 8.0, 1.0), (0, 12.0, 1.0)]);
    let mut got = drain(&mut k);
    k.advance_stream_time(100.0).unwrap();
    got.extend(drain(&mut k));
    let want = vec![
        (1, 0, 10, 1),
        (2, 0, 10, 1),
        (0, 5, 15, 1),
        (1, 5, 15, 1),
        (0, 10, 20, 1),
    ];
    assert_eq!(key_start_count(&got), want);
}

#[test]
fn invalid_values_and_timestamps_are_counted_and_skipped() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 0);
    let recs = [
        (0, 5.0, NAN),
        (0, 5.0, f64::INFINITY),
        (0, 5.0, f64::NEG_INFINITY),
        (0, NAN, 1.0),
        (0, -1.0, 1.0),
        (0, f64::INFINITY, 1.0),
        (0, 9_007_199_254_740_994.0, 1.0),
        (0, NAN, NAN),
    ];
    let (st, z) = feed(&mut k, &recs);
    assert_eq!(st, vec![3, 3, 3, 2, 2, 2, 2, 2]);
    assert!(z.iter().all(|z| z.is_nan()));
    assert_eq!(k.invalid_records(), 8);
    assert_eq!(k.stream_time(), f64::NEG_INFINITY);
    assert!(drain(&mut k).is_empty());
    assert_eq!(k.advance_stream_time(NAN), Err(ErrorCode::InvalidTimestamp));
    assert_eq!(
        k.advance_stream_time(-0.5),
        Err(ErrorCode::InvalidTimestamp)
    );
}

#[test]
fn single_record_window_and_zscores() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 1);
    let (_, z) = feed(
        &mut k,
        &[(0, 1.0, 1.0), (0, 2.0, 2.0), (0, 3.0, 3.0), (0, 4.0, 3.0)],
    );
    assert_eq!(z[0], 0.0);
    assert!(close(z[1], 1.0 / 2f64.sqrt(), 1e-12));
    assert!(close(z[2], 1.0, 1e-12));
    k.advance_stream_time(10.0).unwrap();
    feed(&mut k, &[(3, 15.0, 42.0)]);
    k.advance_stream_time(20.0).unwrap();
    let rows = drain(&mut k);
    assert_eq!(rows[1], [3.0, 10.0, 20.0, 1.0, 42.0, 42.0, 42.0, 42.0, 0.0]);
}

#[test]
fn empty_drains() {
    let mut k = kernel(2, 5.0, 0.0, 0.0, 0);
    assert_eq!(k.drain(), 0);
    assert_eq!(k.drain(), 0);
    k.advance_stream_time(100.0).unwrap();
    assert_eq!(k.drain(), 0);
}

#[test]
fn variance_near_1e9_is_accurate() {
    for (kind, adv) in [(0, 0.0), (1, 1.0), (2, 0.0)] {
        // grace 1 keeps a sliding record's own left window open
        let mut k = kernel(kind, 1000.0, adv, 1.0, 1);
        let xs: Vec<f64> = (0..900)
            .map(|i| 1e9 + (((i * 7919) % 1009) as f64 / 1009.0 - 0.5) * 0.35)
            .collect();
        let recs: Vec<(u32, f64, f64)> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| (0, i as f64, x))
            .collect();
        feed(&mut k, &recs);
        k.advance_stream_time(1e6).unwrap();
        let rows = drain(&mut k);
        let r = rows.iter().find(|r| r[3] == 900.0).unwrap_or_else(|| {
            panic!(
                "kind {}: no window with every record in {:?}",
                kind,
                &rows[..rows.len().min(3)]
            )
        });
        let offs: Vec<f64> = xs.iter().map(|x| x - 1e9).collect();
        let mean = offs.iter().sum::<f64>() / 900.0;
        let m2: f64 = offs.iter().map(|d| (d - mean) * (d - mean)).sum();
        assert!(
            ((r[8] - m2) / m2).abs() < 1e-6,
            "kind {}: m2 {} vs {}",
            kind,
            r[8],
            m2
        );
        assert!((r[7] - (1e9 + mean)).abs() < 1e-6);
    }
}

#[test]
fn fetch_open_closed_and_expired_windows() {
    // retention 30: closed windows stay fetchable while start >= closeTime - 30
    let mut k = Kernel::from_raw(0, 10.0, 0.0, 0.0, 30.0, 1, false).unwrap();
    feed(&mut k, &[(0, 1.0, 1.0), (0, 12.0, 2.0)]);
    assert_eq!(k.fetch(0, 10.0), Some(stats(0, 10, 20, &[2.0])));
    assert_eq!(k.fetch(0, 0.0), Some(stats(0, 0, 10, &[1.0])));
    assert_eq!(k.fetch(0, 5.0), None);
    assert_eq!(k.fetch(0, 20.0), None);
    assert_eq!(k.fetch(7, 0.0), None);
    k.advance_stream_time(30.0).unwrap();
    assert!(k.fetch(0, 0.0).is_some());
    k.advance_stream_time(31.0).unwrap();
    assert_eq!(k.fetch(0, 0.0), None);
    assert!(k.fetch(0, 10.0).is_some());
    assert!(Kernel::from_raw(0, 10.0, 0.0, 0.0, 5.0, 1, false).is_err());
}

#[test]
fn batch_too_large() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 1);
    k.reserve(4);
    assert_eq!(k.capacity(), 4);
    assert_eq!(k.ingest(5), Err(ErrorCode::BatchTooLarge));
    assert_eq!(k.ingest(4), Ok(()));
}

fn stream(seed: u64, n: usize) -> Vec<(u32, f64, f64)> {
    let mut rng = super::common::Rng(seed);
    let mut t = 0i64;
    (0..n)
        .map(|_| {
            t += rng.range(0, 3);
            let ts = (t - if rng.chance(30) { rng.range(0, 20) } else { 0 }).max(0);
            (
                rng.below(5) as u32,
                ts as f64,
                rng.range(-100, 100) as f64 * 0.37,
            )
        })
        .collect()
}

#[test]
fn export_import_round_trip_gives_identical_output() {
    for kind in 0..3u32 {
        for emit in 0..2u32 {
            let recs = stream(kind as u64 * 10 + emit as u64 + 1, 400);
            let mut a = kernel(kind, 12.0, 4.0, 3.0, emit);
            let (s1, z1) = feed(&mut a, &recs[..200]);
            let bytes = a.export_state();
            let mut b = kernel(kind, 12.0, 4.0, 3.0, emit);
            b.import_state(&bytes).unwrap();
            assert_eq!(
                (b.stream_time(), b.late_records(), b.state_entries()),
                (a.stream_time(), a.late_records(), a.state_entries())
            );
            assert!(s1.iter().any(|&s| s == status::LATE) && z1.iter().any(|z| z.is_finite()));
            for chunk in recs[200..].chunks(37) {
                let ra = feed(&mut a, chunk);
                let rb = feed(&mut b, chunk);
                assert_eq!(ra.0, rb.0);
                assert_eq!(format!("{:?}", ra.1), format!("{:?}", rb.1));
                assert_eq!(drain(&mut a), drain(&mut b));
            }
            a.advance_stream_time(1e6).unwrap();
            b.advance_stream_time(1e6).unwrap();
            assert_eq!(drain(&mut a), drain(&mut b));
        }
    }
}

#[test]
fn corrupt_state_is_rejected_without_panicking() {
    let mut a = kernel(1, 12.0, 4.0, 3.0, 0);
    feed(&mut a, &stream(7, 300));
    let bytes = a.export_state();
    let mut b = kernel(1, 12.0, 4.0, 3.0, 0);
    for len in 0..bytes.len() {
        let e = b.import_state(&bytes[..len]).unwrap_err();
        assert_eq!(e.code, ErrorCode::StateCorrupt, "truncated to {}", len);
    }
    for i in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[i] ^= 1 << (i % 8);
        assert_eq!(
            b.import_state(&bad).unwrap_err().code,
            ErrorCode::StateCorrupt,
            "flip at {}",
            i
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        b.import_state(&longer).unwrap_err().code,
        ErrorCode::StateCorrupt
    );
    let mut rng = super::common::Rng(99);
    for _ in 0..200 {
        let junk: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
        assert_eq!(
            b.import_state(&junk).unwrap_err().code,
            ErrorCode::StateCorrupt
        );
    }
    // a failed import leaves the kernel untouched
    assert_eq!(
        b.export_state(),
        kernel(1, 12.0, 4.0, 3.0, 0).export_state()
    );
    b.import_state(&bytes).unwrap();
    assert_eq!(b.export_state(), bytes);
}

#[test]
fn state_from_another_spec_is_a_mismatch() {
    let mut a = kernel(1, 12.0, 4.0, 3.0, 0);
    feed(&mut a, &stream(3, 50));
    let bytes = a.export_state();
    for other in [
        kernel(1, 12.0, 3.0, 3.0, 0),
        kernel(1, 12.0, 4.0, 3.0, 1),
        kernel(0, 12.0, 4.0, 3.0, 0),
    ] {
        let mut o = other;
        let e = o.import_state(&bytes).unwrap_err();
        assert_eq!(e.code, ErrorCode::StateMismatch);
        assert!(e.detail.contains("advance 4 ms"), "{}", e.detail);
    }
    // tumbling/sliding ignore advance, so it is not part of their spec
    let mut t = kernel(0, 12.0, 4.0, 3.0, 0);
    let bytes = t.export_state();
    kernel(0, 12.0, 99.0, 3.0, 0).import_state(&bytes).unwrap();
    t.import_state(&bytes).unwrap();
}

#[test]
fn spec_validation_codes_and_messages() {
    let cases: Vec<(u32, f64, f64, f64, f64, u32, ErrorCode, &str)> = vec![
        (
            3,
            10.0,
            0.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidWindowKind,
            "got 3",
        ),
        (
            0,
            0.0,
            0.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidSize,
            "got 0 ms",
        ),
        (
            0,
            1.5,
            0.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidSize,
            "got 1.5 ms",
        ),
        (
            2,
            NAN,
            0.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidSize,
            "got NaN ms",
        ),
        (
            1,
            10000.0,
            20000.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidAdvance,
            "(size 10000 ms, got 20000 ms)",
        ),
        (
            1,
            10.0,
            0.0,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidAdvance,
            "(size 10 ms, got 0 ms)",
        ),
        (
            1,
            10.0,
            2.5,
            0.0,
            -1.0,
            0,
            ErrorCode::InvalidAdvance,
            "got 2.5 ms",
        ),
        (
            0,
            10.0,
            0.0,
            -1.0,
            -1.0,
            0,
            ErrorCode::InvalidGrace,
            "got -1 ms",
        ),
        (
            0,
            10.0,
            0.0,
            5.0,
            14.0,
            0,
            ErrorCode::InvalidRetention,
            "(size + grace 15 ms, got 14 ms)",
        ),
        (
            0,
            10.0,
            0.0,
            5.0,
            NAN,
            0,
            ErrorCode::InvalidRetention,
            "got NaN ms",
        ),
        (
            0,
            10.0,
            0.0,
            5.0,
            15.0,
            2,
            ErrorCode::InvalidEmitMode,
            "got 2",
        ),
    ];
    for (kind, size, adv, grace, ret, emit, code, msg) in cases {
        let e = Kernel::from_raw(kind, size, adv, grace, ret, emit, false).unwrap_err();
        assert_eq!(e.code, code, "{}", e);
        assert!(
            e.to_string().contains(msg),
            "{:?} should contain {:?}",
            e.detail,
            msg
        );
    }
    assert_eq!(
        Kernel::from_raw(1, 10000.0, 20000.0, 0.0, -1.0, 0, false)
            .unwrap_err()
            .to_string(),
        "advance must be an integer > 0 and <= size (size 10000 ms, got 20000 ms)"
    );
    // hopping without an advance (NaN on the boundary) hops by size
    assert_eq!(
        Kernel::from_raw(1, 10.0, NAN, 0.0, -1.0, 0, false)
            .unwrap()
            .spec()
            .advance,
        10
    );
    // tumbling and sliding ignore advance entirely
    assert!(Kernel::from_raw(0, 10.0, NAN, 0.0, -1.0, 0, false).is_ok());
    assert!(Kernel::from_raw(2, 10.0, -3.0, 0.0, f64::INFINITY, 1, true).is_ok());
}

#[test]
fn error_code_table_is_exact() {
    assert_eq!(
        ErrorCode::table(),
        "0:OK,1:INVALID_WINDOW_KIND,2:INVALID_SIZE,3:INVALID_ADVANCE,4:INVALID_GRACE,5:INVALID_RETENTION,6:INVALID_EMIT_MODE,7:BATCH_TOO_LARGE,8:INVALID_TIMESTAMP,9:STATE_CORRUPT,10:STATE_MISMATCH"
    );
}

#[test]
fn many_keys_are_held_without_trouble() {
    let mut k = kernel(0, 10.0, 0.0, 0.0, 1);
    let n = 200_000u32;
    let recs: Vec<(u32, f64, f64)> = (0..n).map(|i| (i, (i / 1000) as f64 * 0.01, 1.0)).collect();
    feed(&mut k, &recs);
    assert_eq!(k.key_count(), n);
    k.advance_stream_time(1e6).unwrap();
    assert_eq!(k.drain(), n as usize);
    assert_eq!((k.key_count(), k.state_entries()), (0, 0));
}

#[test]
fn sliding_close_and_lateness_follow_kafka() {
    // D 5, grace 0: a window stays open while its inclusive end == closeTime
    let mut k = kernel(2, 5.0, 0.0, 0.0, 1);
    let (st, z) = feed(&mut k, &[(0, 10.0, 1.0), (0, 12.0, 3.0)]);
    assert_eq!(st, vec![0, 0]);
    assert!(close(z[1], 1.0 / 2f64.sqrt(), 1e-12)); // left window [7,12] = {1, 3}
                                                    // [5,10] was open at 10's arrival (end == closeTime) and closed at 12's
    assert_eq!(drain(&mut k), vec![stats(0, 5, 10, &[1.0])]);
    // ST 15 closes [7,12] (12 < 15)
    feed(&mut k, &[(1, 15.0, 0.0)]);
    assert_eq!(drain(&mut k), vec![stats(0, 7, 12, &[1.0, 3.0])]);
    // 9 + 5 + 1 <= 15: late. 10 is not late but no open window holds it,
    // and its own left window is closed, so z is NaN.
    let (st, z) = feed(&mut k, &[(0, 9.0, 7.0), (0, 10.0, 5.0)]);
    assert_eq!(st, vec![status::LATE, status::APPLIED]);
    assert!(z[1].is_nan());
    assert_eq!(k.late_records(), 1);
    k.advance_stream_time(100.0).unwrap();
    assert_eq!(
        drain(&mut k),
        vec![stats(1, 10, 15, &[0.0]), stats(0, 11, 16, &[3.0])]
    );
}

#[test]
fn dense_grid_equals_per_key_storage_and_hands_over_to_it_when_keys_outgrow_it() {
    // Hopping windows in final mode without z-scores start on the dense grid;
    // with z-scores the same spec runs on per-key storage. Rows must agree.
    let mut dense = Kernel::from_raw(1, 12.0, 4.0, 3.0, -1.0, 1, false).unwrap();
    let mut per_key = kernel(1, 12.0, 4.0, 3.0, 1);
    assert!(dense.eng.dense.is_some() && per_key.eng.dense.is_none());
    let mut recs = stream(99, 3000);
    // A key id beyond the grid's limit, two thirds of the way in.
    let limit = dense.eng.dense.as_ref().unwrap().key_limit() as u32;
    recs[2000].0 = limit + 7;
    let mut handed_over_at = None;
    for (i, chunk) in recs.chunks(50).enumerate() {
        let (sd, _) = feed(&mut dense, chunk);
        let (sp, _) = feed(&mut per_key, chunk);
        assert_eq!(sd, sp, "statuses of chunk {}", i);
        super::common::rows_close(&drain(&mut dense), &drain(&mut per_key)).unwrap();
        assert_eq!(
            dense.state_entries(),
            per_key.state_entries(),
            "entries after chunk {}",
            i
        );
        assert_eq!(
            dense.key_count(),
            per_key.key_count(),
            "keys after chunk {}",
            i
        );
        if handed_over_at.is_none() && dense.eng.dense.is_none() {
            handed_over_at = Some(i);
        }
    }
    assert_eq!(handed_over_at, Some(2000 / 50));
    dense.advance_stream_time(1e6).unwrap();
    per_key.advance_stream_time(1e6).unwrap();
    super::common::rows_close(&drain(&mut dense), &drain(&mut per_key)).unwrap();
    assert_eq!((dense.state_entries(), dense.key_count()), (0, 0));
}

#[test]
fn dense_grid_state_round_trips_through_export_and_import() {
    let recs = stream(7, 1200);
    let mut a = Kernel::from_raw(1, 12.0, 4.0, 3.0, -1.0, 1, false).unwrap();
    feed(&mut a, &recs[..600]);
    let bytes = a.export_state();
    let mut b = Kernel::from_raw(1, 12.0, 4.0, 3.0, -1.0, 1, false).unwrap();
    b.import_state(&bytes).unwrap();
    assert!(
        b.eng.dense.is_some(),
        "an exported grid comes back as a grid"
    );
    assert!(b.export_state() == bytes);
    assert_eq!(
        (b.state_entries(), b.key_count()),
        (a.state_entries(), a.key_count())
    );
    for chunk in recs[600..].chunks(41) {
        assert_eq!(feed(&mut a, chunk).0, feed(&mut b, chunk).0);
        super::common::rows_close(&drain(&mut b), &drain(&mut a)).unwrap();
    }
    a.advance_stream_time(1e6).unwrap();
    b.advance_stream_time(1e6).unwrap();
    super::common::rows_close(&drain(&mut b), &drain(&mut a)).unwrap();
}
