//! The admin panel's text forms of answers, options and scores (reference §6.2: `parseResponseValue.ts`,
//! `getAnswerValue.ts`, `parseOptions.ts`, `getRawScores.ts`, `joinWihComma.ts`), written again in Rust so
//! that `responses.csv` reads like the admin's export and its post-processing tools parse it.
//!
//! JavaScript's conversions are followed where they show: `String(x)` of numbers (`1`, not `1.0`), arrays
//! (`a,b`) and objects (`[object Object]`), `undefined` for a missing field, falsy values. Deliberate
//! differences, each documented in `docs/mindlogger.md`: a bare number or boolean answer is written
//! `value: <n>` (the admin writes nothing). These are the cells' texts: the CSV writers (`tables.rs`) make
//! a cell that a spreadsheet would run as a formula text (`mtdata_core::csv_cell`) unless `--raw-csv`.

use mindlogger_model::ResponseValues;
use serde_json::Value;

/// What the formatting of one answer needs besides the answer.
#[derive(Debug, Clone, Copy)]
pub struct AnswerContext<'a> {
    /// The item's response type (v2 names; v1 input types are mapped to them).
    pub response_type: &'a str,
    pub item_name: &'a str,
    pub response_values: &'a ResponseValues,
    /// The answer (submission) id.
    pub answer_id: &'a str,
    /// The target subject's secret id, which the admin puts in media file names.
    pub target_secret_id: &'a str,
    /// The item's position among the submission's visible items (A/B trails file names).
    pub index: usize,
    /// Dates of answers migrated from v1 (and v1 answers) have 0-based months: add one.
    pub zero_based_months: bool,
}

/// `String(value)` in JavaScript; `None` is `undefined`.
pub fn js_string(value: Option<&Value>) -> String {
    match value {
        None => "undefined".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => js_number_text(n),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => js_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".to_owned(),
    }
}

fn js_number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(u)) => u.to_string(),
        _ => js_number(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// A number as JavaScript prints it: integers without a fraction (`2`, not `2.0`).
pub fn js_number(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    f.to_string()
}

/// JavaScript truthiness.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// `Number(x)` for the values a range bound holds.
fn js_to_number(value: Option<&Value>) -> f64 {
    match value {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) if s.trim().is_empty() => 0.0,
        Some(Value::String(s)) => s.trim().parse().unwrap_or(f64::NAN),
        Some(_) => f64::NAN,
    }
}

/// `capitalize`: the first character in upper case.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `joinWihComma`: each element as text, capitalized, empty ones left out, joined by `, `.
fn join_with_comma(items: impl IntoIterator<Item = String>) -> String {
    items
        .into_iter()
        .map(|item| capitalize(&item))
        .filter(|item| !item.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The admin's `getAnswerValue`: the `value` field (or the answer itself), with `0` as `"0"` and empty or
/// falsy values as `"null"`.
fn answer_value(answer: &Value) -> Value {
    let inner = match answer {
        Value::Object(object) if object.contains_key("phaseType") => return answer.clone(),
        Value::Object(object) => match object.get("value") {
            None | Some(Value::Null) => answer,
            Some(value) => value,
        },
        other => other,
    };
    match inner {
        Value::Number(n) if n.as_f64() == Some(0.0) => Value::String("0".into()),
        Value::Array(items) if items.is_empty() => Value::String("null".into()),
        other if !truthy(Some(other)) => Value::String("null".into()),
        other => other.clone(),
    }
}

/// The `item_response` cell of an answer (`parseResponseValue`): the value, then ` | text: ...` for added
/// text and ` | edited: <ms>` for an edited answer.
pub fn format_response(context: &AnswerContext<'_>, answer: &Value) -> String {
    let edited = answer.get("edited").filter(|e| truthy(Some(e)));
    let edited = edited.map_or(String::new(), |e| {
        format!(" | edited: {}", js_string(Some(e)))
    });
    let raw = format_raw(context, answer);
    let text = match answer {
        Value::Object(object) => object.get("text").filter(|text| match text {
            Value::String(s) => !s.is_empty(),
            Value::Array(items) => !items.is_empty(),
            _ => false,
        }),
        _ => None,
    };
    match text {
        Some(text) => {
            let prefix = if raw.is_empty() {
                String::new()
            } else {
                format!("{raw} | ")
            };
            format!("{prefix}text: {}{edited}", js_string(Some(text)))
        }
        None => format!("{raw}{edited}"),
    }
}

/// `parseResponseValueRaw`, by response type. One arm per type the admin knows; kept together so it reads
/// like the original (reason for the length).
fn format_raw(context: &AnswerContext<'_>, answer: &Value) -> String {
    let first_key = match answer {
        Value::String(text) => return text.clone(),
        Value::Null => return NULL_ANSWER.to_owned(),
        Value::Object(object) if object.is_empty() => return NULL_ANSWER.to_owned(),
        Value::Object(object) => object.keys().next().cloned(),
        Value::Array(items) => (!items.is_empty()).then(|| "0".to_owned()),
        // mtdata: the admin writes nothing for a bare number or boolean; keep the value.
        Value::Number(_) | Value::Bool(_) => return format!("value: {}", js_string(Some(answer))),
    };
    let key_count = answer.as_object().map_or(0, |o| o.len());
    let Some(key) = first_key.filter(|key| !(key == "text" && key_count < 2)) else {
        return String::new();
    };
    let value = answer_value(answer);
    let field = |name: &str| value.get(name);
    let file_name = |extension: &str| {
        format!(
            "{}-{}-{}.{extension}",
            context.target_secret_id, context.answer_id, context.item_name
        )
    };
    match context.response_type {
        "photo" | "video" | "audio" => match answer.get("value") {
            Some(Value::String(url)) if !url.is_empty() => file_name(&file_extension(url)),
            Some(other) if truthy(Some(other)) => file_name(""),
            _ => String::new(),
        },
        "timeRange" => {
            let (from, to) = (field("from"), field("to"));
            let time = |t: Option<&Value>, fallback: bool| {
                let part = |name: &str| match t.and_then(|t| t.get(name)) {
                    None | Some(Value::Null) if fallback => "0".to_owned(),
                    other => js_string(other),
                };
                format!("hr {}, min {}", part("hour"), part("minute"))
            };
            match (from, to) {
                (Some(Value::Null), Some(Value::Null)) => {
                    "time_range: from (empty) / to (empty)".to_owned()
                }
                (Some(Value::Null), _) => {
                    format!("time_range: from (empty) / to ({})", time(to, false))
                }
                (_, Some(Value::Null)) => {
                    format!("time_range: from ({}) / to (empty)", time(from, false))
                }
                _ => format!(
                    "time_range: from ({}) / to ({})",
                    time(from, false),
                    time(to, true)
                ),
            }
        }
        "date" => {
            let month = field("month");
            let month = match (context.zero_based_months, month) {
                (true, Some(Value::Number(n))) => js_number(n.as_f64().unwrap_or(f64::NAN) + 1.0),
                (true, Some(Value::String(s))) => format!("{s}1"),
                (true, None | Some(Value::Null)) => "1".to_owned(),
                (true, Some(_)) => "NaN".to_owned(),
                (false, month) => js_string(month),
            };
            format!(
                "date: {}/{month}/{}",
                js_string(field("day")),
                js_string(field("year"))
            )
        }
        "time" => {
            let pick = |name: &str, fallback: &str| {
                field(name)
                    .filter(|v| !v.is_null())
                    .or_else(|| answer.get(fallback))
            };
            format!(
                "time: hr {}, min {}",
                js_string(pick("hours", "hour")),
                js_string(pick("minutes", "minute"))
            )
        }
        "geolocation" => format!(
            "geo: lat ({}) / long ({})",
            js_string(field("latitude")),
            js_string(field("longitude"))
        ),
        "drawing" => file_name("svg"),
        "ABTrails" => format!(
            "{}-{}-trail{}.csv",
            context.target_secret_id,
            context.answer_id,
            context.index + 1
        ),
        "singleSelectRows" | "sliderRows" | "multiSelectRows" => format_rows(context, &value),
        "stabilityTracker" => format!(
            "{}_{}_{}.csv",
            context.target_secret_id,
            context.answer_id,
            js_string(value.get("phaseType"))
        ),
        "flanker" => file_name("csv"),
        _ => {
            let key = if key == "text" && answer.get("value").is_some() {
                "value"
            } else {
                key.as_str()
            };
            let shown = match &value {
                Value::Array(items) => join_with_comma(items.iter().map(|i| js_string(Some(i)))),
                other => js_string(Some(other)),
            };
            format!("{key}: {shown}")
        }
    }
}

/// The admin's `NULL_ANSWER`.
const NULL_ANSWER: &str = "value: null";

/// One line per row: `row: value` (per-row selections and sliders).
fn format_rows(context: &AnswerContext<'_>, value: &Value) -> String {
    let element = |index: usize| -> Option<Value> {
        match value {
            Value::Array(items) => items.get(index).cloned(),
            // `"null"[i]` in JavaScript: a character of the text.
            Value::String(text) => text.chars().nth(index).map(|c| Value::String(c.into())),
            _ => None,
        }
    };
    context
        .response_values
        .rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let (label, cell) = match context.response_type {
                "sliderRows" => (
                    row.label.as_deref(),
                    element(index).map_or(String::new(), |v| js_string(Some(&v))),
                ),
                "multiSelectRows" => (
                    row.row_name.as_deref(),
                    match (value, element(index)) {
                        (Value::String(s), _) if s == "null" => String::new(),
                        (_, Some(Value::Array(items))) => items
                            .iter()
                            .map(|i| js_string(Some(i)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        _ => String::new(),
                    },
                ),
                _ => (
                    row.row_name.as_deref(),
                    match element(index) {
                        None | Some(Value::Null) => String::new(),
                        Some(v) => js_string(Some(&v)),
                    },
                ),
            };
            format!("{}: {cell}", label.unwrap_or("undefined"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The extension of a media URL (`getFileExtension`): `.quicktime` becomes `MOV`.
fn file_extension(url: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or_default();
    let extension = name.rsplit('.').next().unwrap_or_default();
    let extension = extension.split('?').next().unwrap_or_default();
    match extension {
        "quicktime" => "MOV".to_owned(),
        other => other.to_owned(),
    }
}

/// The `item_response_options` cell (`parseOptions`): `Text: value (score: s)` joined by `, `; a slider's
/// values from min to max; `Min: a, Max: b` for a number selection; empty for per-row types.
pub fn format_options(response_type: &str, values: &ResponseValues) -> String {
    match response_type {
        "singleSelectRows" | "multiSelectRows" | "sliderRows" => String::new(),
        "slider" => {
            let (min, max) = range(values);
            let Some((min, max)) = min.zip(max) else {
                return String::new();
            };
            join_with_comma((min..=max).enumerate().map(|(i, v)| {
                let score = match values.scores.is_empty() {
                    true => String::new(),
                    false => format!(" (score: {})", optional_number(values.scores.get(i))),
                };
                format!("{v}: {v}{score}")
            }))
        }
        "numberSelect" => format!(
            "Min: {}, Max: {}",
            js_number(js_to_number(values.min_value.as_ref())),
            js_number(js_to_number(values.max_value.as_ref()))
        ),
        _ => join_with_comma(values.options.iter().map(|option| {
            let value = match &option.value {
                None | Some(Value::Null) => String::new(),
                Some(v) => js_string(Some(v)),
            };
            let value = if value.is_empty() {
                value
            } else {
                format!(": {value}")
            };
            let score = option
                .score
                .map_or(String::new(), |s| format!(" (score: {})", js_number(s)));
            format!("{}{value}{score}", option.text)
        })),
    }
}

/// `scores[i]` as JavaScript prints it (`null` for a hole, `undefined` past the end).
fn optional_number(score: Option<&Option<f64>>) -> String {
    match score {
        None => "undefined".to_owned(),
        Some(None) => "null".to_owned(),
        Some(Some(s)) => js_number(*s),
    }
}

/// A slider's integer range, when both bounds are numbers and the range is sane.
fn range(values: &ResponseValues) -> (Option<i64>, Option<i64>) {
    let bound = |v: Option<&Value>| {
        let f = js_to_number(v);
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e9).then_some(f as i64)
    };
    let (min, max) = (
        bound(values.min_value.as_ref()),
        bound(values.max_value.as_ref()),
    );
    match (min, max) {
        (Some(a), Some(b)) if b >= a && b - a <= 10_000 => (Some(a), Some(b)),
        _ => (None, None),
    }
}

/// The admin's `rawScore` (`getRawScores`): the sum of a slider's scores, else of all options' scores; empty
/// when that is 0 or there is nothing to sum. Not the respondent's score: see [`selected_score`].
pub fn raw_score(values: &ResponseValues) -> String {
    let sum: f64 = if values.scores.is_empty() {
        values.options.iter().filter_map(|o| o.score).sum()
    } else {
        values.scores.iter().map(|s| s.unwrap_or(0.0)).sum()
    };
    if sum == 0.0 || sum.is_nan() {
        String::new()
    } else {
        js_number(sum)
    }
}

/// The score of what was selected: the chosen option's (single selection), the sum of the chosen options'
/// (multiple selection), the score of the chosen slider value. `None` when the item has no scores, the
/// answer selects nothing, or a selected value is not an option.
pub fn selected_score(response_type: &str, values: &ResponseValues, answer: &Value) -> Option<f64> {
    let selected = answer.get("value").unwrap_or(answer);
    if response_type == "slider" {
        if values.scores.is_empty() {
            return None;
        }
        let (min, _) = range(values);
        let position = selected.as_f64()? - min? as f64;
        return (position >= 0.0 && position.fract() == 0.0)
            .then(|| values.scores.get(position as usize).copied().flatten())
            .flatten();
    }
    if values.options.iter().all(|o| o.score.is_none()) {
        return None;
    }
    let score_of = |value: &Value| {
        let wanted = js_string(Some(value));
        values
            .options
            .iter()
            .find(|o| o.value.as_ref().map(|v| js_string(Some(v))) == Some(wanted.clone()))
            .map(|o| o.score.unwrap_or(0.0))
    };
    match selected {
        Value::Null => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => items.iter().map(score_of).sum(),
        single => score_of(single),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn values(json: Value) -> ResponseValues {
        serde_json::from_value(json).unwrap()
    }

    fn single() -> ResponseValues {
        values(json!({"options": [
            {"text": "opt1", "value": 1, "score": 4},
            {"text": "opt2", "value": 2, "score": 2}]}))
    }

    fn format(response_type: &str, rv: &ResponseValues, answer: Value) -> String {
        let context = AnswerContext {
            response_type,
            item_name: "item_x",
            response_values: rv,
            answer_id: "answer-1",
            target_secret_id: "target-7",
            index: 0,
            zero_based_months: false,
        };
        format_response(&context, &answer)
    }

    /// The cases of the admin's own `parseResponseValue.test.ts`, and what its later code does with empty,
    /// text-only and bare answers.
    #[test]
    fn answers_read_like_the_admins() {
        let none = ResponseValues::default();
        let cases = [
            ("singleSelect", json!({"value": 1}), "value: 1"),
            (
                "singleSelect",
                json!({"value": 2, "edited": "time of edition"}),
                "value: 2 | edited: time of edition",
            ),
            (
                "singleSelect",
                json!({"value": 4, "text": "description for answer"}),
                "value: 4 | text: description for answer",
            ),
            ("singleSelect", json!({"value": 0}), "value: 0"),
            ("multiSelect", json!({"value": [1]}), "value: 1"),
            ("multiSelect", json!({"value": [1, 3]}), "value: 1, 3"),
            ("multiSelect", json!({"value": []}), "value: null"),
            (
                "multiSelect",
                json!({"value": ["yes", "no"]}),
                "value: Yes, No",
            ),
            ("slider", json!({"value": 5}), "value: 5"),
            (
                "slider",
                json!({"value": 7.5, "edited": 1717500000000_u64}),
                "value: 7.5 | edited: 1717500000000",
            ),
            (
                "date",
                json!({"value": {"day": 18, "month": 6, "year": 2023}}),
                "date: 18/6/2023",
            ),
            ("numberSelect", json!({"value": "5"}), "value: 5"),
            (
                "time",
                json!({"value": {"minutes": 19, "hours": 13}}),
                "time: hr 13, min 19",
            ),
            (
                "timeRange",
                json!({"value": {"from": {"hour": 9, "minute": 20}, "to": {"hour": 17, "minute": 20}}}),
                "time_range: from (hr 9, min 20) / to (hr 17, min 20)",
            ),
            (
                "timeRange",
                json!({"value": {"from": null, "to": {"hour": 1, "minute": 2}}}),
                "time_range: from (empty) / to (hr 1, min 2)",
            ),
            (
                "geolocation",
                json!({"value": {"latitude": 40.5, "longitude": -73.25}}),
                "geo: lat (40.5) / long (-73.25)",
            ),
            ("text", json!("Text"), "Text"),
            ("text", json!(""), ""),
            ("singleSelect", json!(null), "value: null"),
            ("singleSelect", json!({}), "value: null"),
            (
                "singleSelect",
                json!({"text": "only text"}),
                "text: only text",
            ),
            (
                "singleSelect",
                json!({"text": "x", "value": 3}),
                "value: 3 | text: x",
            ),
            (
                "photo",
                json!({"value": "https://m.example/a/b/rn_image.jpg"}),
                "target-7-answer-1-item_x.jpg",
            ),
            (
                "video",
                json!({"value": "s3://b/k/clip.quicktime"}),
                "target-7-answer-1-item_x.MOV",
            ),
            (
                "drawing",
                json!({"value": {"svgString": "<svg/>"}}),
                "target-7-answer-1-item_x.svg",
            ),
            (
                "flanker",
                json!({"value": [{"trial": 1}]}),
                "target-7-answer-1-item_x.csv",
            ),
            (
                "ABTrails",
                json!({"value": {"currentIndex": 1}}),
                "target-7-answer-1-trail1.csv",
            ),
            (
                "stabilityTracker",
                json!({"value": {"value": [], "phaseType": "challenge-phase"}}),
                "target-7_answer-1_challenge-phase.csv",
            ),
            // mtdata keeps bare values the admin would drop.
            ("slider", json!(3), "value: 3"),
            (
                "singleSelect",
                json!({"value": {"a": 1}}),
                "value: [object Object]",
            ),
        ];
        for (response_type, answer, expected) in cases {
            assert_eq!(
                format(response_type, &none, answer.clone()),
                expected,
                "{response_type} {answer}"
            );
        }
    }

    #[test]
    fn per_row_answers_one_line_per_row() {
        let rows = values(json!({"rows": [{"rowName": "row1"}, {"rowName": "row2"}]}));
        assert_eq!(
            format("singleSelectRows", &rows, json!({"value": ["opt1", null]})),
            "row1: opt1\nrow2: "
        );
        assert_eq!(
            format(
                "multiSelectRows",
                &rows,
                json!({"value": [["opt1", "opt1"]]})
            ),
            "row1: opt1, opt1\nrow2: "
        );
        let sliders = values(json!({"rows": [{"label": "slider"}]}));
        assert_eq!(
            format("sliderRows", &sliders, json!({"value": [5]})),
            "slider: 5"
        );
    }

    #[test]
    fn zero_based_months_of_migrated_answers() {
        let none = ResponseValues::default();
        let context = AnswerContext {
            response_type: "date",
            item_name: "d",
            response_values: &none,
            answer_id: "a",
            target_secret_id: "t",
            index: 0,
            zero_based_months: true,
        };
        let answer = json!({"value": {"day": 3, "month": 5, "year": 2024}});
        assert_eq!(format_response(&context, &answer), "date: 3/6/2024");
    }

    #[test]
    fn options_like_the_admin() {
        assert_eq!(
            format_options("singleSelect", &single()),
            "Opt1: 1 (score: 4), Opt2: 2 (score: 2)"
        );
        let unscored = values(json!({"options": [
            {"text": "no", "value": 0}, {"text": "yes", "value": 1, "score": null}, {"text": "maybe"}]}));
        assert_eq!(
            format_options("multiSelect", &unscored),
            "No: 0, Yes: 1, Maybe"
        );
        let slider = values(json!({"minValue": 0, "maxValue": 3, "scores": [1, 2, 3, 4]}));
        assert_eq!(
            format_options("slider", &slider),
            "0: 0 (score: 1), 1: 1 (score: 2), 2: 2 (score: 3), 3: 3 (score: 4)"
        );
        let plain_slider = values(json!({"minValue": "1", "maxValue": 2}));
        assert_eq!(format_options("slider", &plain_slider), "1: 1, 2: 2");
        let numbers = values(json!({"minValue": 0, "maxValue": 7}));
        assert_eq!(format_options("numberSelect", &numbers), "Min: 0, Max: 7");
        assert_eq!(format_options("sliderRows", &numbers), "");
        assert_eq!(format_options("text", &ResponseValues::default()), "");
    }

    #[test]
    fn raw_score_is_the_sum_of_all_scores_and_item_score_the_selected() {
        assert_eq!(raw_score(&single()), "6");
        let seven = values(
            json!({"options": (1..=7).map(|s| json!({"text": s.to_string(), "value": s - 1, "score": s})).collect::<Vec<_>>()}),
        );
        assert_eq!(
            raw_score(&seven),
            "28",
            "the post-processing tool's test file"
        );
        assert_eq!(raw_score(&ResponseValues::default()), "");
        let slider = values(json!({"minValue": 1, "maxValue": 3, "scores": [0, 5, 10]}));
        assert_eq!(raw_score(&slider), "15");

        assert_eq!(
            selected_score("singleSelect", &single(), &json!({"value": 2})),
            Some(2.0)
        );
        assert_eq!(
            selected_score("singleSelect", &single(), &json!({"value": "1"})),
            Some(4.0)
        );
        assert_eq!(
            selected_score("multiSelect", &single(), &json!({"value": [1, 2]})),
            Some(6.0)
        );
        assert_eq!(
            selected_score("multiSelect", &single(), &json!({"value": []})),
            None
        );
        assert_eq!(
            selected_score("singleSelect", &single(), &json!({"value": 9})),
            None
        );
        assert_eq!(
            selected_score("slider", &slider, &json!({"value": 2})),
            Some(5.0)
        );
        assert_eq!(
            selected_score("slider", &slider, &json!({"value": 7})),
            None
        );
        let unscored = values(json!({"options": [{"text": "a", "value": 0}]}));
        assert_eq!(
            selected_score("singleSelect", &unscored, &json!({"value": 0})),
            None
        );
    }

    #[test]
    fn javascript_text_of_values() {
        assert_eq!(js_string(Some(&json!(2.0))), "2");
        assert_eq!(js_string(Some(&json!(0.1))), "0.1");
        assert_eq!(js_string(Some(&json!([1, null, "a"]))), "1,,a");
        assert_eq!(js_string(None), "undefined");
        assert_eq!(js_number(1749138592012.0), "1749138592012");
    }
}
