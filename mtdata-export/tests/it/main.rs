//! Export against the MindTrails simulator over loopback.

mod faults;
mod girder;
mod incremental;
mod mindlogger;
mod safety;
mod scale;
mod support;
