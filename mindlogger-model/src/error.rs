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
