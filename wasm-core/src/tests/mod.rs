//! Crate tests. They live inside the library (not in `tests/`) because the
//! cdylib crate type gives the rlib an unhashed file name: an integration
//! test would make cargo build the lib twice (panic=abort for the bench
//! binary, unwind for the harness) into the same file.

#![allow(dead_code)]

mod changelog;
mod common;
mod differential;
mod kernel;
