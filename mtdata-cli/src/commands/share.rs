//! `mtdata share SERVER --account ID [--girder FILE] --out DIR`: the decoded MindLogger tables and Girder
//! response records that one account may see, by its roles in each Activity Set, in a folder of their own.
//! The Girder structure comes from the export's `raw_data/girder/` (or a JSON file of documents); the
//! filtering is `mtdata_decode::share`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use mindlogger_model::girder::{GirderDocuments, GirderTree, visible_users};
use mtdata_core::mindlogger::AppletId;
use mtdata_core::names::shown;
use mtdata_decode::share::{SharedSet, manifest, read_applet_tables, share_set, write_share};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

const AFTER_HELP: &str = "\
Who sees whom, per Activity Set: owners and managers every user of the set; a viewer the users its
entries (keyed by its user id or by group/<id> of its groups) grant, folder/<set id> meaning every
user; a user their own responses; an editor nobody. A row of responses.csv, the journey or a wide
table is included only when its respondent and every other person it names are visible.

The folder receives, per Activity Set, <set id>/responses.csv, activity_user_journey.csv, wide/*.csv
(when `mtdata decode` wrote them for an applet of that id) and girder_responses.json, then
manifest.json: the users included and why, and the rows of each file. Files are owner-only.

Examples:
  mtdata share ema --account 64f0c2e1a9b8c7d6e5f4a3b2 --out share-for-ra
  mtdata share ema --account 64f0c2e1a9b8c7d6e5f4a3b2 --girder girder.json --out share-for-ra
  mtdata share ema --account 64f0c2e1a9b8c7d6e5f4a3b2 --activity-set 64a1b2c3d4e5f60718293a4b \\
      --girder girder.json --out share-for-ra

Exit status: 0 written, 2 error (nothing visible, unknown account, folder not empty).";

/// Arguments of `mtdata share`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ShareArgs {
    /// Server block of the MindLogger study whose decoded tables are shared
    pub server: String,

    /// Girder user id of the account the share is for
    #[arg(long, value_name = "USER_ID")]
    pub account: String,

    /// Share only this Activity Set (its folder id) [default: every set where the account sees a user]
    #[arg(long, value_name = "ID")]
    pub activity_set: Option<String>,

    /// The Girder structure as a JSON file {"collections", "folders", "items", "users"} of documents
    /// [default: the latest complete walk of raw_data/girder/, saved by `mtdata export` with GIRDER: true]
    #[arg(long, value_name = "FILE")]
    pub girder: Option<PathBuf>,

    /// Folder to write the share into; must be new or empty
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: &ShareArgs, ctx: &Context) -> CommandResult {
    let config = crate::app::load_config(&ctx.global.config)?;
    let servers = crate::app::select_servers(&config, &args.server, false)?;
    let [server] = servers.as_slice() else {
        anyhow::bail!("give one server block, not `{}`", args.server);
    };
    if server.platform.mindlogger().is_none() {
        anyhow::bail!(
            "server {}: share is for MindLogger blocks (PLATFORM: mindlogger-v1)",
            server.name
        );
    }
    let layout = server.layout();
    let (documents, source) = match &args.girder {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("cannot read the Girder structure {}", path.display()))?;
            let documents: GirderDocuments = serde_json::from_slice(&text).with_context(|| {
                format!(
                    "{} is not a JSON object of Girder documents (collections, folders, items, users)",
                    path.display()
                )
            })?;
            (documents, path.clone())
        }
        None => {
            if !layout.girder_raw().is_dir() {
                anyhow::bail!(
                    "server {}: no Girder walk in {}; set GIRDER: true in the block and run `mtdata export`, or give --girder FILE",
                    server.name,
                    layout.girder_raw().display()
                );
            }
            let loaded = mtdata_decode::girder::load_girder(&layout)
                .with_context(|| format!("server {}", server.name))?;
            (loaded.documents, loaded.run_file)
        }
    };
    let tree = GirderTree::build(&documents)
        .with_context(|| format!("Girder structure {}", source.display()))?;
    for warning in &tree.warnings {
        tracing::warn!("{warning}");
    }
    let account = tree.users.get(&args.account).with_context(|| {
        format!(
            "no user {} in the Girder structure; give the account's Girder user id",
            shown(&args.account)
        )
    })?;
    let sets: Vec<_> =
        match &args.activity_set {
            Some(id) => vec![tree.activity_set(id).with_context(|| {
                format!("no activity set {} in the Girder structure", shown(id))
            })?],
            None => tree.activity_sets.iter().collect(),
        };
    let mut shared: Vec<SharedSet> = Vec::new();
    for set in sets {
        let visibility = visible_users(set, account);
        if visibility.users.is_empty() {
            continue;
        }
        let tables = match AppletId::parse_any(&set.id) {
            Ok(applet) => read_applet_tables(&layout.mindlogger_active(&applet))?,
            Err(_) => None,
        };
        if tables.is_none() {
            tracing::warn!(
                "server {}: no decoded tables for activity set {}; only its Girder responses are shared (run `mtdata decode` first)",
                server.name,
                shown(&set.id)
            );
        }
        let set_share = share_set(set, &visibility, tables.as_ref())
            .map_err(|problem| anyhow::anyhow!("activity set {}: {problem}", shown(&set.id)))?;
        shared.push(set_share);
    }
    if shared.is_empty() {
        anyhow::bail!(
            "account {} may see no user's responses{}; nothing was written",
            shown(&args.account),
            match &args.activity_set {
                Some(id) => format!(" in activity set {}", shown(id)),
                None => " in any activity set".to_owned(),
            }
        );
    }
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let manifest = manifest(&account.id, created, &shared);
    write_share(&args.out, &manifest, &shared)?;
    let mut stdout = std::io::stdout().lock();
    for set in &shared {
        let files: Vec<String> = set
            .files
            .iter()
            .map(|f| format!("{} {} ({} withheld)", f.path, f.rows, f.withheld))
            .collect();
        writeln!(
            stdout,
            "{} share for {}: activity set {} {}: {} user{}; {}",
            server.name,
            shown(&account.id),
            shown(&set.visibility.activity_set),
            shown(&set.name),
            set.visibility.users.len(),
            if set.visibility.users.len() == 1 {
                ""
            } else {
                "s"
            },
            files.join(", ")
        )?;
    }
    writeln!(stdout, "-> {}", args.out.display())?;
    Ok(Outcome::Success)
}
