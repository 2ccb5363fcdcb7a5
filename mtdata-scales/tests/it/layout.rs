//! The crate's layout rules, checked on its source: polars-arrow only in `src/kernels/` (so a
//! polars upgrade touches the kernels), no polars at all in `src/rules/` (what a number means
//! is plain data), and no function over 120 lines without a reason written above it
//! (`// Long because ...`).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

/// Lines that are code, not comments (doc comments mention the crates by name).
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

#[test]
fn polars_arrow_only_in_kernels_and_no_polars_in_rules() {
    let (root, files) = src();
    for file in files {
        let place = file.strip_prefix(&root).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let in_kernels = place.starts_with("kernels");
        let in_rules = place.starts_with("rules");
        for line in code(&text) {
            assert!(
                in_kernels || !line.contains("polars_arrow"),
                "{}: polars-arrow outside src/kernels/: {line}",
                place.display()
            );
            assert!(
                !in_rules || !line.contains("polars"),
                "{}: polars in src/rules/: {line}",
                place.display()
            );
        }
    }
}

#[test]
fn long_functions_say_why() {
    let (root, files) = src();
    let mut long = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let body = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
                .iter()
                .any(|p| body.starts_with(p));
            if !is_fn {
                continue;
            }
            let indent = &line[..line.len() - body.len()];
            let close = format!("{indent}}}");
            let Some(end) = lines[i..].iter().position(|l| *l == close) else {
                continue;
            };
            // The comment block and attributes just above the function.
            let above = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim_start();
                    l.starts_with("//") || l.starts_with("#[")
                })
                .any(|l| l.contains("Long because"));
            if end + 1 > 120 && !above {
                long.push(format!(
                    "{}:{} ({} lines)",
                    file.strip_prefix(&root).unwrap().display(),
                    i + 1,
                    end + 1
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 120 lines without a reason: {long:?}"
    );
}
