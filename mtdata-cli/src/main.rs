//! The `mtdata` command: back up, decrypt, check and score study data.
//!
//! Cargo features: `scales` (on by default) builds the scoring and reshaping verbs (`clean`, `scores`,
//! `long-to-wide`, `prepare`) and with them polars, which takes minutes to compile;
//! `cargo install --path mtdata-cli --no-default-features` builds everything else.

mod app;
mod args;
mod commands;
mod exit;
mod logging;
mod progress;
mod unattended;

// Scoring and reshaping allocate and free tables of many megabytes; the system allocator hands
// each back to the kernel and pays page faults to get it again (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    app::main()
}

/// Lock `m`, going on after a thread panicked while holding it (a log or a progress bar must not
/// stop the work).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
