//! Parse arguments, set up logging, run one subcommand, and turn its result into an exit status.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Color, Command, GlobalArgs};
use crate::commands;
use crate::exit::{ERROR, Outcome};
use crate::logging;

/// What every subcommand may know about the invocation besides its own arguments.
pub struct Context {
    pub global: GlobalArgs,
    /// Draw progress bars and colour on stderr.
    pub fancy_stderr: bool,
    /// Colour on stdout.
    pub color_stdout: bool,
}

impl Context {
    fn new(global: GlobalArgs) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let (fancy_stderr, color_stdout) = match global.color {
            Color::Always => (true, true),
            Color::Never => (false, false),
            Color::Auto => (
                !no_color && std::io::stderr().is_terminal(),
                !no_color && std::io::stdout().is_terminal(),
            ),
        };
        Context {
            fancy_stderr: fancy_stderr && !global.quiet,
            color_stdout,
            global,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context::new(cli.global);
    logging::init(&ctx);
    match dispatch(&cli.command, &ctx) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            print_error(&err);
            ExitCode::from(ERROR)
        }
    }
}

/// Run one subcommand.
pub fn dispatch(command: &Command, ctx: &Context) -> CommandResult {
    match command {
        Command::Export(args) => commands::export::run(args, ctx),
        Command::Decode(args) => commands::decode::run(args, ctx),
        Command::Report(args) => commands::report::run(args, ctx),
        Command::Status(args) => commands::status::run(args, ctx),
        #[cfg(feature = "scales")]
        Command::Clean(args) => commands::scales::run(commands::scales::Verb::Clean, args, ctx),
        #[cfg(feature = "scales")]
        Command::Scores(args) => commands::scales::run(commands::scales::Verb::Scores, args, ctx),
        #[cfg(feature = "scales")]
        Command::LongToWide(args) => {
            commands::scales::run(commands::scales::Verb::LongToWide, args, ctx)
        }
        #[cfg(feature = "scales")]
        Command::Prepare(args) => commands::scales::run(commands::scales::Verb::Prepare, args, ctx),
        Command::Demo(args) => commands::demo::run(args, ctx),
        Command::Doctor(args) => commands::doctor::run(args, ctx),
        Command::Cron(args) => commands::cron::run(args, ctx),
        Command::Share(args) => commands::share::run(args, ctx),
    }
}

/// Run `mtdata <words>` inside this process, with this invocation's output settings (the demo
/// uses it to run the real commands as a person would type them).
pub fn run_words(words: &[&str], ctx: &Context) -> CommandResult {
    let cli = Cli::try_parse_from(std::iter::once("mtdata").chain(words.iter().copied()))?;
    let inner = Context {
        fancy_stderr: ctx.fancy_stderr,
        color_stdout: ctx.color_stdout,
        global: cli.global,
    };
    dispatch(&cli.command, &inner)
}

/// Read the config file, with secrets from the environment, and log the warnings about the file
/// itself (a password others can read); those about a block wait for [`select_servers`].
pub fn load_config(path: &std::path::Path) -> anyhow::Result<mtdata_core::config::Config> {
    let config = mtdata_core::config::Config::load(path, |name| std::env::var(name).ok())?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    Ok(config)
}

/// The applet passwords of a MindLogger block, read from the environment and from owner-only files.
pub fn applet_passwords(
    config: &mtdata_core::config::MindLoggerConfig,
) -> anyhow::Result<mtdata_core::config::AppletPasswords> {
    Ok(config.resolve_passwords(
        |name| std::env::var(name).ok(),
        crate::unattended::read_secret_file,
    )?)
}

/// The blocks the server argument names ([`mtdata_core::config::Config::select`]), logging the
/// warnings of those blocks only: a block this run does not use stays quiet.
pub fn select_servers<'c>(
    config: &'c mtdata_core::config::Config,
    server: &str,
    require_ready: bool,
) -> anyhow::Result<Vec<&'c mtdata_core::config::ServerConfig>> {
    let selected = config.select(server, require_ready)?;
    for warning in selected.iter().flat_map(|s| &s.warnings) {
        tracing::warn!("{warning}");
    }
    Ok(selected)
}

/// Run `work` on each target (a server block or a study folder) in turn. An error stops only that
/// target: it is printed once, as `error: server <name>: <what>: <cause>`, and the others still run.
/// The outcome is [`Outcome::Error`] when any target stopped, else the worst of the others, so
/// every verb reports a failed server the same way.
pub fn for_each_target<T>(
    targets: impl IntoIterator<Item = T>,
    name: impl Fn(&T) -> String,
    mut work: impl FnMut(&T) -> CommandResult,
) -> Outcome {
    let mut outcome = Outcome::Success;
    for target in targets {
        match work(&target) {
            Ok(done) => outcome = outcome.worst(done),
            Err(err) => {
                print_error(&err.context(format!("server {}", name(&target))));
                outcome = Outcome::Error;
            }
        }
    }
    outcome
}

/// Print an error on one line, `error: what: cause: cause`, each cause once (library errors keep
/// their cause out of their own message and in `source()`).
pub fn print_error(err: &anyhow::Error) {
    if is_broken_pipe(err) {
        return;
    }
    // A stderr that cannot be written (a full disk under cron's redirection) must not turn the
    // exit status into a panic's 101: the status still says what happened.
    let line = crate::logging::line("error", &format!("{err:#}"));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Shorthand used by the subcommands.
pub type CommandResult = anyhow::Result<Outcome>;
