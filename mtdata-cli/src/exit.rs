//! Exit statuses shared by every subcommand.

/// What a finished command reports to the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked: exit status 0.
    Success,
    /// The command finished but some table, row or field failed: exit status 1.
    Problems,
    /// An error stopped the command, or stopped one of its servers while the others went on (the
    /// error was printed): exit status 2.
    Error,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Problems => 1,
            Outcome::Error => ERROR,
        }
    }

    /// The worse of two outcomes: an error over problems over success.
    #[must_use]
    pub fn worst(self, other: Outcome) -> Outcome {
        if self.code() >= other.code() {
            self
        } else {
            other
        }
    }

    /// `Problems` when `failed` is true.
    pub fn problems_if(failed: bool) -> Self {
        if failed {
            Outcome::Problems
        } else {
            Outcome::Success
        }
    }
}

/// Exit status for an error that stopped the command.
pub const ERROR: u8 = 2;
