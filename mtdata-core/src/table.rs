//! Table names as they come from a server, checked before they touch a path.

use std::fmt;

/// The longest table name accepted. Java class names of MindTrails entities are far shorter.
pub const MAX_TABLE_NAME_LEN: usize = 100;

/// A table name that is safe to use in a file name: 1 to 100 ASCII letters, digits, `_` or `-`,
/// starting with a letter or digit, and not a Windows device name (`CON`, `NUL`, `COM1`, ...).
/// Names of one listing that differ only by case are refused by the export, which sees the whole list
/// ([`crate::names::case_collisions`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName(String);

/// Why a server-supplied table name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("table name {shown} {reason}")]
pub struct InvalidTableName {
    /// The name, escaped and shortened for display.
    pub shown: String,
    pub reason: &'static str,
}

impl TableName {
    /// Check `name` and wrap it.
    pub fn new(name: &str) -> Result<Self, InvalidTableName> {
        let refuse = |reason| InvalidTableName {
            shown: crate::names::shown(name),
            reason,
        };
        if name.is_empty() {
            return Err(refuse("is empty"));
        }
        if name.len() > MAX_TABLE_NAME_LEN {
            return Err(refuse("is longer than 100 characters"));
        }
        if name.contains('\0') {
            return Err(refuse("contains a NUL byte"));
        }
        if name.contains(['/', '\\']) || name.contains("..") {
            return Err(refuse("contains a path separator or \"..\""));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(refuse(
                "has characters other than ASCII letters, digits, '_' and '-'",
            ));
        }
        if !name.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(refuse("does not start with a letter or digit"));
        }
        if crate::names::is_reserved(name) {
            return Err(refuse(
                "is a Windows device name (CON, NUL, COM1, ...), which cannot be a file",
            ));
        }
        Ok(TableName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TableName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::TableName;

    #[test]
    fn accepts_mindtrails_names() {
        for name in [
            "OA",
            "DASS21_AS",
            "DD_FU",
            "JsPsychTrial",
            "TaskLogDAO",
            "Study-1",
        ] {
            assert_eq!(TableName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn refuses_hostile_names() {
        let long = "A".repeat(10_000);
        for name in [
            "",
            "../etc/passwd",
            "a/b",
            "a\\b",
            "x\0y",
            ".hidden",
            "..",
            "a b",
            "ü",
            &long,
            "_tmp",
            "CON",
            "nul",
            "Com1",
        ] {
            let err = TableName::new(name).unwrap_err();
            assert!(err.to_string().starts_with("table name "), "{err}");
            assert!(err.to_string().len() < 200, "{err}");
        }
    }
}
