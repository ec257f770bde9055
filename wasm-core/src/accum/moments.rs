//! Count/sum/min/max plus Welford mean and M2, merged with Chan et al.

/// Moments of a multiset of finite values.
///
/// Mean and M2 are kept directly (Welford) instead of sums of squares,
/// because values around 1e9 with a variance near 1e-2 would lose every
/// significant digit of the variance to cancellation in `sum(x^2) - n*mean^2`.
/// They are also kept relative to `shift` (the first value seen): around
/// 1e9 an absolute mean has an ulp of ~1e-7, which would otherwise cap the
/// variance at ~6 digits; relative to the data the mean is small and exact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// Number of values (an f64 because it leaves the kernel as one).
    pub count: f64,
    /// Plain running sum.
    pub sum: f64,
    /// Smallest value; `+inf` when empty.
    pub min: f64,
    /// Largest value; `-inf` when empty.
    pub max: f64,
    /// Reference point of `rel_mean`; the first value, 0 when empty.
    pub shift: f64,
    /// `mean - shift`.
    pub rel_mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments::EMPTY
    }
}

impl Moments {
    /// The identity of `merge`.
    pub const EMPTY: Moments = Moments {
        count: 0.0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        shift: 0.0,
        rel_mean: 0.0,
        m2: 0.0,
    };

    /// Moments of a single value.
    #[inline]
    pub fn of(x: f64) -> Moments {
        Moments {
            count: 1.0,
            sum: x,
            min: x,
            max: x,
            shift: x,
            rel_mean: 0.0,
            m2: 0.0,
        }
    }

    /// True when no value was added.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0.0
    }

    /// Arithmetic mean; 0 when empty.
    #[inline]
    pub fn mean(&self) -> f64 {
        self.shift + self.rel_mean
    }

    /// Welford's update.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if self.count == 0.0 {
            *self = Moments::of(x);
            return;
        }
        self.count += 1.0;
        self.sum += x;
        if x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
        let d = x - self.shift;
        let delta = d - self.rel_mean;
        self.rel_mean += delta / self.count;
        self.m2 += delta * (d - self.rel_mean);
    }

    /// Chan et al.'s parallel combination; `self` is taken as the older part.
    #[inline]
    pub fn merge(&self, other: &Moments) -> Moments {
        if other.count == 0.0 {
            return *self;
        }
        if self.count == 0.0 {
            return *other;
        }
        let n = self.count + other.count;
        // Shifts first: both near the data, so their difference is exact.
        let delta = (other.shift - self.shift) + (other.rel_mean - self.rel_mean);
        Moments {
            count: n,
            sum: self.sum + other.sum,
            min: if other.min < self.min {
                other.min
            } else {
                self.min
            },
            max: if other.max > self.max {
                other.max
            } else {
                self.max
            },
            shift: self.shift,
            rel_mean: self.rel_mean + delta * (other.count / n),
            m2: self.m2 + other.m2 + delta * delta * (self.count * other.count / n),
        }
    }

    /// Sample standard deviation, NaN below two values.
    #[inline]
    pub fn sample_stddev(&self) -> f64 {
        if self.count < 2.0 {
            f64::NAN
        } else {
            (self.m2 / (self.count - 1.0)).sqrt()
        }
    }

    /// The README's z-score of `x` against these moments (which include `x`).
    #[inline]
    pub fn zscore(&self, x: f64) -> f64 {
        if self.count < 2.0 {
            return 0.0;
        }
        let sd = self.sample_stddev();
        if sd == 0.0 || sd.is_nan() {
            0.0
        } else {
            ((x - self.shift) - self.rel_mean) / sd
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Moments;

    fn welford(xs: &[f64]) -> Moments {
        let mut m = Moments::EMPTY;
        for &x in xs {
            m.add(x);
        }
        m
    }

    fn noise(i: usize) -> f64 {
        // deterministic, well spread in [-0.5, 0.5)
        ((i * 7919 + 13) % 1009) as f64 / 1009.0 - 0.5
    }

    #[test]
    fn chan_merge_matches_sequential_welford() {
        let xs: Vec<f64> = (0..1000).map(|i| 3.0 + 2.0 * noise(i)).collect();
        let all = welford(&xs);
        for cut in [1usize, 7, 500, 999] {
            let m = welford(&xs[..cut]).merge(&welford(&xs[cut..]));
            assert_eq!(m.count, all.count);
            assert_eq!(m.min, all.min);
            assert_eq!(m.max, all.max);
            assert!(((m.mean() - all.mean()) / all.mean()).abs() < 1e-12);
            assert!(
                ((m.m2 - all.m2) / all.m2).abs() < 1e-12,
                "{} vs {}",
                m.m2,
                all.m2
            );
        }
    }

    #[test]
    fn variance_near_1e9_keeps_six_digits() {
        // 1e9 + noise with variance ~1e-2; the truth is computed on the
        // exactly representable offsets x - 1e9.
        let xs: Vec<f64> = (0..10_000).map(|i| 1e9 + 0.35 * noise(i)).collect();
        let offs: Vec<f64> = xs.iter().map(|x| x - 1e9).collect();
        let mean = offs.iter().sum::<f64>() / offs.len() as f64;
        let truth: f64 = offs.iter().map(|d| (d - mean) * (d - mean)).sum();
        let seq = welford(&xs);
        let merged = welford(&xs[..3333]).merge(&welford(&xs[3333..]));
        for m in [seq, merged] {
            let var = m.m2 / (m.count - 1.0);
            assert!((var - 1e-2).abs() < 2e-3, "variance {}", var);
            assert!(
                ((m.m2 - truth) / truth).abs() < 1e-9,
                "m2 {} vs {}",
                m.m2,
                truth
            );
        }
    }

    #[test]
    fn empty_is_merge_identity() {
        let a = welford(&[1.0, 2.0]);
        assert_eq!(a.merge(&Moments::EMPTY), a);
        assert_eq!(Moments::EMPTY.merge(&a), a);
    }
}
