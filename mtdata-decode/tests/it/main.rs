//! Integration tests of mtdata-decode: one snapshot per MTData pathology fixture, study-level behaviour,
//! and properties (idempotent, independent of file order); the MindLogger decode on its fixture cases.
#![recursion_limit = "256"]

#[path = "../../examples/mindlogger_pages/cases.rs"]
mod cases;
mod fixtures;
mod mindlogger;
#[path = "../../examples/mindlogger_pages/mod.rs"]
mod pages;
mod properties;
mod study;
mod support;
