//! The `server.config` parser (`Config::from_yaml_str`) on any text, with some environment variables set:
//! it never panics, and on what it accepts, selecting servers and building their layouts does not either.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mtdata_core::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let env = |name: &str| match name.len() % 3 {
        0 => Some(format!("value of {name}")),
        1 => Some(String::new()),
        _ => None,
    };
    match Config::from_yaml_str(&text, Path::new("fuzz/server.config"), env) {
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
        }
        Ok(config) => {
            assert!(
                !config.servers.is_empty(),
                "a config without servers was accepted"
            );
            for require_ready in [false, true] {
                let _ = config.select(".", require_ready).map_err(|e| e.to_string());
                for server in &config.servers {
                    let _ = config
                        .select(&server.name, require_ready)
                        .map_err(|e| e.to_string());
                }
            }
            for server in &config.servers {
                let _ = server.layout().raw_data();
                assert!(server.export_url("OA").ends_with("export/OA"));
                assert!(server.timeout_secs >= 1);
            }
        }
    }
});
