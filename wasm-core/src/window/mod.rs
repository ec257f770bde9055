//! Window geometry, per-key storage and the aggregation over it.

pub mod assign;
pub mod clock;
pub mod dense;
pub mod dirty;
pub mod entries;
pub mod sliding;
pub mod spec;
pub mod swag;

pub use assign::Geometry;
pub use spec::{EmitMode, WindowKind, WindowSpec, MAX_TIME_MS};
