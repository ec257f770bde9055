//! The window spec as given on the boundary, validated into integer ms.

use crate::error::{ErrorCode, KernelError};

/// Largest timestamp (and duration) the kernel accepts: JS's safe-integer range.
pub const MAX_TIME_MS: f64 = 9_007_199_254_740_992.0; // 2^53

/// Retention stand-in for "forever"; far from i64 overflow when added to times.
const RETENTION_FOREVER: i64 = 1 << 60;

/// Window family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// `[k*size, (k+1)*size)`.
    Tumbling,
    /// `[k*advance, k*advance + size)`.
    Hopping,
    /// Kafka Streams' `SlidingWindows`: `[start, start + size]`, both inclusive.
    Sliding,
}

/// What `drain()` hands over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitMode {
    /// Every window changed since the previous drain, with its current value.
    Update,
    /// Every window once, when it closes.
    Final,
}

/// A validated spec; all durations in whole milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Window family.
    pub kind: WindowKind,
    /// Window size, or the sliding time difference `D`.
    pub size: i64,
    /// Effective advance: `size` for tumbling, 1 for sliding (unused there).
    pub advance: i64,
    /// Grace period.
    pub grace: i64,
    /// Effective retention (the default already applied).
    pub retention: i64,
    /// Emission mode.
    pub emit: EmitMode,
    /// Whether `ingest` computes z-scores.
    pub zscore: bool,
}

fn whole_in_range(x: f64, lo: f64) -> bool {
    x.is_finite() && x.floor() == x && x >= lo && x <= MAX_TIME_MS
}

impl WindowSpec {
    /// Validates boundary values; checks run in field order, so the first
    /// broken field decides the code.
    pub fn new(
        kind: u32,
        size_ms: f64,
        advance_ms: f64,
        grace_ms: f64,
        retention_ms: f64,
        emit: u32,
        zscore: bool,
    ) -> Result<WindowSpec, KernelError> {
        let kind = match kind {
            0 => WindowKind::Tumbling,
            1 => WindowKind::Hopping,
            2 => WindowKind::Sliding,
            other => {
                return Err(KernelError::new(
                    ErrorCode::InvalidWindowKind,
                    format!(
                        "window kind must be 0 (tumbling), 1 (hopping) or 2 (sliding), got {}",
                        other
                    ),
                ))
            }
        };
        if !whole_in_range(size_ms, 1.0) {
            return Err(KernelError::new(
                ErrorCode::InvalidSize,
                format!(
                    "size must be an integer >= 1 and <= 2^53 ms, got {} ms",
                    size_ms
                ),
            ));
        }
        let size = size_ms as i64;
        let advance = match kind {
            WindowKind::Tumbling => size,
            WindowKind::Sliding => 1,
            WindowKind::Hopping => {
                // An absent advance (undefined -> NaN) means size, as on the TS side.
                let advance_ms = if advance_ms.is_nan() {
                    size_ms
                } else {
                    advance_ms
                };
                if !(whole_in_range(advance_ms, 1.0) && advance_ms <= size_ms) {
                    return Err(KernelError::new(
                        ErrorCode::InvalidAdvance,
                        format!(
                            "advance must be an integer > 0 and <= size (size {} ms, got {} ms)",
                            size_ms, advance_ms
                        ),
                    ));
                }
                advance_ms as i64
            }
        };
        if !whole_in_range(grace_ms, 0.0) {
            return Err(KernelError::new(
                ErrorCode::InvalidGrace,
                format!(
                    "grace must be an integer >= 0 and <= 2^53 ms, got {} ms",
                    grace_ms
                ),
            ));
        }
        let grace = grace_ms as i64;
        let minimum = size + grace;
        let retention = if retention_ms < 0.0 {
            minimum
        } else if retention_ms.is_nan() || retention_ms.floor() < minimum as f64 {
            return Err(KernelError::new(
                ErrorCode::InvalidRetention,
                format!(
                    "retention must be >= size + grace (size + grace {} ms, got {} ms)",
                    minimum, retention_ms
                ),
            ));
        } else if retention_ms >= RETENTION_FOREVER as f64 {
            RETENTION_FOREVER
        } else {
            retention_ms.floor() as i64
        };
        let emit = match emit {
            0 => EmitMode::Update,
            1 => EmitMode::Final,
            other => {
                return Err(KernelError::new(
                    ErrorCode::InvalidEmitMode,
                    format!("emit mode must be 0 (update) or 1 (final), got {}", other),
                ))
            }
        };
        Ok(WindowSpec {
            kind,
            size,
            advance,
            grace,
            retention,
            emit,
            zscore,
        })
    }

    /// Boundary number of the kind.
    pub fn kind_code(&self) -> u32 {
        match self.kind {
            WindowKind::Tumbling => 0,
            WindowKind::Hopping => 1,
            WindowKind::Sliding => 2,
        }
    }

    /// Boundary number of the emit mode.
    pub fn emit_code(&self) -> u32 {
        match self.emit {
            EmitMode::Update => 0,
            EmitMode::Final => 1,
        }
    }
}
