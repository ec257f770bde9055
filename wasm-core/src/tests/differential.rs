//! Randomized differential test: the optimized kernel against the
//! brute-force oracle in `common`, for every kind and emit mode, on
//! small streams with disorder, late and invalid records.

use super::common::{close, drain, feed, rows_close, Oracle, Rng};
use crate::Kernel;

struct Case {
    kind: u32,
    size: i64,
    adv: i64,
    grace: i64,
    final_mode: bool,
    /// Without z-scores hopping windows in final mode use the dense grid.
    zscore: bool,
    /// Occasionally a key id too large for the dense grid (it moves to per-key storage).
    big_keys: bool,
}

fn random_case(rng: &mut Rng) -> Case {
    let kind = rng.below(3) as u32;
    let size = rng.range(1, 12);
    let adv = rng.range(1, size);
    Case {
        kind,
        size,
        adv,
        grace: if rng.chance(30) { 0 } else { rng.range(0, 10) },
        final_mode: rng.chance(50),
        zscore: true,
        big_keys: false,
    }
}

fn random_dense_case(rng: &mut Rng) -> Case {
    let size = rng.range(2, 12);
    Case {
        kind: 1,
        size,
        adv: rng.range(1, size - 1),
        grace: if rng.chance(30) { 0 } else { rng.range(0, 10) },
        final_mode: true,
        zscore: false,
        big_keys: rng.chance(5),
    }
}

fn run(seed: u64, case: &Case) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut k = Kernel::from_raw(
        case.kind,
        case.size as f64,
        case.adv as f64,
        case.grace as f64,
        -1.0,
        case.final_mode as u32,
        case.zscore,
    )
    .unwrap();
    let mut o = Oracle::new(case.kind, case.size, case.adv, case.grace, case.final_mode);
    let nkeys = rng.range(1, 4) as u32;
    let n = rng.range(1, 160);
    let mut base = rng.range(0, 20);
    let mut i = 0;
    let ctx = |what: &str| {
        format!(
            "seed {} kind {} size {} adv {} grace {} final {}: {}",
            seed, case.kind, case.size, case.adv, case.grace, case.final_mode, what
        )
    };
    while i < n {
        let batch = rng.range(1, 12).min(n - i);
        let mut recs = vec![];
        for _ in 0..batch {
            base += rng.range(0, 3);
            if rng.chance(3) {
                base += rng.range(10, 40);
            }
            let mut ts = (base - if rng.chance(35) { rng.range(0, 18) } else { 0 }).max(0) as f64;
            if rng.chance(10) {
                ts += 0.5;
            }
            let mut v = rng.range(-20, 20) as f64 + if rng.chance(30) { 0.25 } else { 0.0 };
            if rng.chance(2) {
                v = f64::NAN;
            }
            if rng.chance(2) {
                ts = if rng.chance(50) { -1.0 } else { f64::INFINITY };
            }
            let key = if case.big_keys && rng.chance(3) {
                60_000 + rng.below(4) as u32
            } else {
                rng.below(nkeys as u64) as u32
            };
            recs.push((key, ts, v));
        }
        let (st, z) = feed(&mut k, &recs);
        for (j, r) in recs.iter().enumerate() {
            let (ost, oz) = o.process(r.0, r.1, r.2);
            assert_eq!(st[j], ost, "{}", ctx(&format!("status of {:?}", r)));
            assert!(
                if case.zscore {
                    close(z[j], oz, 1e-6)
                } else {
                    z[j].is_nan()
                },
                "{}",
                ctx(&format!("z of {:?}: got {}, want {}", r, z[j], oz))
            );
        }
        i += batch;
        if rng.chance(15) {
            let t = base + rng.range(-5, 15);
            if t >= 0 {
                k.advance_stream_time(t as f64).unwrap();
                o.advance(t);
            }
        }
        if rng.chance(20) {
            // Export/import mid-stream must not change anything that follows.
            let bytes = k.export_state();
            let mut k2 = Kernel::from_raw(
                case.kind,
                case.size as f64,
                case.adv as f64,
                case.grace as f64,
                -1.0,
                case.final_mode as u32,
                case.zscore,
            )
            .unwrap();
            k2.import_state(&bytes).unwrap();
            assert!(
                k2.export_state() == bytes,
                "{}",
                ctx("re-export gives other bytes")
            );
            k = k2;
        }
        if rng.chance(50) {
            rows_close(&drain(&mut k), &o.drain()).unwrap_or_else(|e| panic!("{}", ctx(&e)));
        }
        // Open windows are fetchable with their exact value.
        for (&(key, s), xs) in o.live.iter() {
            let got = k
                .fetch(key, s as f64)
                .unwrap_or_else(|| panic!("{}", ctx(&format!("fetch {} {}", key, s))));
            rows_close(&[got], &[super::common::stats(key, s, o.end(s), xs)])
                .unwrap_or_else(|e| panic!("{}", ctx(&e)));
        }
        assert_eq!(k.late_records(), o.late, "{}", ctx("late"));
        assert_eq!(k.invalid_records(), o.invalid, "{}", ctx("invalid"));
        assert_eq!(
            k.stream_time(),
            o.st.map_or(f64::NEG_INFINITY, |s| s as f64),
            "{}",
            ctx("stream time")
        );
    }
    rows_close(&drain(&mut k), &o.drain()).unwrap_or_else(|e| panic!("{}", ctx(&e)));
    let end = base + 100;
    k.advance_stream_time(end as f64).unwrap();
    o.advance(end);
    rows_close(&drain(&mut k), &o.drain()).unwrap_or_else(|e| panic!("{}", ctx(&e)));
    assert_eq!(k.state_entries(), 0, "{}", ctx("everything evicted"));
    assert_eq!(k.key_count(), 0, "{}", ctx("no live keys"));
}

#[test]
fn kernel_matches_brute_force_oracle() {
    let mut rng = Rng(0x5eed);
    for seed in 0..1500u64 {
        let case = random_case(&mut rng);
        run(seed, &case);
    }
}

#[test]
fn dense_grid_matches_brute_force_oracle() {
    let mut rng = Rng(0xde75e);
    for seed in 0..600u64 {
        let case = random_dense_case(&mut rng);
        run(20_000 + seed, &case);
    }
}

#[test]
fn every_kind_and_mode_is_covered() {
    for kind in 0..3u32 {
        for final_mode in [false, true] {
            for (seed, (size, adv, grace)) in
                [(5, 5, 0), (10, 4, 3), (6, 2, 0), (7, 3, 12), (1, 1, 0)]
                    .iter()
                    .enumerate()
            {
                let case = Case {
                    kind,
                    size: *size,
                    adv: *adv,
                    grace: *grace,
                    final_mode,
                    zscore: true,
                    big_keys: false,
                };
                for s in 0..20u64 {
                    run(10_000 + s * 7 + seed as u64, &case);
                }
            }
        }
    }
}
