//! Where records and windows sit on the time axis, for all three kinds.
//!
//! Tumbling and hopping windows are cut into slices of `g = gcd(size,
//! advance)` ms: slice `j` covers `[j*g, (j+1)*g)`, window `k` (start
//! `k*advance`) is slices `[k*a, k*a + m)` with `a = advance/g`, `m = size/g`.
//! A record touches exactly one slice whatever `size/advance` is.
//! Sliding windows are ranges over per-timestamp atoms (see `sliding`).

use super::entries::{lower_bound_front, Entry};
use super::sliding;
use super::spec::{WindowKind, WindowSpec};

/// `floor(a / b)` for `b > 0`.
#[inline]
pub fn floor_div(a: i64, b: i64) -> i64 {
    let q = a / b;
    if (a % b != 0) && (a < 0) {
        q - 1
    } else {
        q
    }
}

/// `ceil(a / b)` for `b > 0`.
#[inline]
pub fn ceil_div(a: i64, b: i64) -> i64 {
    -floor_div(-a, b)
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Precomputed window arithmetic for one spec.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    /// True for sliding windows.
    pub sliding: bool,
    /// Window size, or `D`.
    pub size: i64,
    /// Advance (tumbling: size); 1 for sliding, where starts are any integer.
    pub step: i64,
    /// Slice width (tumbling/hopping).
    pub g: i64,
    /// Slices per advance.
    pub a: i64,
    /// Slices per window.
    pub m: i64,
    /// `end - start` of every window as emitted (exclusive end for
    /// tumbling/hopping, inclusive for sliding).
    pub span: i64,
    /// `exclusive end - start`: a window closes when `start + close_span <=
    /// closeTime` (sliding windows stay open while their inclusive end
    /// equals closeTime, as in Kafka Streams).
    pub close_span: i64,
    /// Retention in ms.
    pub retention: i64,
}

impl Geometry {
    /// Geometry of a validated spec.
    pub fn new(spec: &WindowSpec) -> Geometry {
        let sliding = spec.kind == WindowKind::Sliding;
        let (step, g) = if sliding {
            (1, 1)
        } else {
            (spec.advance, gcd(spec.size, spec.advance))
        };
        Geometry {
            sliding,
            size: spec.size,
            step,
            g,
            a: step / g,
            m: spec.size / g,
            span: spec.size,
            close_span: if sliding { spec.size + 1 } else { spec.size },
            retention: spec.retention,
        }
    }

    /// Whether window values need the two-stack aggregation (more than one
    /// entry per window); tumbling windows are exactly one slice.
    #[inline]
    pub fn multi_entry(&self) -> bool {
        self.sliding || self.m > 1
    }

    /// Entry position a record at `t` lands in.
    #[inline]
    pub fn entry_pos(&self, t: i64) -> i64 {
        if self.sliding {
            t
        } else {
            t / self.g
        }
    }

    /// The README lateness rule: the newest window that could hold `t` is closed.
    #[inline]
    pub fn is_late(&self, t: i64, close_time: i64) -> bool {
        if self.sliding {
            t + self.size + 1 <= close_time
        } else {
            (t / self.step) * self.step + self.size <= close_time
        }
    }

    /// Smallest valid window start whose window is still open at `close_time`.
    #[inline]
    pub fn min_open_start(&self, close_time: i64) -> i64 {
        if self.sliding {
            close_time - self.size
        } else {
            let k = floor_div(close_time - self.size, self.step) + 1;
            if k < 0 {
                0
            } else {
                k * self.step
            }
        }
    }

    /// Tumbling/hopping: the slice holding `t >= 0`, `t / g`. Divides in
    /// f64 and corrects the rounding with two multiplications: an i64
    /// division costs several times more, and this is once per record.
    #[inline]
    pub fn slice_of(&self, t: i64) -> i64 {
        let mut p = (t as f64 / self.g as f64) as i64;
        if p * self.g > t {
            p -= 1;
        } else if (p + 1) * self.g <= t {
            p += 1;
        }
        p
    }

    /// Tumbling/hopping: index of the first window still open at
    /// `close_time` (window `k` starts at `k * step`); windows below it are
    /// closed.
    #[inline]
    pub fn first_open_window(&self, close_time: i64) -> i64 {
        let k = floor_div(close_time - self.size, self.step) + 1;
        if k < 0 {
            0
        } else {
            k
        }
    }

    /// Start of the oldest window containing `t` (may be negative for sliding).
    #[inline]
    pub fn oldest_start_containing(&self, t: i64) -> i64 {
        if self.sliding {
            t - self.size
        } else {
            let k = floor_div(t - self.size, self.step) + 1;
            if k < 0 {
                0
            } else {
                k * self.step
            }
        }
    }

    /// Start of the newest window containing `t`.
    #[inline]
    pub fn newest_start_containing(&self, t: i64) -> i64 {
        if self.sliding {
            t
        } else {
            (t / self.step) * self.step
        }
    }

    /// Entry positions `[lo, hi)` making up the window starting at `start`.
    #[inline]
    pub fn entry_range(&self, start: i64) -> (i64, i64) {
        if self.sliding {
            (start, start + self.size + 1)
        } else {
            let lo = (start / self.step) * self.a;
            (lo, lo + self.m)
        }
    }

    /// Smallest start `>= from` of a window that exists given the entries:
    /// tumbling/hopping windows exist when they hold a record, sliding
    /// windows by the README's left/right-window rule.
    #[inline]
    pub fn next_window(&self, es: &[Entry], from: i64) -> Option<i64> {
        if self.sliding {
            return sliding::next_window(es, from, self.size);
        }
        let mut k = ceil_div(from, self.step);
        if k < 0 {
            k = 0;
        }
        let i = lower_bound_front(es, k * self.a);
        let j = es.get(i)?.pos;
        let k2 = ceil_div(j - self.m + 1, self.a);
        Some(if k2 > k { k2 } else { k } * self.step)
    }

    /// Whether the window at `start` exists given the entries.
    pub fn window_exists(&self, es: &[Entry], start: i64) -> bool {
        self.next_window(es, start) == Some(start)
    }

    /// How many leading entries lie wholly before `cutoff` ms.
    #[inline]
    pub fn evictable(&self, es: &[Entry], cutoff: i64) -> usize {
        if self.sliding {
            // atom `s - 1` decides whether the right window at `s` exists
            lower_bound_front(es, cutoff - 1)
        } else {
            // slice j ends at (j+1)*g <= cutoff  <=>  j < floor(cutoff/g)
            lower_bound_front(es, floor_div(cutoff, self.g))
        }
    }

    /// Close time at which `e` becomes evictable.
    #[inline]
    pub fn evict_time(&self, e: &Entry) -> i64 {
        if self.sliding {
            e.pos + 2 + self.retention
        } else {
            (e.pos + 1) * self.g + self.retention
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_of_equals_integer_division() {
        for (size, adv) in [
            (10_000, 10_000),
            (60_000, 1_000),
            (7, 3),
            (1, 1),
            (999_999_937, 999_999_937),
        ] {
            let spec = WindowSpec::new(1, size as f64, adv as f64, 0.0, -1.0, 1, false).unwrap();
            let geo = Geometry::new(&spec);
            let big = (1i64 << 53) - 1;
            for t in [
                0,
                1,
                geo.g - 1,
                geo.g,
                geo.g + 1,
                1_700_000_000_000,
                big,
                big - 1,
                big / geo.g * geo.g,
                big / geo.g * geo.g - 1,
            ] {
                if t >= 0 {
                    assert_eq!(geo.slice_of(t), t / geo.g, "t={} g={}", t, geo.g);
                }
            }
        }
    }

    #[test]
    fn division_rounds_towards_minus_infinity() {
        assert_eq!(floor_div(-1, 5), -1);
        assert_eq!(floor_div(-5, 5), -1);
        assert_eq!(floor_div(4, 5), 0);
        assert_eq!(ceil_div(-4, 5), 0);
        assert_eq!(ceil_div(6, 5), 2);
        assert_eq!(ceil_div(5, 5), 1);
    }
}
