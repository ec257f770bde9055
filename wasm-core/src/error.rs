//! Error codes shared with the TypeScript side (`src/wasm/kernel-error-codes.ts`).

use std::fmt;

/// Every failure the kernel reports, numbered as on the WASM boundary.
///
/// The numbers are part of the contract with the TS side and persisted
/// nowhere else; never renumber, only append.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Success.
    Ok = 0,
    /// `kind` is not 0 (tumbling), 1 (hopping) or 2 (sliding).
    InvalidWindowKind = 1,
    /// `size` is not an integer in `1..=2^53`.
    InvalidSize = 2,
    /// Hopping `advance` is not an integer in `1..=size`.
    InvalidAdvance = 3,
    /// `grace` is not an integer in `0..=2^53`.
    InvalidGrace = 4,
    /// `retention` is below `size + grace` (or NaN).
    InvalidRetention = 5,
    /// `emit` is not 0 (update) or 1 (final).
    InvalidEmitMode = 6,
    /// `ingest(n)` with `n` above the reserved capacity.
    BatchTooLarge = 7,
    /// `advance_stream_time` with a timestamp a record could not carry.
    InvalidTimestamp = 8,
    /// Exported state that is truncated, damaged or not ours.
    StateCorrupt = 9,
    /// Exported state from a kernel with a different spec.
    StateMismatch = 10,
}

impl ErrorCode {
    /// All codes in numeric order.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::Ok,
        ErrorCode::InvalidWindowKind,
        ErrorCode::InvalidSize,
        ErrorCode::InvalidAdvance,
        ErrorCode::InvalidGrace,
        ErrorCode::InvalidRetention,
        ErrorCode::InvalidEmitMode,
        ErrorCode::BatchTooLarge,
        ErrorCode::InvalidTimestamp,
        ErrorCode::StateCorrupt,
        ErrorCode::StateMismatch,
    ];

    /// The SCREAMING_SNAKE name the TS side uses.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Ok => "OK",
            ErrorCode::InvalidWindowKind => "INVALID_WINDOW_KIND",
            ErrorCode::InvalidSize => "INVALID_SIZE",
            ErrorCode::InvalidAdvance => "INVALID_ADVANCE",
            ErrorCode::InvalidGrace => "INVALID_GRACE",
            ErrorCode::InvalidRetention => "INVALID_RETENTION",
            ErrorCode::InvalidEmitMode => "INVALID_EMIT_MODE",
            ErrorCode::BatchTooLarge => "BATCH_TOO_LARGE",
            ErrorCode::InvalidTimestamp => "INVALID_TIMESTAMP",
            ErrorCode::StateCorrupt => "STATE_CORRUPT",
            ErrorCode::StateMismatch => "STATE_MISMATCH",
        }
    }

    /// `"0:OK,1:INVALID_WINDOW_KIND,..."`, compared against the TS table by a test.
    pub fn table() -> String {
        let mut out = String::new();
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{}:{}", *code as u32, code.name()));
        }
        out
    }
}

/// An error code plus a human-readable detail naming the offending values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// "expected X, got Y" style explanation.
    pub detail: String,
}

impl KernelError {
    /// Builds an error from a code and its detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        KernelError {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for KernelError {}
