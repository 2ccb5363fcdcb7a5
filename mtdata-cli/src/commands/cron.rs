//! `mtdata cron [SERVER]`: print a crontab line and a systemd service and timer that run the export
//! unattended, with absolute paths and the environment variables the run needs named (never filled in).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use mtdata_core::config::{Config, SecretLocation, ServerConfig};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

const AFTER_HELP: &str = "\
Prints, for the config file in use: the environment variables the run needs (names only: their
values are secrets), a crontab line, and a systemd service + timer pair, with absolute paths to this
mtdata, the config file and the folder to run in (relative PRIVATE_FILE and PATH start there).
Nothing is installed. Check the setup first with `mtdata doctor`.

Examples:
  mtdata cron                       # every READY block, every five minutes
  mtdata cron templeton --every 10";

/// Arguments of `mtdata cron`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct CronArgs {
    /// Server block, or `.` for every READY block
    #[arg(default_value = ".")]
    pub server: String,

    /// Minutes between runs
    #[arg(long, default_value_t = 5, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..=59))]
    pub every: u32,
}

pub fn run(args: &CronArgs, ctx: &Context) -> CommandResult {
    // Only the names of secrets are printed: one not set in this shell (cron sets it) must not stop us.
    let config = mtdata_core::config::Config::load(&ctx.global.config, |name| {
        Some(std::env::var(name).unwrap_or_default())
    })?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let servers = config.select(&args.server, true)?;
    let setup = Setup::new(&config, &args.server, args.every)?;
    let text = setup.render(&servers);
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(Outcome::Success)
}

/// Absolute paths and names for the schedule.
struct Setup {
    exe: PathBuf,
    config: PathBuf,
    workdir: PathBuf,
    server: String,
    every: u32,
    user: Option<String>,
}

impl Setup {
    fn new(config: &Config, server: &str, every: u32) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the path of this mtdata")?;
        Ok(Setup {
            exe,
            config: std::path::absolute(&config.path)?,
            workdir: std::env::current_dir().context("cannot read the current folder")?,
            server: server.to_owned(),
            every,
            user: std::env::var("USER").ok().filter(|u| !u.is_empty()),
        })
    }

    fn unit(&self) -> String {
        match self.server.as_str() {
            "." => "mtdata-export".to_owned(),
            name => {
                let safe: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("mtdata-export-{safe}")
            }
        }
    }

    fn command(&self, quote: fn(&Path) -> String) -> String {
        format!(
            "{} --config {} export {} . -q",
            quote(&self.exe),
            quote(&self.config),
            shell_word(&self.server)
        )
    }

    fn render(&self, servers: &[&ServerConfig]) -> String {
        let vars = environment(servers);
        let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
        let unit = self.unit();
        let mut text = format!(
            "# mtdata export of {} every {} minutes, run in {}\n",
            names.join(", "),
            self.every,
            self.workdir.display()
        );
        if vars.is_empty() {
            text.push_str(
                "# It needs no environment variable (the config file holds what it needs).\n",
            );
        } else {
            text.push_str(
                "# It needs these environment variables (names only; their values are secrets):\n",
            );
            for (name, what) in &vars {
                text.push_str(&format!("#   {name:<28} {what}\n"));
            }
        }
        let env_file = format!("/etc/mtdata/{unit}.env");
        text.push_str(&format!(
            "\n## crontab (crontab -e): put NAME=value lines for the variables above it\n\
             */{} * * * * cd {} && {}\n",
            self.every,
            shell_path(&self.workdir),
            self.command(shell_path)
        ));
        text.push_str(&format!(
            "\n## systemd: /etc/systemd/system/{unit}.service\n\
             [Unit]\n\
             Description=mtdata export of {}\n\
             Wants=network-online.target\n\
             After=network-online.target\n\
             \n\
             [Service]\n\
             Type=oneshot\n",
            names.join(", ")
        ));
        if let Some(user) = &self.user {
            text.push_str(&format!("User={user}\n"));
        }
        text.push_str(&format!("WorkingDirectory={}\n", self.workdir.display()));
        if !vars.is_empty() {
            let lines: Vec<String> = vars.iter().map(|(name, _)| format!("{name}=...")).collect();
            text.push_str(&format!(
                "# {env_file}: owner-only (chmod 600), one line each: {}\n\
                 EnvironmentFile={env_file}\n",
                lines.join(" ")
            ));
        }
        text.push_str(&format!("ExecStart={}\n", self.command(systemd_path)));
        text.push_str(&format!(
            "\n## systemd: /etc/systemd/system/{unit}.timer\n\
             [Unit]\n\
             Description=Run mtdata export every {} minutes\n\
             \n\
             [Timer]\n\
             OnCalendar=*:0/{}\n\
             Persistent=true\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n\
             \n\
             ## then: systemctl daemon-reload && systemctl enable --now {unit}.timer\n\
             ## check the setup first: {} --config {} doctor {}\n",
            self.every,
            self.every,
            shell_path(&self.exe),
            shell_path(&self.config),
            shell_word(&self.server)
        ));
        text
    }
}

/// The environment variables the servers read, with what each holds.
fn environment(servers: &[&ServerConfig]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, what: String| {
        if !vars.iter().any(|(n, _)| n == name) {
            vars.push((name.to_owned(), what));
        }
    };
    for server in servers {
        if let Some(name) = &server.account_env.user {
            add(name, format!("the account of block {}", server.name));
        }
        if let Some(name) = &server.account_env.pass {
            add(name, format!("the password of block {}", server.name));
        }
        if let Some(mindlogger) = server.platform.mindlogger() {
            for entry in &mindlogger.applet_passwords {
                for source in &entry.sources {
                    if let SecretLocation::Env(name) = &source.location {
                        add(name, format!("the password of applet {}", entry.applet));
                    }
                }
            }
        }
        if let Some(email) = &server.alerts.email
            && let Some(SecretLocation::Env(name)) = &email.password
        {
            add(
                name,
                format!(
                    "the SMTP password of {}",
                    email.user.as_deref().unwrap_or("the alerts")
                ),
            );
        }
    }
    vars
}

/// A path for a shell line, single-quoted when it holds anything but plain characters.
fn shell_path(path: &Path) -> String {
    shell_word(&path.display().to_string())
}

fn shell_word(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@'));
    if plain && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A path for systemd's ExecStart, double-quoted when it holds spaces.
fn systemd_path(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains(char::is_whitespace) {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("templeton"), "templeton");
        assert_eq!(shell_word("."), ".");
        assert_eq!(
            shell_path(Path::new("/Users/ra/Box Sync/x")),
            "'/Users/ra/Box Sync/x'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(systemd_path(Path::new("/a b/c")), "\"/a b/c\"");
    }
}
