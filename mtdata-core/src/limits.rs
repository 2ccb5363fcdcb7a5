//! Size limits on what a server sends, so a broken or hostile server cannot make an export hold
//! unbounded data in memory. Each is far above what any MindTrails server has sent (a study has about
//! 100 tables, a schedule of some kilobytes, rows of some kilobytes), and an error that hits one names it.

/// Tables in the answer to `GET /api/export`.
pub const MAX_LISTED_TABLES: usize = 10_000;

/// Bytes of the answer to `GET /api/export` (the table list).
pub const MAX_TABLE_LIST_BYTES: usize = 16 << 20;

/// Bytes of the study schedule (`GET /api/study`).
pub const MAX_SCHEDULE_BYTES: usize = 16 << 20;

/// Bytes of one row of a table. Rows are read one at a time, so this bounds the memory a download
/// needs however large the table.
pub const MAX_ROW_BYTES: usize = 16 << 20;

/// `bytes` in words for messages: `16 MiB`.
pub fn mib(bytes: usize) -> String {
    format!("{} MiB", bytes >> 20)
}
