//! The baseline of the export benchmark: what MTData did with a table, in Rust. It holds the whole
//! body in memory, parses it whole into a JSON tree, writes it, and walks the rows for their ids.
//!
//! `cargo run --release -p mtdata-export --example buffered_baseline -- URL USER PASS TABLE OUT`

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, user, pass, table, out] = args.as_slice() else {
        return Err("usage: buffered_baseline URL USER PASS TABLE OUT".into());
    };
    let client = reqwest::blocking::Client::builder().timeout(None).build()?;
    let text = client
        .get(format!("{url}export/{table}"))
        .basic_auth(user, Some(pass))
        .send()?
        .error_for_status()?
        .text()?;
    let rows: serde_json::Value = serde_json::from_str(&text)?;
    std::fs::File::create(out)?.write_all(text.as_bytes())?;
    let mut max_id = 0;
    for row in rows.as_array().ok_or("not an array")? {
        max_id = max_id.max(row["id"].as_i64().unwrap_or(0));
    }
    writeln!(
        std::io::stderr(),
        "{} rows, max id {max_id}",
        rows.as_array().map_or(0, Vec::len)
    )?;
    Ok(())
}
