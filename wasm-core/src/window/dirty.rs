//! Update mode: the exact set of window starts changed since the last drain,
//! as sorted disjoint ranges. One range is held inline because a key usually
//! changes a contiguous run of windows between drains.

/// Sorted, disjoint, inclusive ranges of window starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DirtySet {
    first: Option<(i64, i64)>,
    more: Vec<(i64, i64)>,
}

impl DirtySet {
    /// True when nothing changed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// All ranges, in order.
    pub fn ranges(&self) -> Vec<(i64, i64)> {
        let mut v = Vec::with_capacity(1 + self.more.len());
        v.extend(self.first);
        v.extend_from_slice(&self.more);
        v
    }

    /// Rebuilds from sorted disjoint ranges (state import).
    pub fn from_ranges(mut v: Vec<(i64, i64)>) -> DirtySet {
        if v.is_empty() {
            return DirtySet::default();
        }
        let first = v.remove(0);
        DirtySet {
            first: Some(first),
            more: v,
        }
    }

    /// Marks starts `lo..=hi`; ranges closer than `step` are fused, since no
    /// window start lies between them.
    #[inline]
    pub fn insert(&mut self, lo: i64, hi: i64, step: i64) {
        if lo > hi {
            return;
        }
        match self.first {
            None => {
                self.first = Some((lo, hi));
                return;
            }
            Some((a, b)) if self.more.is_empty() && lo <= b + step && hi + step >= a => {
                self.first = Some((a.min(lo), b.max(hi)));
                return;
            }
            _ => {}
        }
        if let Some(last) = self.more.last_mut() {
            if lo > last.1 + step {
                self.more.push((lo, hi));
                return;
            }
        } else if let Some((_, b)) = self.first {
            if lo > b + step {
                self.more.push((lo, hi));
                return;
            }
        }
        let mut v = self.ranges();
        v.push((lo, hi));
        v.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(v.len());
        for r in v {
            match merged.last_mut() {
                Some(m) if r.0 <= m.1 + step => {
                    if r.1 > m.1 {
                        m.1 = r.1;
                    }
                }
                _ => merged.push(r),
            }
        }
        *self = DirtySet::from_ranges(merged);
    }

    /// Whether `s` is marked.
    #[inline]
    pub fn contains(&self, s: i64) -> bool {
        match self.first {
            None => false,
            Some((a, b)) => (a <= s && s <= b) || self.more.iter().any(|&(a, b)| a <= s && s <= b),
        }
    }

    /// All ranges, in order, without allocating.
    pub fn iter(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.first.iter().copied().chain(self.more.iter().copied())
    }

    /// Forgets starts below `s` (their windows closed).
    pub fn trim_below(&mut self, s: i64) {
        match self.first {
            None => return,
            Some((_, b)) if self.more.is_empty() => {
                self.first = if b < s {
                    None
                } else {
                    self.first.map(|(a, b)| (a.max(s), b))
                };
                return;
            }
            Some((a, _)) if a >= s => return,
            _ => {}
        }
        let mut v = self.ranges();
        v.retain(|r| r.1 >= s);
        for r in v.iter_mut() {
            if r.0 < s {
                r.0 = s;
            }
        }
        *self = DirtySet::from_ranges(v);
    }

    /// Forgets everything, keeping the spill allocation.
    pub fn clear(&mut self) {
        self.first = None;
        self.more.clear();
    }
}
