//! Progress bars on stderr (only when stderr is a terminal and not `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mtdata_export::mindlogger::AppletSummary;
use mtdata_export::{Progress, TableSummary};

/// Export progress: a byte counter while a table downloads, a bar while rows are deleted.
pub struct ExportBars {
    enabled: bool,
    server: String,
    bar: Option<ProgressBar>,
}

impl ExportBars {
    pub fn new(enabled: bool, server: &str) -> Self {
        ExportBars {
            enabled,
            server: server.to_owned(),
            bar: None,
        }
    }

    fn replace(&mut self, bar: ProgressBar) {
        if let Some(old) = self.bar.replace(bar) {
            old.finish_and_clear();
        }
    }
}

impl Progress for ExportBars {
    fn table_started(&mut self, table: &str, rows: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {msg} {bytes} ({bytes_per_sec})")
                .expect("valid template"),
        );
        // Applet names come from the server: shown escaped like every server-supplied name.
        let table = mtdata_core::names::escaped(table);
        bar.set_prefix(format!("{} {table}", self.server));
        bar.set_message(rows.map_or_else(String::new, |r| format!("{r} rows listed,")));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.replace(bar);
    }

    fn bytes_received(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn deleting(&mut self, rows: u64) {
        if !self.enabled {
            return;
        }
        let prefix = self.bar.as_ref().map(|b| b.prefix()).unwrap_or_default();
        let bar = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} deleting [{bar:30}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix);
        self.replace(bar);
    }

    fn row_deleted(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn table_finished(&mut self, _summary: &TableSummary) {
        self.finish();
    }

    fn applet_finished(&mut self, _summary: &AppletSummary) {
        self.finish();
    }

    fn girder_finished(&mut self, _summary: &mtdata_export::mindlogger::GirderSummary) {
        self.finish();
    }
}

impl ExportBars {
    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ExportBars {
    fn drop(&mut self) {
        self.finish();
    }
}
