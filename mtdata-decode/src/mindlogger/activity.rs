//! Activities and items, the same for v1 and v2: what a row of `responses.csv` says about its item.

use std::sync::{Arc, OnceLock};

use mindlogger_model::v1::JsonLd;
use mindlogger_model::{ActivityItem, ResponseOption, ResponseValues};
use mtdata_core::csv_cell::CsvCells;
use serde_json::Value;

use super::format::{format_options, raw_score};

/// The language of prompts and option names, as the admin exports them.
pub(crate) const LANGUAGE: &str = "en";

/// One item (screen) of an activity version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemDef {
    /// v2: the item's UUID; v1: its IRI (`<activity id>/<item id>`, or a URL for imported protocols).
    pub id: String,
    pub name: String,
    pub prompt: String,
    /// v2 response type; v1 input types are mapped onto them ([`v1_response_type`]).
    pub response_type: String,
    /// Hidden items are left out of the tables, as the admin does.
    pub hidden: bool,
    pub values: ResponseValues,
    /// `item_response_options` and `rawScore`, the same on every row of the item.
    pub options_text: String,
    pub raw_score: String,
    /// `,item_id,item_name,item_prompt,item_response_options` as CSV, for the way of writing cells it
    /// was escaped with: the same four cells start the item's part of every row of `responses.csv` and
    /// of the journey, so they are escaped once per decode (`tables::item_head`).
    pub escaped_head: OnceLock<(CsvCells, Vec<u8>)>,
}

impl ItemDef {
    fn new(
        id: String,
        name: String,
        prompt: String,
        response_type: String,
        hidden: bool,
        values: ResponseValues,
    ) -> Self {
        ItemDef {
            options_text: format_options(&response_type, &values),
            raw_score: raw_score(&values),
            id,
            name,
            prompt,
            response_type,
            hidden,
            values,
            escaped_head: OnceLock::new(),
        }
    }

    pub(crate) fn from_v2(item: &ActivityItem) -> Self {
        ItemDef::new(
            item.id.clone(),
            item.name.clone(),
            item.prompt(LANGUAGE).unwrap_or_default().to_owned(),
            item.response_type.clone().unwrap_or_default(),
            item.is_hidden,
            item.response_values.clone(),
        )
    }

    /// A v1 item from its JSON-LD, known by `iri` in responses.
    pub(crate) fn from_v1(iri: &str, item: &Value) -> Self {
        let item = JsonLd(item);
        let input_type = item.input_type().unwrap_or_default();
        let response_type = v1_response_type(input_type, item.multiple_choice());
        let options = item.choices(LANGUAGE);
        let (min, max) = item.range();
        let mut values = ResponseValues {
            min_value: min.cloned(),
            max_value: max.cloned(),
            ..ResponseValues::default()
        };
        if response_type == "slider" {
            values = slider_values(values, &options);
        }
        values.options = options;
        let name = item
            .id()
            .map(str::to_owned)
            .unwrap_or_else(|| iri.rsplit('/').next().unwrap_or(iri).to_owned());
        ItemDef::new(
            iri.to_owned(),
            name,
            item.question(LANGUAGE).unwrap_or_default().to_owned(),
            response_type,
            false,
            values,
        )
    }

    /// An item the answer's activity does not describe (its document is missing): named by position.
    pub(crate) fn unknown(id: Option<&str>, index: usize) -> Self {
        ItemDef::new(
            id.unwrap_or_default().to_owned(),
            format!("item_{}", index + 1),
            String::new(),
            String::new(),
            false,
            ResponseValues::default(),
        )
    }
}

/// A v1 slider's range and scores from its choices when the JSON-LD has no `minValue`/`maxValue`.
fn slider_values(mut values: ResponseValues, choices: &[ResponseOption]) -> ResponseValues {
    let numbers: Vec<f64> = choices
        .iter()
        .filter_map(|c| c.value.as_ref()?.as_f64())
        .collect();
    if values.min_value.is_none() || values.max_value.is_none() {
        let min = numbers.iter().copied().reduce(f64::min);
        let max = numbers.iter().copied().reduce(f64::max);
        values.min_value = min.map(Value::from);
        values.max_value = max.map(Value::from);
    }
    if !choices.is_empty() && choices.iter().all(|c| c.score.is_some()) {
        values.scores = choices.iter().map(|c| c.score).collect();
    }
    values
}

/// v1 input types as the v2 response types the admin's formatting and the post-processing tools know (the
/// v1-to-v2 migration's mapping).
pub(crate) fn v1_response_type(input_type: &str, multiple_choice: bool) -> String {
    match (input_type, multiple_choice) {
        ("radio", false) | ("prizeSelection", _) => "singleSelect",
        ("radio", true) | ("checkbox", _) => "multiSelect",
        ("stackedRadio", false) => "singleSelectRows",
        ("stackedRadio", true) => "multiSelectRows",
        ("stackedSlider", _) => "sliderRows",
        ("audioRecord" | "audioImageRecord", _) => "audio",
        ("markdownMessage", _) => "message",
        ("audioStimulus", _) => "audioPlayer",
        ("trail", _) => "ABTrails",
        ("visual-stimulus-response", _) => "flanker",
        ("ageSelector", _) => "numberSelect",
        (other, _) => other,
    }
    .to_owned()
}

/// One activity version: its items in answer order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActivityDef {
    pub id: String,
    pub name: String,
    pub items: Vec<Arc<ItemDef>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn v1_items_become_v2_shaped() {
        let radio = json!({"@id": "mood", "reprolib:terms/inputType": [{"@value": "radio"}],
            "schema:question": [{"@language": "en", "@value": "Mood?"}],
            "reprolib:terms/responseOptions": [{"schema:itemListElement": [
                {"schema:name": "Bad", "schema:value": [{"@value": 0}], "schema:score": [{"@value": 1}]}]}]});
        let item = ItemDef::from_v1("a1/i1", &radio);
        assert_eq!(
            (
                item.id.as_str(),
                item.name.as_str(),
                item.response_type.as_str()
            ),
            ("a1/i1", "mood", "singleSelect")
        );
        assert_eq!(item.values.options[0].score, Some(1.0));
        let slider = json!({"reprolib:terms/inputType": [{"@value": "slider"}],
            "reprolib:terms/responseOptions": [{"schema:itemListElement": [
                {"schema:name": "0", "schema:value": [{"@value": 0}], "schema:score": [{"@value": 2}]},
                {"schema:name": "1", "schema:value": [{"@value": 1}], "schema:score": [{"@value": 3}]}]}]});
        let slider = ItemDef::from_v1("a1/s", &slider);
        assert_eq!(slider.name, "s");
        assert_eq!(
            (slider.values.min_value, slider.values.max_value),
            (Some(json!(0.0)), Some(json!(1.0)))
        );
        assert_eq!(slider.values.scores, [Some(2.0), Some(3.0)]);
        assert_eq!(v1_response_type("audioRecord", false), "audio");
    }
}
