//! Mergeable per-window statistics.

mod moments;

pub use moments::Moments;
