//! The `mtdata` command: back up, decrypt, check and score study data.

mod app;
mod args;
mod commands;
mod exit;
mod logging;
mod progress;

fn main() -> std::process::ExitCode {
    app::main()
}
