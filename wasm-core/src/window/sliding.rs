//! Kafka Streams sliding windows (KIP-450) over a key's atoms.
//!
//! With `T` the key's accepted timestamps, windows `[s, s + D]` exist for
//! `s = t - D` (left window of `t`) and `s = y + 1` when some atom lies in
//! `[y + 1, y + 1 + D]` (right window of `y`). For windows still open, the
//! rule on the current atoms is exactly "was created while open", because
//! atoms only accumulate; closed windows are never asked about again.

use super::entries::{lower_bound, Entry};

/// Smallest window start `>= from` that exists over `es`.
///
/// The right-window scan is O(1): it visits atoms `y` in `[from - 1, from + D)`
/// until one has a successor within `D + 1`, and two consecutive atoms in a
/// span of `D + 1` already satisfy that.
#[inline]
pub fn next_window(es: &[Entry], from: i64, d: i64) -> Option<i64> {
    let li = lower_bound(es, from + d);
    let left = es.get(li).map(|e| e.pos - d);
    let mut i = lower_bound(es, from - 1);
    let mut right = None;
    while i + 1 < es.len() {
        let y = es[i].pos;
        if let Some(l) = left {
            if y + 1 >= l {
                break;
            }
        }
        if es[i + 1].pos <= y + 1 + d {
            right = Some(y + 1);
            break;
        }
        i += 1;
    }
    match (left, right) {
        (Some(l), Some(r)) => Some(if l < r { l } else { r }),
        (l, r) => l.or(r),
    }
}

/// Whether the right window of an atom just added at `t` is new: `t` was
/// not an atom, some later atom lies within `(t, t + D]`, and `t + 1 + D`
/// carries no left window with the same start.
pub fn right_window_is_new(es: &[Entry], t: i64, d: i64, atom_was_new: bool) -> bool {
    if !atom_was_new {
        return false;
    }
    let i = lower_bound(es, t + 1);
    match es.get(i) {
        Some(e) if e.pos <= t + d => {
            let j = lower_bound(es, t + 1 + d);
            !matches!(es.get(j), Some(e) if e.pos == t + 1 + d)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accum::Moments;

    fn atoms(ts: &[i64]) -> Vec<Entry> {
        ts.iter()
            .map(|&t| Entry {
                pos: t,
                m: Moments::of(t as f64),
            })
            .collect()
    }

    #[test]
    fn kip450_example_windows() {
        let es = atoms(&[10, 12]);
        let mut starts = vec![];
        let mut from = i64::MIN / 4;
        while let Some(s) = next_window(&es, from, 5) {
            starts.push(s);
            from = s + 1;
        }
        assert_eq!(starts, vec![5, 7, 11]);
    }
}
