//! Integration tests of mtdata-decode: one snapshot per MTData pathology fixture, study-level behaviour,
//! and properties (idempotent, independent of file order).

mod fixtures;
mod properties;
mod study;
mod support;
