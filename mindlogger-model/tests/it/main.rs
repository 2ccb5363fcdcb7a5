//! Integration tests of mindlogger-model: documents shaped like the ones in the MindLogger reference notes.

mod export;
mod girder;
