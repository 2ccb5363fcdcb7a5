//! What can be wrong with a MindLogger encoding. Messages name the field or element at fault.

/// The error type of this crate: an encoding that is not what MindLogger writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("not an encrypted payload: no `:` between the IV and the ciphertext")]
    PayloadNoColon,
    #[error("not an encrypted payload: more than one `:`")]
    PayloadExtraColon,
    #[error("encrypted payload: the IV is not hexadecimal")]
    IvNotHex,
    #[error("encrypted payload: the IV is {0} bytes, expected 16")]
    IvLength(usize),
    #[error("encrypted payload: the ciphertext is not hexadecimal")]
    CiphertextNotHex,
    #[error(
        "encrypted payload: the ciphertext is {0} bytes, not a whole number of 16-byte AES blocks"
    )]
    CiphertextLength(usize),
    /// The JSON parser's message, with its position; kept as text so the error stays `Clone + Eq`.
    #[error("not JSON text of a byte array ({0})")]
    NotJson(String),
    #[error("expected an array of byte values (0 to 255), found {0}")]
    NotArray(&'static str),
    #[error("element {index} of the byte array is {value}, not a byte (0 to 255)")]
    NotAByte { index: usize, value: String },
    #[error("the byte array is empty")]
    EmptyBytes,
    #[error("the user public key is an empty string")]
    EmptyUserPublicKey,
    #[error("applet encryption: no field `{0}`")]
    MissingField(&'static str),
    #[error("applet encryption: field `{field}` is wrong")]
    Field {
        field: &'static str,
        #[source]
        source: Box<Error>,
    },
    #[error("applet encryption: `accountId` must be a non-empty string, found {0}")]
    AccountId(&'static str),
    #[error("applet encryption: expected a JSON object, found {0}")]
    NotObject(&'static str),
    /// A Girder document of the MindLogger structure that is not what the model expects.
    #[error("girder {kind} {id}: `{field}`: {problem}")]
    Girder {
        kind: DocumentKind,
        /// The document's `_id`.
        id: String,
        /// The field at fault, as a path (`meta.members.owners`, `meta.userNotifications[0].days[1]`).
        field: String,
        /// Boxed, so that results of this crate (and of those that wrap its errors) stay small.
        problem: Box<GirderProblem>,
    },
}

/// The kind of a Girder document, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Collection,
    Folder,
    Item,
    User,
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DocumentKind::Collection => "collection",
            DocumentKind::Folder => "folder",
            DocumentKind::Item => "item",
            DocumentKind::User => "user",
        })
    }
}

/// What is wrong with a field of a Girder document. Texts quoted here are structure (names, times, ids of
/// accounts), never answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GirderProblem {
    #[error("the activity set has no owner; add an account id to `owners`")]
    NoOwner,
    #[error("viewer entry `{0}` names neither a user nor a group; use a user id or `group/<id>`")]
    ViewerEntry(String),
    #[error(
        "`{0}` grants neither a user, a group nor this activity set; use a user id, `group/<id>` or `folder/<activity set id>`"
    )]
    ViewerGrant(String),
    #[error("unknown weekday `{0}`; use Monday to Sunday")]
    UnknownWeekday(String),
    #[error("monthly day {0} is outside 1-28")]
    MonthlyDay(i64),
    #[error("malformed time `{0}`; expected `HH:MM AM` or `HH:MM PM`")]
    MalformedTime(String),
    #[error("malformed date `{0}`; expected YYYY-MM-DD")]
    MalformedDate(String),
    #[error("the random window {from} to {to} ends before it starts")]
    EmptyWindow { from: String, to: String },
    #[error("no screen `{0}` in this activity version")]
    UnknownScreen(String),
    #[error("malformed metadata ({0})")]
    Meta(String),
    #[error("the parent {0} is not in the documents")]
    MissingParent(String),
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The JSON kind of a value, for error messages (never the value itself: it may be participant data).
pub(crate) fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
