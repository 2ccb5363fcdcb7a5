//! mindlogger-model
