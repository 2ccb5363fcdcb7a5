//! One module per subcommand: its arguments, one library call, then rendering.

pub mod adherence;
pub mod cron;
pub mod decode;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod render;
pub mod report;
#[cfg(feature = "scales")]
pub mod scales;
pub mod share;
pub mod status;
