//! End-to-end tests of the `mtdata` binary.

mod adherence;
mod alerts;
mod config;
mod decode;
mod doctor;
mod errors;
mod export;
mod girder;
mod help;
mod kill;
mod mindlogger;
mod mindlogger_kill;
#[cfg(feature = "scales")]
mod scale_rules;
#[cfg(feature = "scales")]
mod scales;
mod security;
mod share;
mod soak;
mod support;
