//! Logs go to stderr (and, per study, to a log file set up by the commands that need one).

use tracing_subscriber::EnvFilter;

use crate::app::Context;

/// Install the stderr subscriber: warnings by default, `-v` info, `-vv` debug, `-q` errors only.
/// `MTDATA_LOG` (tracing's filter syntax) overrides.
pub fn init_stderr(ctx: &Context) {
    let level = if ctx.global.quiet {
        "error"
    } else {
        match ctx.global.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        }
    };
    let filter = EnvFilter::try_from_env("MTDATA_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ctx.fancy_stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
