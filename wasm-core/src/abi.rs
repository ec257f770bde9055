//! The wasm-bindgen boundary: a thin shell over `kernel::Kernel`.
//!
//! Pointers leave as `u32` byte offsets into linear memory (`as_ptr() as
//! u32` is exact on wasm32); JS builds typed-array views over them and
//! rebuilds the views whenever `kernel_memory().buffer` changes.

use wasm_bindgen::prelude::*;

use crate::error::{ErrorCode, KernelError};
use crate::kernel;

fn js_error(e: KernelError) -> JsError {
    JsError::new(&format!("E{}: {}", e.code as u32, e.detail))
}

/// The module's linear memory, for building views (not `memory`: that name is the raw export wasm-bindgen keeps).
#[wasm_bindgen]
pub fn kernel_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// `"0:OK,1:INVALID_WINDOW_KIND,..."`, checked against the TS table by a test.
#[wasm_bindgen]
pub fn error_code_table() -> String {
    ErrorCode::table()
}

/// A windowed-statistics kernel (see the crate README for the protocol).
#[wasm_bindgen]
pub struct Kernel {
    inner: kernel::Kernel,
}

fn code(r: Result<(), ErrorCode>) -> u32 {
    match r {
        Ok(()) => ErrorCode::Ok as u32,
        Err(c) => c as u32,
    }
}

#[wasm_bindgen]
impl Kernel {
    /// Validates the spec; errors read `E<code>: <detail>`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        kind: u32,
        size_ms: f64,
        advance_ms: f64,
        grace_ms: f64,
        retention_ms: f64,
        emit: u32,
        zscore: bool,
    ) -> Result<Kernel, JsError> {
        kernel::Kernel::from_raw(
            kind,
            size_ms,
            advance_ms,
            grace_ms,
            retention_ms,
            emit,
            zscore,
        )
        .map(|inner| Kernel { inner })
        .map_err(js_error)
    }

    /// Makes the input columns hold at least `capacity` records.
    pub fn reserve(&mut self, capacity: u32) {
        self.inner.reserve(capacity as usize)
    }

    /// Records the input columns can hold.
    pub fn capacity(&self) -> u32 {
        self.inner.capacity() as u32
    }

    /// Byte offset of the `u32` key column.
    pub fn keys_ptr(&self) -> u32 {
        self.inner.keys_ptr() as usize as u32
    }

    /// Byte offset of the `f64` timestamp column.
    pub fn ts_ptr(&self) -> u32 {
        self.inner.ts_ptr() as usize as u32
    }

    /// Byte offset of the `f64` value column.
    pub fn values_ptr(&self) -> u32 {
        self.inner.values_ptr() as usize as u32
    }

    /// Byte offset of the `u8` status column.
    pub fn status_ptr(&self) -> u32 {
        self.inner.status_ptr() as usize as u32
    }

    /// Byte offset of the `f64` z-score column.
    pub fn z_ptr(&self) -> u32 {
        self.inner.z_ptr() as usize as u32
    }

    /// Byte offset of the drained rows (`ROW_F64S` f64 each).
    pub fn out_ptr(&self) -> u32 {
        self.inner.out_ptr() as usize as u32
    }

    /// Byte offset of the row written by `fetch`.
    pub fn fetch_ptr(&self) -> u32 {
        self.inner.fetch_ptr() as usize as u32
    }

    /// Processes `n` records; 0 or `BATCH_TOO_LARGE`.
    pub fn ingest(&mut self, n: u32) -> u32 {
        code(self.inner.ingest(n as usize))
    }

    /// Raises stream time; 0 or `INVALID_TIMESTAMP`.
    pub fn advance_stream_time(&mut self, ts: f64) -> u32 {
        code(self.inner.advance_stream_time(ts))
    }

    /// Number of rows now at `out_ptr()`.
    pub fn drain(&mut self) -> u32 {
        self.inner.drain() as u32
    }

    /// Writes one window's row at `fetch_ptr()`; false when not held.
    pub fn fetch(&mut self, key: u32, start_ms: f64) -> bool {
        self.inner.fetch(key, start_ms).is_some()
    }

    /// Stream time in ms, `-Infinity` before any record.
    pub fn stream_time(&self) -> f64 {
        self.inner.stream_time()
    }

    /// Records dropped as late.
    pub fn late_records(&self) -> f64 {
        self.inner.late_records() as f64
    }

    /// Records dropped for an invalid timestamp or value.
    pub fn invalid_records(&self) -> f64 {
        self.inner.invalid_records() as f64
    }

    /// Keys currently holding state.
    pub fn key_count(&mut self) -> u32 {
        self.inner.key_count()
    }

    /// Slices or sliding atoms held.
    pub fn state_entries(&mut self) -> u32 {
        self.inner.state_entries().min(u32::MAX as u64) as u32
    }

    /// Serialized state.
    pub fn export_state(&mut self) -> Vec<u8> {
        self.inner.export_state()
    }

    /// Changelog records of the keys changed since the previous call and
    /// the task record (layout in `changelog`).
    pub fn export_changes(&mut self) -> Vec<u8> {
        self.inner.export_changes()
    }

    /// Applies a changelog task record; errors read `E<code>: <detail>`.
    pub fn import_task(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.import_task(bytes).map_err(js_error)
    }

    /// Applies a changelog key record and returns its key id; errors read `E<code>: <detail>`.
    pub fn import_key(&mut self, bytes: &[u8]) -> Result<u32, JsError> {
        self.inner.import_key(bytes).map_err(js_error)
    }

    /// Byte offset of an import buffer of at least `len` bytes (may grow memory).
    pub fn import_buffer(&mut self, len: u32) -> u32 {
        self.inner.import_buffer(len as usize) as usize as u32
    }

    /// Applies the first `len` bytes of the import buffer as a batch of
    /// changelog ops (layout in `changelog`) and returns how many; errors
    /// read `E<code>: <detail>`.
    pub fn import_buffered(&mut self, len: u32) -> Result<u32, JsError> {
        self.inner.import_buffered(len as usize).map_err(js_error)
    }

    /// Drops a key's state.
    pub fn forget_key(&mut self, key: u32) {
        self.inner.forget_key(key)
    }

    /// Replaces the state; errors read `E<code>: <detail>`.
    pub fn import_state(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.import_state(bytes).map_err(js_error)
    }
}
