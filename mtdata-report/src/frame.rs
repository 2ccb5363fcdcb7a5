//! The reports as polars DataFrames, for notebooks (cargo feature `polars`).

use polars::prelude::{Column, DataFrame, PolarsResult};

use crate::{ClientReport, ScaleReport};

fn count(values: impl Iterator<Item = usize>) -> Vec<u64> {
    values.map(|v| v as u64).collect()
}

impl ScaleReport {
    /// One row per task of the schedule, the same columns as the CSV.
    pub fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        let r = &self.rows;
        DataFrame::new_infer_height(vec![
            Column::new(
                "task".into(),
                r.iter().map(|x| x.task.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "table".into(),
                r.iter().map(|x| x.table.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "data_found".into(),
                r.iter().map(|x| x.data_found).collect::<Vec<_>>(),
            ),
            Column::new(
                "tasklog_rows".into(),
                count(r.iter().map(|x| x.tasklog_rows)),
            ),
            Column::new(
                "tasklog_completions".into(),
                count(r.iter().map(|x| x.tasklog_completions)),
            ),
            Column::new("data_rows".into(), count(r.iter().map(|x| x.data_rows))),
            Column::new(
                "data_completions".into(),
                count(r.iter().map(|x| x.data_completions)),
            ),
            Column::new(
                "participants".into(),
                count(r.iter().map(|x| x.participants)),
            ),
            Column::new("duplicates".into(), count(r.iter().map(|x| x.duplicates))),
            Column::new(
                "unlinked_rows".into(),
                count(r.iter().map(|x| x.unlinked_rows)),
            ),
            Column::new("missing".into(), count(r.iter().map(|x| x.missing))),
            Column::new(
                "missing_rate".into(),
                r.iter().map(|x| x.missing_rate).collect::<Vec<_>>(),
            ),
            Column::new("unlogged".into(), count(r.iter().map(|x| x.unlogged))),
        ])
    }
}

impl ClientReport {
    /// One row per participant; `missing` is the `; `-joined list of missing tasks.
    pub fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        let r = &self.rows;
        DataFrame::new_infer_height(vec![
            Column::new(
                "participant".into(),
                r.iter().map(|x| x.participant.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "admin".into(),
                r.iter().map(|x| x.admin).collect::<Vec<_>>(),
            ),
            Column::new(
                "test_account".into(),
                r.iter().map(|x| x.test_account).collect::<Vec<_>>(),
            ),
            Column::new(
                "current_session".into(),
                r.iter()
                    .map(|x| x.current_session.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "current_task".into(),
                r.iter().map(|x| x.current_task.clone()).collect::<Vec<_>>(),
            ),
            Column::new("completed".into(), count(r.iter().map(|x| x.completed))),
            Column::new("expected".into(), count(r.iter().map(|x| x.expected))),
            Column::new(
                "missing_count".into(),
                count(r.iter().map(|x| x.missing.len())),
            ),
            Column::new("no_data".into(), count(r.iter().map(|x| x.no_data))),
            Column::new(
                "missing".into(),
                r.iter().map(|x| x.missing.join("; ")).collect::<Vec<_>>(),
            ),
            Column::new("duplicates".into(), count(r.iter().map(|x| x.duplicates))),
            Column::new(
                "data_duplicates".into(),
                count(r.iter().map(|x| x.data_duplicates)),
            ),
            Column::new(
                "last_activity".into(),
                r.iter()
                    .map(|x| x.last_activity.clone())
                    .collect::<Vec<_>>(),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientReport, ReportOptions, ScaleReport, StudyFolder};

    #[test]
    fn reports_become_dataframes() {
        let root = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"),
        )
        .join("../fixtures/report/templeton");
        let study = StudyFolder::open(&root, ReportOptions::default()).unwrap();
        let scale = ScaleReport::build(&study).unwrap();
        let frame = scale.to_dataframe().unwrap();
        assert_eq!(frame.height(), scale.rows.len());
        assert_eq!(frame.width(), 13);
        let client = ClientReport::build(&study).unwrap();
        let frame = client.to_dataframe().unwrap();
        assert_eq!(frame.height(), client.rows.len());
        let missing = frame.column("missing_count").unwrap().u64().unwrap();
        let expected: Vec<Option<u64>> = client
            .rows
            .iter()
            .map(|r| Some(r.missing.len() as u64))
            .collect();
        let got: Vec<Option<u64>> = (0..missing.len()).map(|i| missing.get(i)).collect();
        assert_eq!(got, expected);
    }
}
