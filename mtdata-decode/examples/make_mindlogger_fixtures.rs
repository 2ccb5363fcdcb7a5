//! Writes the MindLogger decode fixtures, `fixtures/decode/mindlogger/<case>/`: per case a `case.json` (what
//! it shows, and its TEST-ONLY applet passwords) and `raw_data/mindlogger/<applet>/` as the export writes it.
//! Deterministic: running it again gives the same bytes (a test checks the committed files against it).
//!
//! ```text
//! cargo run -p mtdata-decode --example make_mindlogger_fixtures            # rewrites fixtures/decode/mindlogger
//! cargo run -p mtdata-decode --example make_mindlogger_fixtures -- DIR     # writes them elsewhere
//! ```
#![allow(clippy::print_stdout)]
#![recursion_limit = "256"]

#[path = "mindlogger_pages/cases.rs"]
mod cases;
#[path = "mindlogger_pages/mod.rs"]
mod pages;

fn main() {
    let root = std::env::args().nth(1).map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/decode/mindlogger")
        },
        std::path::PathBuf::from,
    );
    for case in cases::CASES {
        cases::write_case(case, &root.join(case));
        println!("{}", root.join(case).display());
    }
}
