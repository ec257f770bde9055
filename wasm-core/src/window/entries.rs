//! A key's slices (tumbling/hopping) or atoms (sliding): non-empty moments
//! sorted by position, with the first two held inline.
//!
//! Two inline entries cover the steady state of a tumbling key (the open
//! window plus the previous one kept for retention), so a million keys cost
//! no heap allocation each; keys needing more spill to a `Vec`.

use crate::accum::Moments;

/// One slice (position = slice index) or atom (position = timestamp).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// Slice index or timestamp in ms.
    pub pos: i64,
    /// Statistics of the records that landed here.
    pub m: Moments,
}

const INLINE: usize = 2;
const UNUSED: Entry = Entry {
    pos: 0,
    m: Moments::EMPTY,
};

/// Sorted, position-unique entries of one key.
#[derive(Clone, Debug)]
pub enum Entries {
    /// Up to `INLINE` entries; the `u8` is how many are used.
    Inline(u8, [Entry; INLINE]),
    /// Spilled; entries live at `vec[head..]` so dropping old ones is O(1).
    Spilled(u32, Vec<Entry>),
}

impl Default for Entries {
    fn default() -> Self {
        Entries::Inline(0, [UNUSED; INLINE])
    }
}

impl Entries {
    /// The entries in position order.
    #[inline]
    pub fn as_slice(&self) -> &[Entry] {
        match self {
            Entries::Inline(n, a) => &a[..*n as usize],
            Entries::Spilled(head, v) => &v[*head as usize..],
        }
    }

    #[inline]
    fn as_mut_slice(&mut self) -> &mut [Entry] {
        match self {
            Entries::Inline(n, a) => &mut a[..*n as usize],
            Entries::Spilled(head, v) => &mut v[*head as usize..],
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when the key holds nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of the first entry with `pos >= p`.
    #[inline]
    pub fn lower_bound(&self, p: i64) -> usize {
        lower_bound(self.as_slice(), p)
    }

    /// Adds `x` at position `p`; returns the entry's index and whether it is new.
    #[inline]
    pub fn add(&mut self, p: i64, x: f64) -> (usize, bool) {
        let s = self.as_mut_slice();
        let n = s.len();
        // In-order data lands in the newest entry or right after it.
        if n > 0 && s[n - 1].pos == p {
            s[n - 1].m.add(x);
            return (n - 1, false);
        }
        let i = if n == 0 || s[n - 1].pos < p {
            n
        } else {
            lower_bound_back(s, p)
        };
        if i < n && s[i].pos == p {
            s[i].m.add(x);
            return (i, false);
        }
        self.insert(
            i,
            Entry {
                pos: p,
                m: Moments::of(x),
            },
        );
        (i, true)
    }

    fn insert(&mut self, i: usize, e: Entry) {
        match self {
            Entries::Inline(n, a) => {
                let len = *n as usize;
                if len < INLINE {
                    let mut k = len;
                    while k > i {
                        a[k] = a[k - 1];
                        k -= 1;
                    }
                    a[i] = e;
                    *n += 1;
                } else {
                    let mut v = Vec::with_capacity(2 * INLINE);
                    v.extend_from_slice(&a[..i]);
                    v.push(e);
                    v.extend_from_slice(&a[i..len]);
                    *self = Entries::Spilled(0, v);
                }
            }
            Entries::Spilled(head, v) => {
                let h = *head as usize;
                if i == 0 && h > 0 {
                    v[h - 1] = e;
                    *head -= 1;
                } else {
                    v.insert(h + i, e);
                }
            }
        }
    }

    /// Drops the first `k` entries.
    pub fn drop_front(&mut self, k: usize) {
        if k == 0 {
            return;
        }
        match self {
            Entries::Inline(n, a) => {
                let len = *n as usize;
                for j in k..len {
                    a[j - k] = a[j];
                }
                *n = (len - k) as u8;
            }
            Entries::Spilled(head, v) => {
                let h = *head as usize + k;
                if h >= v.len() {
                    // Release the allocation of keys that went idle.
                    *self = Entries::default();
                } else if h >= 8 && 2 * h >= v.len() {
                    v.drain(..h);
                    *head = 0;
                } else {
                    *head = h as u32;
                }
            }
        }
    }

    /// Rebuilds from sorted entries (used by state import).
    pub fn from_sorted(es: Vec<Entry>) -> Entries {
        if es.len() <= INLINE {
            let mut a = [UNUSED; INLINE];
            a[..es.len()].copy_from_slice(&es);
            Entries::Inline(es.len() as u8, a)
        } else {
            Entries::Spilled(0, es)
        }
    }
}

/// Index of the first entry with `pos >= p`.
///
/// Positions are unique integers, so entry `j` sits at or after
/// `first + j`: the answer is at most `p - first`, and exactly that when the
/// key has no gaps. Checking that guess first touches one cache line
/// instead of a binary search's six.
#[inline]
pub fn lower_bound(s: &[Entry], p: i64) -> usize {
    let first = match s.first() {
        Some(e) if e.pos < p => e.pos,
        _ => return 0,
    };
    let n = s.len();
    let guess = (p - first) as u64;
    let hi = if guess < n as u64 { guess as usize } else { n };
    // `hi >= 1`; when `hi < n`, `s[hi].pos >= first + hi >= p` already.
    if s[hi - 1].pos < p {
        return hi;
    }
    s[..hi - 1].partition_point(|e| e.pos < p)
}

/// `lower_bound` for a position expected near the front (window starts
/// being closed, eviction cutoffs): galloping from index 0 touches only the
/// oldest entries, which closing and eviction have just read.
#[inline]
pub fn lower_bound_front(s: &[Entry], p: i64) -> usize {
    let n = s.len();
    let mut lo = 0;
    let mut step = 1;
    loop {
        let i = lo + step - 1;
        if i >= n {
            return lo + s[lo..].partition_point(|e| e.pos < p);
        }
        if s[i].pos >= p {
            return lo + s[lo..i].partition_point(|e| e.pos < p);
        }
        lo = i + 1;
        step *= 2;
    }
}

/// `lower_bound` for a position expected near the back (where records land
/// and windows grow): galloping from the newest entry.
#[inline]
pub fn lower_bound_back(s: &[Entry], p: i64) -> usize {
    let mut hi = s.len();
    let mut step = 1;
    loop {
        if hi < step {
            return s[..hi].partition_point(|e| e.pos < p);
        }
        let i = hi - step;
        if s[i].pos < p {
            return i + 1 + s[i + 1..hi].partition_point(|e| e.pos < p);
        }
        hi = i;
        step *= 2;
    }
}

/// Merge of the entries with positions in `[lo, hi)`, oldest first.
pub fn range_merge(s: &[Entry], lo: i64, hi: i64) -> Moments {
    let mut acc = Moments::EMPTY;
    let mut i = lower_bound(s, lo);
    while i < s.len() && s[i].pos < hi {
        acc = acc.merge(&s[i].m);
        i += 1;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_agree_with_partition_point() {
        let mut es = Vec::new();
        for p in [-7i64, -3, 0, 1, 2, 3, 9, 10, 11, 40, 41] {
            es.push(Entry {
                pos: p,
                m: Moments::of(p as f64),
            });
        }
        for n in 0..=es.len() {
            let s = &es[..n];
            for p in -10..45 {
                let want = s.partition_point(|e| e.pos < p);
                assert_eq!(lower_bound(s, p), want, "lower_bound n={} p={}", n, p);
                assert_eq!(lower_bound_front(s, p), want, "front n={} p={}", n, p);
                assert_eq!(lower_bound_back(s, p), want, "back n={} p={}", n, p);
            }
        }
    }

    #[test]
    fn keeps_order_across_spill_and_drop() {
        let mut e = Entries::default();
        for p in [5, 1, 3, 9, 7, 3] {
            e.add(p, p as f64);
        }
        let ps: Vec<i64> = e.as_slice().iter().map(|x| x.pos).collect();
        assert_eq!(ps, vec![1, 3, 5, 7, 9]);
        assert_eq!(e.as_slice()[1].m.count, 2.0);
        e.drop_front(2);
        e.add(0, 0.0);
        let ps: Vec<i64> = e.as_slice().iter().map(|x| x.pos).collect();
        assert_eq!(ps, vec![0, 5, 7, 9]);
        e.drop_front(4);
        assert!(e.is_empty());
        assert!(matches!(e, Entries::Inline(0, _)));
    }
}
