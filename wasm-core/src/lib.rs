//! rivulet's windowed-statistics kernel: assigns records to tumbling,
//! hopping or sliding time windows, keeps mergeable statistics per
//! (key, window), tracks stream time and emits window results. Compiled to
//! WebAssembly for the Node.js side and natively for tests and benchmarks.
//! Semantics are specified in the crate README; `kernel::Kernel` is the
//! safe core and `abi` its wasm-bindgen shell.
//!
//! # Batch protocol
//!
//! 1. JS creates one `Kernel` per (task, operator); spec errors come back
//!    as `E<code>: <detail>`.
//! 2. `reserve(capacity)` sizes the input columns; JS reads `keys_ptr()`,
//!    `ts_ptr()`, `values_ptr()`, `status_ptr()`, `z_ptr()` and builds
//!    typed-array views over `kernel_memory().buffer`.
//! 3. JS writes `n <= capacity` records and calls `ingest(n)` (0 = ok);
//!    statuses and z-scores are then in their columns.
//! 4. `drain()` returns a row count; rows of `ROW_F64S` f64
//!    (`key, start, end, count, sum, min, max, mean, m2`) sit at `out_ptr()`
//!    until the next `drain()`.
//! 5. Any call may grow memory; JS rebuilds views when `kernel_memory().buffer`
//!    changed.
//! 6. `free()` releases the kernel.
//!
//! # Numeric guarantees
//!
//! Means and M2 are updated with Welford's method and merged with Chan et
//! al.'s formula, never via sums of squares, and kept relative to each
//! accumulator's first value, so values near 1e9 with a variance near 1e-2
//! keep about 9 significant digits of variance (the README asks for 6).
//! Counts are exact up to 2^53. Timestamps are whole milliseconds in
//! `0..=2^53`, held as `i64`, so window arithmetic is exact.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod accum;
pub mod changelog;
pub mod error;
pub mod kernel;
pub mod state;
pub mod window;

mod abi;

#[cfg(test)]
mod tests;

pub use accum::Moments;
pub use error::{ErrorCode, KernelError};
pub use kernel::{status, Input, Kernel, Row, ROW_F64S};
pub use window::{EmitMode, WindowKind, WindowSpec};
