//! End-to-end tests of the `mtdata` binary.

mod config;
mod export;
mod help;
mod kill;
mod support;
