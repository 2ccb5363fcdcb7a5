//! `mtdata demo`: the whole pipeline on a built-in demo study, over HTTP on loopback, with no
//! server or keys to set up.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_sim::mindlogger;
use mtdata_sim::mindtrails::{SimOptions, Simulator};
use mtdata_sim::study::StudyOptions;

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

const AFTER_HELP: &str = "\
The demo starts a MindTrails study-server simulator on 127.0.0.1 with a synthetic Templeton-like
study (participant ids encrypted under a test-only key), writes config/server.config into the demo
folder, and runs the real commands against it: export (with DELETE_MODE), decode, doctor, report,
and (in a build with scoring) prepare. (`mtdata doctor` on the demo folder afterwards finds the
server gone: the simulator lives only while the demo runs.)
Nothing leaves this machine.

Examples:
  mtdata demo                          # into ./mtdata-demo
  mtdata demo --dir /tmp/try-mtdata --participants 200";

/// Marks a folder as made by `mtdata demo`, so a second demo may replace it.
const MARKER: &str = ".mtdata-demo";

/// Arguments of `mtdata demo`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct DemoArgs {
    /// Folder to create (an earlier demo folder there is replaced)
    #[arg(long, default_value = "mtdata-demo", value_name = "DIR")]
    pub dir: PathBuf,

    /// Participants in the synthetic study
    #[arg(long, default_value_t = 30)]
    pub participants: usize,
}

/// The demo folder, ready for the real commands.
pub struct DemoSetup {
    pub dir: PathBuf,
    pub config: PathBuf,
}

pub fn run(args: &DemoArgs, ctx: &Context) -> CommandResult {
    let dir = prepare_dir(&args.dir)?;
    let sim = Simulator::start(SimOptions {
        study: Some(StudyOptions {
            participants: args.participants.max(3),
            ..StudyOptions::default()
        }),
        ..SimOptions::default()
    })
    .context("cannot start the demo study server on 127.0.0.1")?;
    let ema = mindlogger::Simulator::start(mindlogger::SimOptions::new(MindLoggerApi::V2))
        .context("cannot start the demo MindLogger server on 127.0.0.1")?;
    let setup = write_demo_config(&dir, &sim, &ema)?;
    say(&format!(
        "demo MindTrails server listening at {}\ndemo MindLogger (v2) server listening at {}\ndemo folder {}",
        sim.base_url(),
        ema.base_url(),
        setup.dir.display()
    ))?;

    let config_arg = setup.config.display().to_string();
    let mut problems = false;
    // The real commands, as a person would type them.
    let mut steps: Vec<&[&str]> = vec![
        &["export", "demo", "all"],
        // Older servers do not list Participant but answer for it; the client report uses it.
        &["export", "demo", "Participant"],
        &["decode", "demo"],
        // What a lab runs before leaving the study to cron.
        &["doctor", "demo"],
        &["report", "scale", "demo"],
        &["report", "client", "demo", "--html"],
        // A MindLogger study: answers encrypted in the app, decrypted here with the applet passwords.
        &["export", "ema"],
        &["decode", "ema"],
    ];
    // Scoring needs polars, which a `--no-default-features` build leaves out.
    if cfg!(feature = "scales") {
        steps.push(&["prepare", "all", "demo", "--study", "templeton"]);
    }
    for words in steps {
        say(&format!(
            "\n$ mtdata --config {config_arg} {}",
            words.join(" ")
        ))?;
        let mut all = vec!["--config", config_arg.as_str()];
        if ctx.global.quiet {
            all.push("-q");
        }
        all.extend_from_slice(words);
        problems |= crate::app::run_words(&all, ctx)? != Outcome::Success;
    }

    let config = crate::app::load_config(&setup.config)?;
    let server = crate::app::select_servers(&config, "demo", true)?[0].clone();
    let layout = server.layout();
    let left: usize = sim
        .table_names()
        .iter()
        .filter(|t| mtdata_sim::study::table_deleteable(t) == Some(true))
        .map(|t| sim.table_ids(t).len())
        .sum();
    problems |= left > 0;
    let html = newest_file(&layout.reports(), ".html");
    let mut lines = vec![
        format!("\nrows of deleteable tables still on the server after the export: {left}"),
        "\nwhat was written where:".to_owned(),
    ];
    for (what, path) in [
        ("raw JSON backups", layout.raw_data()),
        ("marks, schedule, decoded CSV tables", layout.active_data()),
        ("reports (CSV, HTML)", layout.reports()),
        (
            "MindLogger answers (responses.csv, wide/)",
            StudyLayout::new(setup.dir.join("ema"))
                .active_data()
                .join("mindlogger"),
        ),
        ("cleaned, scored and wide tables", layout.processed_data()),
        ("logs", layout.logs()),
        ("config", setup.config.clone()),
    ] {
        lines.push(format!("  {what:<42} {}", path.display()));
    }
    if let Some(html) = html {
        lines.push(format!("\nopen the HTML report: {}", html.display()));
    }
    say(&lines.join("\n"))?;
    Ok(Outcome::problems_if(problems))
}

fn say(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

fn newest_file(dir: &Path, suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .max()
}

fn prepare_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let is_empty = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_none();
        if is_demo {
            std::fs::remove_dir_all(dir).with_context(|| {
                format!("cannot replace the earlier demo folder {}", dir.display())
            })?;
        } else if !is_empty {
            anyhow::bail!(
                "{} exists and is not a demo folder; pass --dir with a new folder",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by mtdata demo; safe to delete\n")?;
    Ok(std::path::absolute(dir)?)
}

/// Write `config/server.config` and the test-only key the simulator encrypts for, readable by the owner
/// only. The key is compiled into the binary, so an installed `mtdata` needs no source tree.
fn write_demo_config(
    dir: &Path,
    sim: &Simulator,
    ema: &mindlogger::Simulator,
) -> anyhow::Result<DemoSetup> {
    let keys = create_owner_only_dir(&dir.join("keys"))?;
    let key = keys.join("demo_private.pem");
    write_owner_only(&key, mtdata_sim::keys::TEST_PRIVATE_PKCS1_PEM)?;
    // Applet passwords never go into the config text: one owner-only file each.
    let mut applet_passwords = String::new();
    for id in ema.applet_ids() {
        let file = keys.join(format!("applet-{id}.pass"));
        let password = ema
            .applet_password(&id)
            .context("the demo applet has no password")?;
        write_owner_only(&file, format!("{password}\n").as_bytes())?;
        applet_passwords.push_str(&format!("    {id}:\n      - FILE: '{}'\n", file.display()));
    }
    let (ema_user, ema_pass) = ema.manager();
    let study = dir.join("study");
    let config_dir = create_owner_only_dir(&dir.join("config"))?;
    let config = config_dir.join("server.config");
    let text = format!(
        "# Written by `mtdata demo`: a test-only study server on loopback.\n\
         demo:\n  \
           READY: True\n  \
           DELETE_MODE: True\n  \
           SERVER: '{}'\n  \
           USER: {}\n  \
           PASS: {}\n  \
           PRIVATE_FILE: '{}'\n  \
           DATE_FORMAT: \"%b_%d_%Y\"\n  \
           TIME_FORMAT: \"%H_%M_%S\"\n  \
           PATH: '{}'\n  \
           NAME: Demo\n\
         ema:\n  \
           PLATFORM: mindlogger-v2\n  \
           READY: True\n  \
           SERVER: '{}'\n  \
           USER: {}\n  \
           PASS: {}\n  \
           PATH: '{}'\n  \
           NAME: EMA demo\n  \
           APPLETS: all\n  \
           APPLET_PASSWORDS:\n{applet_passwords}",
        sim.base_url(),
        sim.user(),
        sim.password(),
        key.display(),
        study.display(),
        ema.base_url(),
        ema_user,
        ema_pass,
        dir.join("ema").display(),
    );
    write_owner_only(&config, text.as_bytes())?;
    Ok(DemoSetup {
        dir: dir.to_owned(),
        config,
    })
}

/// Creates a new file readable by the owner only (0600 from its creation, never wider for a moment).
fn write_owner_only(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Creates a folder only its owner may enter (0700).
fn create_owner_only_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.to_owned())
}
