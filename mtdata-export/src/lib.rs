//! mtdata-export
