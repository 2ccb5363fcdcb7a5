//! Export against the MindTrails simulator over loopback.

mod faults;
mod incremental;
mod safety;
mod scale;
mod support;
