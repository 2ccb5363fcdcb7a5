//! `mindlogger-sim`: serve a synthetic MindLogger study (v1 Girder or v2 API) on 127.0.0.1 until killed.
//!
//! ```text
//! mindlogger-sim [--api v1|v2] [--port N] [--seed N] [--applets N] [--answers N] [--live SECONDS] [--girder DIR]
//! ```
//! Prints the base URL on stdout, then on stderr the manager's login and each applet's id and password
//! (all synthetic, test-only) for a `server.config` to try. A v1 server also serves a Girder structure:
//! generated, or with `--girder DIR` the fixture folder `DIR` (`collection.json`, `folder.json`, `item.json`,
//! `user.json`).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_sim::mindlogger::{GirderSource, LiveSubmissions, SimOptions, Simulator};

const USAGE: &str = "usage: mindlogger-sim [--api v1|v2] [--port N] [--seed N] [--applets N] [--answers N] [--live SECONDS] [--girder DIR]";

fn parse(args: &[String]) -> Result<SimOptions, String> {
    let mut opts = SimOptions::new(MindLoggerApi::V2);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} needs a number, got {value:?}"))
        };
        match flag.as_str() {
            "--api" => {
                opts.api = match value.to_ascii_lowercase().as_str() {
                    "v1" => MindLoggerApi::V1,
                    "v2" => MindLoggerApi::V2,
                    _ => return Err(format!("--api must be v1 or v2, got {value:?}")),
                }
            }
            "--port" => {
                opts.port =
                    u16::try_from(number()?).map_err(|_| format!("port {value} is out of range"))?
            }
            "--seed" => opts.study.seed = number()?,
            "--applets" => opts.study.applets = number()? as usize,
            "--answers" => opts.study.answers = number()? as usize,
            "--live" => {
                opts.live = Some(LiveSubmissions {
                    per_page: 0,
                    every: Some(Duration::from_secs(number()?.max(1))),
                })
            }
            "--girder" => opts.girder = GirderSource::Fixture(value.into()),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut err = std::io::stderr().lock();
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                let _ = writeln!(err, "mindlogger-sim: {e}");
            }
            let _ = writeln!(err, "{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sim = match Simulator::start(opts) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "mindlogger-sim: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let _ = writeln!(std::io::stdout().lock(), "{}", sim.base_url());
    let (user, password) = sim.manager();
    let _ = writeln!(
        err,
        "mindlogger-sim: {} server; manager {user} (password {password}); test-only applet passwords:",
        sim.api()
    );
    for id in sim.applet_ids() {
        let _ = writeln!(
            err,
            "  {id}: {}",
            sim.applet_password(&id).unwrap_or_default()
        );
    }
    let _ = writeln!(err, "stop with Ctrl-C");
    drop(err);
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_every_option() {
        let o = parse(&args(
            "--api v1 --port 8080 --seed 9 --applets 4 --answers 100 --live 2 --girder fixtures/x",
        ))
        .unwrap();
        assert_eq!(o.api, MindLoggerApi::V1);
        assert_eq!(o.port, 8080);
        assert_eq!(
            (o.study.seed, o.study.applets, o.study.answers),
            (9, 4, 100)
        );
        assert_eq!(o.live.unwrap().every, Some(Duration::from_secs(2)));
        assert!(matches!(o.girder, GirderSource::Fixture(ref dir) if dir.ends_with("fixtures/x")));
        assert_eq!(parse(&[]).unwrap().api, MindLoggerApi::V2);
        assert!(parse(&args("--api v3")).unwrap_err().contains("--api"));
        assert!(
            parse(&args("--port"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert_eq!(parse(&args("--help")).unwrap_err(), "");
    }
}
