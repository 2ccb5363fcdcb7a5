//! Run one export through the library, as `mtdata export SERVER SCALE --no-delete` does; used by
//! `scripts/bench_export.py` so the benchmark builds only this crate.
//!
//! `cargo run --release -p mtdata-export --example export_once -- CONFIG SERVER SCALE`

use mtdata_core::config::Config;
use mtdata_export::{ExportOptions, NoProgress, TableSelection, export_server};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, server, scale] = args.as_slice() else {
        return Err("usage: export_once CONFIG SERVER SCALE".into());
    };
    let config = Config::load(config.as_ref(), |_| None)?;
    let server = config.select(server, true)?[0];
    let options = ExportOptions {
        tables: TableSelection::parse(scale),
        no_delete: true,
        ..ExportOptions::default()
    };
    let report = export_server(server, &options, &mut NoProgress)?;
    if report.has_problems() {
        return Err(format!("{report:#?}").into());
    }
    Ok(())
}
