//! Shared test helpers: a brute-force oracle of the README semantics, a
//! seeded PRNG and kernel drivers.

use crate::{Kernel, Row};
use std::collections::{BTreeMap, BTreeSet};

/// xorshift64*: deterministic, dependency-free randomness.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Naive statistics of a window's values.
pub fn stats(key: u32, start: i64, end: i64, xs: &[f64]) -> Row {
    let n = xs.len() as f64;
    let sum: f64 = xs.iter().sum();
    let mean = sum / n;
    let m2: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    [
        key as f64,
        start as f64,
        end as f64,
        n,
        sum,
        min,
        max,
        mean,
        m2,
    ]
}

fn zscore(xs: &[f64], x: f64) -> f64 {
    let r = stats(0, 0, 0, xs);
    if r[3] < 2.0 {
        return 0.0;
    }
    let sd = (r[8] / (r[3] - 1.0)).sqrt();
    if sd == 0.0 {
        0.0
    } else {
        (x - r[7]) / sd
    }
}

/// The README semantics, recomputed literally per record.
pub struct Oracle {
    pub kind: u32,
    pub size: i64,
    pub adv: i64,
    pub grace: i64,
    pub retention: i64,
    pub final_mode: bool,
    pub st: Option<i64>,
    pub late: u64,
    pub invalid: u64,
    recs: BTreeMap<u32, Vec<(i64, f64)>>,
    pub live: BTreeMap<(u32, i64), Vec<f64>>,
    dirty: BTreeSet<(u32, i64)>,
    sealed: Vec<Row>,
}

impl Oracle {
    pub fn new(kind: u32, size: i64, adv: i64, grace: i64, final_mode: bool) -> Oracle {
        Oracle {
            kind,
            size,
            adv: if kind == 0 { size } else { adv },
            grace,
            retention: size + grace,
            final_mode,
            st: None,
            late: 0,
            invalid: 0,
            recs: BTreeMap::new(),
            live: BTreeMap::new(),
            dirty: BTreeSet::new(),
            sealed: Vec::new(),
        }
    }

    pub fn end(&self, s: i64) -> i64 {
        s + self.size
    }

    /// Exclusive end: sliding windows close once their inclusive end < closeTime.
    fn close_end(&self, s: i64) -> i64 {
        if self.kind == 2 {
            s + self.size + 1
        } else {
            s + self.size
        }
    }

    fn ct(&self) -> i64 {
        self.st.map_or(i64::MIN / 2, |s| s - self.grace)
    }

    pub fn advance(&mut self, t: i64) {
        if self.st.map_or(false, |s| t <= s) {
            return;
        }
        self.st = Some(t);
        let ct = self.ct();
        let mut closing: Vec<(u32, i64)> = self
            .live
            .keys()
            .filter(|(_, s)| self.close_end(*s) <= ct)
            .cloned()
            .collect();
        closing.sort_by_key(|w| (self.end(w.1), w.0, w.1));
        for w in closing {
            let xs = self.live.remove(&w).unwrap();
            let was_dirty = self.dirty.remove(&w);
            if self.final_mode || was_dirty {
                self.sealed.push(stats(w.0, w.1, self.end(w.1), &xs));
            }
        }
    }

    /// Window starts over the timestamp set `ts` (sliding only).
    fn sliding_starts(&self, ts: &BTreeSet<i64>) -> BTreeSet<i64> {
        let d = self.size;
        let mut out = BTreeSet::new();
        for &t in ts {
            out.insert(t - d);
            if ts.range(t + 1..=t + 1 + d).next().is_some() {
                out.insert(t + 1);
            }
        }
        out
    }

    pub fn process(&mut self, key: u32, ts: f64, x: f64) -> (u8, f64) {
        if !(ts.is_finite() && ts >= 0.0 && ts <= 9_007_199_254_740_992.0) {
            self.invalid += 1;
            return (2, f64::NAN);
        }
        if !x.is_finite() {
            self.invalid += 1;
            return (3, f64::NAN);
        }
        let t = ts.floor() as i64;
        self.advance(t);
        let ct = self.ct();
        if self.kind != 2 {
            let kmax = t / self.adv;
            if kmax * self.adv + self.size <= ct {
                self.late += 1;
                return (1, f64::NAN);
            }
            for k in 0..=kmax {
                let s = k * self.adv;
                if s <= t && t < s + self.size && s + self.size > ct {
                    self.live.entry((key, s)).or_default().push(x);
                    self.dirty.insert((key, s));
                }
            }
            let z = zscore(&self.live[&(key, kmax * self.adv)], x);
            (0, z)
        } else {
            let d = self.size;
            if t + d + 1 <= ct {
                self.late += 1;
                return (1, f64::NAN);
            }
            self.recs.entry(key).or_default().push((t, x));
            for (w, xs) in self.live.range_mut((key, t - d)..=(key, t)) {
                xs.push(x);
                self.dirty.insert(*w);
            }
            let tset: BTreeSet<i64> = self.recs[&key].iter().map(|r| r.0).collect();
            for s in self.sliding_starts(&tset) {
                if s + d + 1 > ct && !self.live.contains_key(&(key, s)) {
                    let xs: Vec<f64> = self.recs[&key]
                        .iter()
                        .filter(|r| r.0 >= s && r.0 <= s + d)
                        .map(|r| r.1)
                        .collect();
                    self.live.insert((key, s), xs);
                    self.dirty.insert((key, s));
                }
            }
            let z = match self.live.get(&(key, t - d)) {
                Some(xs) => zscore(xs, x),
                None => f64::NAN,
            };
            (0, z)
        }
    }

    pub fn drain(&mut self) -> Vec<Row> {
        let mut out = std::mem::take(&mut self.sealed);
        if !self.final_mode {
            for w in std::mem::take(&mut self.dirty) {
                out.push(stats(w.0, w.1, self.end(w.1), &self.live[&w]));
            }
        }
        out
    }
}

pub fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= rel * (1.0 + a.abs().max(b.abs()))
}

pub fn rows_close(got: &[Row], want: &[Row]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "row count: got {}, want {}\n got {:?}\nwant {:?}",
            got.len(),
            want.len(),
            got,
            want
        ));
    }
    for (g, w) in got.iter().zip(want) {
        let exact = g[..4] == w[..4] && g[5] == w[5] && g[6] == w[6];
        let approx = close(g[4], w[4], 1e-9) && close(g[7], w[7], 1e-9) && close(g[8], w[8], 1e-7);
        if !(exact && approx) {
            return Err(format!(
                "row differs: got {:?}, want {:?}\n got {:?}\nwant {:?}",
                g, w, got, want
            ));
        }
    }
    Ok(())
}

/// Feeds records as one batch; returns statuses and z-scores.
pub fn feed(k: &mut Kernel, recs: &[(u32, f64, f64)]) -> (Vec<u8>, Vec<f64>) {
    k.reserve(recs.len());
    {
        let inp = k.input();
        for (i, r) in recs.iter().enumerate() {
            inp.keys[i] = r.0;
            inp.ts[i] = r.1;
            inp.values[i] = r.2;
        }
    }
    k.ingest(recs.len()).unwrap();
    (
        k.statuses()[..recs.len()].to_vec(),
        k.z_scores()[..recs.len()].to_vec(),
    )
}

pub fn drain(k: &mut Kernel) -> Vec<Row> {
    let n = k.drain();
    k.rows()[..n].to_vec()
}
