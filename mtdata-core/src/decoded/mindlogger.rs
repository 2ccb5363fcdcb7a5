//! The decoded tables of a MindLogger applet: what `decode` writes to
//! `active_data/mindlogger/<applet id>/` (`StudyLayout::mindlogger_active`) and all that reports may
//! rely on. One definition of each column
//! name; the writer fills rows by these enums and readers find columns by them.
//!
//! - `responses.csv`: the admin panel's export layout (reference `mindlogger.md` §6.2, the header of
//!   `enableDataExportRenaming`), one row per answered item, then [`ResponseColumn::ItemScore`] and
//!   [`ResponseColumn::AnswerStatus`]. Times are integer epoch milliseconds.
//! - `activity_user_journey.csv`: one row per decrypted user event ([`JourneyColumn`]).
//! - `wide/<activity>.csv`: one row per submission: [`WIDE_SUBMISSION_COLUMNS`], then one column per item
//!   ([`option_column`], [`score_column`], [`text_column`] for the derived ones).
//! - `summary.json`: counts per status, conflicts, runs, failures.
//!
//! ```
//! use mtdata_core::decoded::mindlogger::{ResponseColumn, RESPONSES_HEADER, is_usable_status};
//!
//! assert_eq!(RESPONSES_HEADER[ResponseColumn::ItemResponse as usize], "item_response");
//! assert_eq!(RESPONSES_HEADER.last(), Some(&"answer_status"));
//! assert!(is_usable_status("decrypted") && !is_usable_status("wrong key"));
//! ```

/// `responses.csv`.
pub const RESPONSES_FILE: &str = "responses.csv";
/// `activity_user_journey.csv`.
pub const JOURNEY_FILE: &str = "activity_user_journey.csv";
/// `wide/`: one CSV per activity.
pub const WIDE_FOLDER: &str = "wide";
/// `summary.json`.
pub const SUMMARY_FILE: &str = "summary.json";

/// Defines a column enum and its header from one list, so a name is written once.
macro_rules! columns {
    ($(#[$meta:meta])* $enum:ident, $header:ident, $len:literal { $($(#[$vmeta:meta])* $variant:ident => $name:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum {
            $($(#[$vmeta])* $variant,)*
        }

        impl $enum {
            /// Every column, in header order (`column as usize` is its position).
            pub const ALL: [$enum; $len] = [$($enum::$variant,)*];

            /// The column's name in the header.
            pub const fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)*
                }
            }
        }

        /// The header, in order.
        pub const $header: [&str; $len] = [$($name,)*];
    };
}

columns! {
    /// The columns of `responses.csv`: the admin's 36 (reference §6.2), then two of mtdata's.
    ResponseColumn, RESPONSES_HEADER, 38 {
        TargetId => "target_id",
        TargetSecretId => "target_secret_id",
        TargetNickname => "target_nickname",
        TargetTag => "target_tag",
        SourceId => "source_id",
        SourceSecretId => "source_secret_id",
        SourceNickname => "source_nickname",
        SourceTag => "source_tag",
        SourceRelation => "source_relation",
        InputId => "input_id",
        InputSecretId => "input_secret_id",
        InputNickname => "input_nickname",
        UserId => "userId",
        SecretUserId => "secret_user_id",
        LegacyUserId => "legacy_user_id",
        AppletVersion => "applet_version",
        ActivityFlowId => "activity_flow_id",
        ActivityFlowName => "activity_flow_name",
        ActivityFlowSubmissionId => "activity_flow_submission_id",
        ActivityId => "activity_id",
        ActivityName => "activity_name",
        ActivitySubmissionId => "activity_submission_id",
        ActivityStartTime => "activity_start_time",
        ActivityEndTime => "activity_end_time",
        ActivityScheduleId => "activity_schedule_id",
        ActivityScheduleStartTime => "activity_schedule_start_time",
        UtcTimezoneOffset => "utc_timezone_offset",
        ActivitySubmissionReviewId => "activity_submission_review_id",
        ItemId => "item_id",
        ItemName => "item_name",
        ItemPrompt => "item_prompt",
        ItemResponseOptions => "item_response_options",
        ItemResponse => "item_response",
        ItemResponseStatus => "item_response_status",
        ItemType => "item_type",
        /// The admin's `rawScore`: the sum of *all* option scores of the item, not the chosen one's.
        RawScore => "rawScore",
        /// mtdata: the score of the selected option (the sum for a multiple selection); empty when the item
        /// has no scores or was not answered.
        ItemScore => "item_score",
        /// mtdata: what became of the answer's decryption (`decrypted`, `plain`, `wrong key`, ...). Rows of
        /// a failed answer have an empty `item_response`.
        AnswerStatus => "answer_status",
    }
}

columns! {
    /// The columns of `activity_user_journey.csv`: the admin's renamed journey (`getJourneyCSVReturn` with
    /// `enableDataExportRenaming`), then the events' decryption status.
    JourneyColumn, JOURNEY_HEADER, 42 {
        TargetId => "target_id",
        TargetSecretId => "target_secret_id",
        TargetNickname => "target_nickname",
        TargetTag => "target_tag",
        SourceId => "source_id",
        SourceSecretId => "source_secret_id",
        SourceNickname => "source_nickname",
        SourceTag => "source_tag",
        SourceRelation => "source_relation",
        InputId => "input_id",
        InputSecretId => "input_secret_id",
        InputNickname => "input_nickname",
        UserId => "user_id",
        SecretUserId => "secret_user_id",
        LegacyUserId => "legacy_user_id",
        AppletVersion => "applet_version",
        ActivityFlowId => "activity_flow_id",
        ActivityFlowName => "activity_flow_name",
        ActivityFlowSubmissionId => "activity_flow_submission_id",
        ActivityId => "activity_id",
        ActivityName => "activity_name",
        ActivitySubmissionId => "activity_submission_id",
        ActivityStartTime => "activity_start_time",
        ActivityEndTime => "activity_end_time",
        ActivityScheduleId => "activity_schedule_id",
        ActivityScheduleStartTime => "activity_schedule_start_time",
        UtcTimezoneOffset => "utc_timezone_offset",
        ItemId => "item_id",
        ItemName => "item_name",
        ItemPrompt => "item_prompt",
        ItemResponseOptions => "item_response_options",
        ItemResponse => "item_response",
        ItemType => "item_type",
        PressNextTime => "press_next_time",
        PressPopupSkipTime => "press_popup_skip_time",
        PressPopupKeepTime => "press_popup_keep_time",
        PressBackTime => "press_back_time",
        PressUndoTime => "press_undo_time",
        PressSkipTime => "press_skip_time",
        PressDoneTime => "press_done_time",
        ResponseOptionSelectionTime => "response_option_selection_time",
        /// mtdata: the decryption status of the submission's events. A submission whose events did not
        /// decrypt has one row with its identity, empty event cells and this status.
        EventsStatus => "events_status",
    }
}

/// The first columns of every `wide/<activity>.csv`, one row per submission; the item columns follow.
pub const WIDE_SUBMISSION_COLUMNS: [ResponseColumn; 20] = [
    ResponseColumn::ActivitySubmissionId,
    ResponseColumn::UserId,
    ResponseColumn::SecretUserId,
    ResponseColumn::TargetId,
    ResponseColumn::TargetSecretId,
    ResponseColumn::SourceId,
    ResponseColumn::SourceSecretId,
    ResponseColumn::InputId,
    ResponseColumn::InputSecretId,
    ResponseColumn::AppletVersion,
    ResponseColumn::ActivityFlowId,
    ResponseColumn::ActivityFlowName,
    ResponseColumn::ActivityFlowSubmissionId,
    ResponseColumn::ActivityId,
    ResponseColumn::ActivityName,
    ResponseColumn::ActivityStartTime,
    ResponseColumn::ActivityEndTime,
    ResponseColumn::ActivityScheduleStartTime,
    ResponseColumn::ActivitySubmissionReviewId,
    ResponseColumn::AnswerStatus,
];

/// The wide column of one option of a multiple selection: `true`/`false` per submission.
pub fn option_column(item: &str, value: &str) -> String {
    format!("{item}__{value}")
}

/// The wide column of the selected option's score, beside a scored single selection.
pub fn score_column(item: &str) -> String {
    format!("{item}__score")
}

/// The wide column of the text a respondent added to a selection ("Other: ...").
pub fn text_column(item: &str) -> String {
    format!("{item}__text")
}

/// `activity_schedule_start_time` of an unscheduled activity (the admin's `ActivityStatus.NotScheduled`).
pub const NOT_SCHEDULED: &str = "not scheduled";

/// The `answer_status` values whose rows hold the respondent's answers: `decrypted`, and `plain` (an
/// unencrypted answer, kept as stored).
pub const USABLE_STATUSES: [&str; 2] = ["decrypted", "plain"];

/// Whether rows with this `answer_status` hold answers a report may count.
pub fn is_usable_status(status: &str) -> bool {
    USABLE_STATUSES.contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_header_positions() {
        for (i, column) in ResponseColumn::ALL.iter().enumerate() {
            assert_eq!(*column as usize, i);
            assert_eq!(RESPONSES_HEADER[i], column.name());
        }
        for (i, column) in JourneyColumn::ALL.iter().enumerate() {
            assert_eq!(*column as usize, i);
            assert_eq!(JOURNEY_HEADER[i], column.name());
        }
        assert_eq!(
            RESPONSES_HEADER[35], "rawScore",
            "the admin's 36 columns come first"
        );
    }

    #[test]
    fn derived_wide_columns() {
        assert_eq!(option_column("mood", "2"), "mood__2");
        assert_eq!(score_column("mood"), "mood__score");
        assert_eq!(text_column("mood"), "mood__text");
    }
}
