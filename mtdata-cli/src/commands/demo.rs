//! `mtdata demo`: the whole pipeline on a built-in demo study, over HTTP on loopback, with no
//! server or keys to set up.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use mtdata_export::{ExportOptions, Scale};
use mtdata_fixtures::sim::{SimOptions, Simulator};
use mtdata_fixtures::study::StudyOptions;

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

const AFTER_HELP: &str = "\
The demo starts a MindTrails study-server simulator on 127.0.0.1 with a synthetic Templeton-like
study (participant ids encrypted under a test-only key), writes config/server.config into the demo
folder, and runs the real commands against it: export (with DELETE_MODE), decode and report.
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
    let setup = write_demo_config(&dir, &sim)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "demo study server listening at {}", sim.base_url())?;
    writeln!(out, "demo folder {}", setup.dir.display())?;
    writeln!(
        out,
        "\n$ mtdata --config {} export demo all",
        setup.config.display()
    )?;
    drop(out);

    let config = crate::commands::export::load_config(&setup.config)?;
    let server = config.select("demo", true)?[0].clone();
    let options = ExportOptions {
        scale: Scale::All,
        ..ExportOptions::default()
    };
    let report = crate::commands::export::export_one(&server, &options, ctx)?;
    let mut problems = report.has_problems();

    let left: usize = sim
        .table_names()
        .iter()
        .filter(|t| mtdata_fixtures::study::table_deleteable(t) == Some(true))
        .map(|t| sim.table_ids(t).len())
        .sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "rows of deleteable tables still on the server after the export: {left}"
    )?;
    problems |= left > 0;

    writeln!(out, "\nwhat was written where:")?;
    for (what, path) in [
        ("raw JSON backups", server.layout().raw_data()),
        (
            "marks (benchMark.json) and decoded tables",
            server.layout().active_data(),
        ),
        ("study schedule", server.layout().schedule()),
        ("logs", server.layout().logs()),
        ("config", setup.config.clone()),
    ] {
        writeln!(out, "  {:<44} {}", what, path.display())?;
    }
    writeln!(
        out,
        "\ntry: mtdata --config {} export demo all   (the server is gone once the demo ends)",
        setup.config.display()
    )?;
    Ok(Outcome::problems_if(problems))
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

/// Write `config/server.config` and a copy of the test-only key, readable by the owner only.
fn write_demo_config(dir: &Path, sim: &Simulator) -> anyhow::Result<DemoSetup> {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys)?;
    let key = keys.join("demo_private.pem");
    std::fs::copy(mtdata_fixtures::keys::test_private_pkcs1_pem(), &key)
        .context("cannot copy the demo key")?;
    restrict_to_owner(&key)?;
    let study = dir.join("study");
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir)?;
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
           NAME: Demo\n",
        sim.base_url(),
        sim.user(),
        sim.password(),
        key.display(),
        study.display()
    );
    std::fs::write(&config, text)?;
    restrict_to_owner(&config)?;
    Ok(DemoSetup {
        dir: dir.to_owned(),
        config,
    })
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}
