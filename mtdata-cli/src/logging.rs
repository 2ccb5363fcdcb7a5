//! Logs go to stderr (and, per study, to a log file set up by the commands that need one), one line
//! per event in the same form as errors: `error: ...`, `warning: ...`, `info: ...`.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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
        .event_format(Lines {
            ansi: ctx.fancy_stderr,
        })
        .try_init();
}

/// One message line as the person at the terminal sees it: `<level>: <message>`.
pub fn line(level: &str, message: &str) -> String {
    format!("{level}: {message}")
}

/// The word for a level, as printed before a message.
fn level_word(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::ERROR => ("error", "\x1b[31m"),
        Level::WARN => ("warning", "\x1b[33m"),
        Level::INFO => ("info", ""),
        Level::DEBUG => ("debug", ""),
        Level::TRACE => ("trace", ""),
    }
}

/// Formats every event as `<level>: <message> <field=value ...>`, without times or targets.
struct Lines {
    ansi: bool,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (word, colour) = level_word(*event.metadata().level());
        if self.ansi && !colour.is_empty() {
            write!(writer, "{colour}{word}\x1b[0m: ")?;
        } else {
            write!(writer, "{word}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
