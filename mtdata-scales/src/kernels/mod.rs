//! The kernels: everything that knows how polars stores a table. Validity bitmaps and views
//! (polars-arrow), 64 rows at a time ([`bits`]), key coding and exact duplicates ([`keys`]), the
//! participant of each row ([`participant`]), cleaned item columns ([`items`]), block sums on
//! all cores ([`scoring`]), the long-to-wide scatter ([`scatter`]), typed reading and writing
//! ([`table`]) and column helpers ([`columns`]).
//!
//! These are the only modules that use polars-arrow, so a polars upgrade touches them and, at
//! most, the DataFrame calls of the operations; what the numbers mean is decided in
//! [`crate::rules`], never here.

pub(crate) mod bits;
pub(crate) mod columns;
pub(crate) mod items;
pub(crate) mod keys;
pub(crate) mod participant;
pub(crate) mod scatter;
pub(crate) mod scoring;
pub(crate) mod table;
