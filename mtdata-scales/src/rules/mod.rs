//! The rules: what a number means. Codebooks (items, valid values, "prefer not to answer" codes,
//! recodes, scoring variants), the built-in ones, codebook files, duplicate policies, and the
//! records that say which rule made a score and why a cell was left out.
//!
//! Plain Rust data: nothing here uses polars or polars-arrow, so these definitions outlive any
//! polars upgrade and can be read without knowing how tables are stored.

pub(crate) mod builtin;
pub(crate) mod codebook;
pub(crate) mod codebook_file;
pub(crate) mod duplicates;
pub(crate) mod records;
