//! One logging setup for every command: events go to stderr, one line each in the same form as errors
//! (`error: ...`, `warning: ...`, `info: ...`), filtered by `-q`/`-v`/`MTDATA_LOG`; and, while a command
//! works on a study, to that study's log in `PATH/logs/` ([`study`]: size-based rotation, text or JSON
//! lines), at info and above whatever the terminal shows.

pub mod study;

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::app::Context;

pub use study::record;

/// Install the subscriber: stderr shows warnings by default, `-v` info, `-vv` debug, `-q` errors only
/// (`MTDATA_LOG`, tracing's filter syntax, overrides); the open study log gets info and above.
pub fn init(ctx: &Context) {
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
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .event_format(Lines {
            ansi: ctx.fancy_stderr,
        })
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(study::StudyLayer.with_filter(LevelFilter::INFO))
        .try_init();
}

/// One message line as the person at the terminal sees it: `<level>: <message>`.
pub fn line(level: &str, message: &str) -> String {
    format!("{level}: {message}")
}

/// The word for a level, as printed before a message.
pub(crate) fn level_word(level: Level) -> (&'static str, &'static str) {
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
