//! Codebook files a lab writes for a new study: YAML, or a CSV "scoresheet" (one row per
//! score, in the spirit of R scorekeeper). Both are validated with errors naming the scale,
//! variant, score and field.
//!
//! YAML:
//! ```yaml
//! study: my-study
//! scales:
//!   - name: OA
//!     items: [anxious_freq, anxious_sev, avoid, interfere, interfere_social]
//!     valid: {min: 0, max: 4}        # or a list of values, "boolean", or "text"
//!     pna: [555]
//!     recode: {0: 1, 5: 5}           # optional, stored value: meaning
//!     item_valid: {avoid: {min: 0, max: 3}}   # optional per-item override
//!     text_items: [comment]          # optional unscored text items
//!     variants:
//!       - name: mean-x5
//!         description: server score
//!         scores:
//!           - name: oa_total
//!             rule: scaled-mean      # sum, sum-missing-as-0, mean, scaled-mean, prorated-sum,
//!                                    # median-imputed-sum, ratio, mean-difference, mean-of-scores
//!             factor: 5
//!             items: [anxious_freq, anxious_sev]   # default: every numeric item
//!             min_answered: 3
//!             threshold: {column: oa_eligible, op: ">=", value: 6}
//! ```
//!
//! CSV scoresheet columns: `scale,variant,score,rule,items,denominator,factor,min_answered,
//! valid_min,valid_max,pna,threshold_column,threshold_op,threshold_value`; lists are
//! space-separated; a scale's items are the union of its scores' items; `valid_*` and `pna`
//! must agree on every row of a scale. A row with an empty `score` declares unscored items.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::error::{Error, Result};
use crate::rules::codebook::{
    Codebook, Comparison, ItemDef, Rule, ScaleDef, ScoreDef, Threshold, ValidValues, Variant,
};

/// Read a codebook file (`.yaml`/`.yml` or `.csv`) and validate it.
pub fn load_codebook(path: &Path) -> Result<Codebook> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::File {
        action: "read codebook",
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let name = path.display().to_string();
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        parse_scoresheet_csv(&text, &name)
    } else {
        parse_codebook_yaml(&text, &name)
    }
}

fn number(y: &Yaml) -> Option<f64> {
    match y {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(_) => y.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn strings(y: &Yaml, what: &str, err: &dyn Fn(String) -> Error) -> Result<Vec<String>> {
    match y {
        Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
        Yaml::Array(a) => a
            .iter()
            .map(|v| match v {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Integer(i) => Ok(i.to_string()),
                _ => Err(err(format!("{what}: every entry must be a name"))),
            })
            .collect(),
        Yaml::String(s) => Ok(s.split_whitespace().map(str::to_owned).collect()),
        _ => Err(err(format!("{what} must be a list of names"))),
    }
}

fn numbers(y: &Yaml, what: &str, err: &dyn Fn(String) -> Error) -> Result<Vec<f64>> {
    match y {
        Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
        Yaml::Array(a) => a
            .iter()
            .map(|v| number(v).ok_or_else(|| err(format!("{what}: {v:?} is not a number"))))
            .collect(),
        other => number(other)
            .map(|n| vec![n])
            .ok_or_else(|| err(format!("{what} must be a list of numbers"))),
    }
}

fn valid_values(y: &Yaml, what: &str, err: &dyn Fn(String) -> Error) -> Result<ValidValues> {
    match y {
        Yaml::String(s) if s.eq_ignore_ascii_case("text") => Ok(ValidValues::Text),
        Yaml::String(s) if s.eq_ignore_ascii_case("boolean") => Ok(ValidValues::Boolean),
        Yaml::Hash(_) => {
            let min =
                number(&y["min"]).ok_or_else(|| err(format!("{what}: min must be a number")))?;
            let max =
                number(&y["max"]).ok_or_else(|| err(format!("{what}: max must be a number")))?;
            Ok(ValidValues::range(min, max))
        }
        Yaml::Array(_) => Ok(ValidValues::Set(numbers(y, what, err)?)),
        _ => Err(err(format!(
            "{what} must be {{min: .., max: ..}}, a list of values, \"boolean\" or \"text\""
        ))),
    }
}

/// Parse a rule name and its parameters.
fn rule(
    kind: &str,
    factor: Option<f64>,
    denominator: Vec<String>,
    minus: Vec<String>,
    err: &dyn Fn(String) -> Error,
) -> Result<Rule> {
    let need_factor = || factor.ok_or_else(|| err(format!("rule {kind} needs a factor")));
    let r = match kind {
        "sum" => Rule::Sum,
        "sum-missing-as-0" => Rule::SumMissingAsZero,
        "mean" => Rule::Mean,
        "scaled-mean" => Rule::ScaledMean {
            factor: need_factor()?,
        },
        "prorated-sum" => Rule::ProratedSum,
        "median-imputed-sum" => Rule::MedianImputedSum {
            factor: factor.unwrap_or(1.0),
        },
        "ratio" if denominator.is_empty() => {
            return Err(err("rule ratio needs a denominator (list of items)".into()));
        }
        "ratio" => Rule::Ratio { denominator },
        "mean-difference" if minus.is_empty() => {
            return Err(err(
                "rule mean-difference needs minus (list of items)".into()
            ));
        }
        "mean-difference" => Rule::MeanDifference { minus },
        "mean-of-scores" => Rule::MeanOfScores,
        other => {
            return Err(err(format!(
                "unknown rule {other}; use sum, sum-missing-as-0, mean, scaled-mean, prorated-sum, median-imputed-sum, ratio, mean-difference or mean-of-scores"
            )));
        }
    };
    Ok(r)
}

/// Parse and validate a YAML codebook; `source_name` names it in errors.
pub fn parse_codebook_yaml(text: &str, source_name: &str) -> Result<Codebook> {
    let docs = YamlLoader::load_from_str(text)
        .map_err(|e| Error::codebook(source_name, format!("not valid YAML: {e}")))?;
    let doc = docs
        .first()
        .ok_or_else(|| Error::codebook(source_name, "the file is empty"))?;
    let study = doc["study"]
        .as_str()
        .ok_or_else(|| Error::codebook(source_name, "missing `study:` (the study's name)"))?
        .to_owned();
    let scales_yaml = doc["scales"]
        .as_vec()
        .ok_or_else(|| Error::codebook(source_name, "missing `scales:` (a list of scales)"))?;
    let scales = scales_yaml
        .iter()
        .enumerate()
        .map(|(i, s)| scale_from_yaml(s, i, source_name))
        .collect::<Result<_>>()?;
    let codebook = Codebook { study, scales };
    codebook.validate(source_name)?;
    Ok(codebook)
}

/// The `i`-th entry of `scales:`.
fn scale_from_yaml(s: &Yaml, i: usize, source_name: &str) -> Result<ScaleDef> {
    let name = s["name"]
        .as_str()
        .ok_or_else(|| Error::codebook(source_name, format!("scale #{}: missing name", i + 1)))?
        .to_owned();
    let err = |m: String| Error::codebook(source_name, format!("scale {name}: {m}"));
    let items = items_from_yaml(s, &err)?;
    let pna = numbers(&s["pna"], "pna", &err)?;
    let recode = recode_from_yaml(&s["recode"], &err)?;
    let numeric: Vec<String> = items
        .iter()
        .filter(|i| i.valid.is_numeric())
        .map(|i| i.name.clone())
        .collect();
    let variants = s["variants"]
        .as_vec()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(j, v)| variant_from_yaml(v, j, &numeric, &err))
        .collect::<Result<_>>()?;
    Ok(ScaleDef {
        name,
        items,
        pna,
        recode,
        variants,
    })
}

/// A scale's `items` with `valid`, `item_valid` overrides, then its `text_items`.
fn items_from_yaml(s: &Yaml, err: &dyn Fn(String) -> Error) -> Result<Vec<ItemDef>> {
    let valid = if s["valid"].is_badvalue() {
        return Err(err("missing valid (e.g. {min: 0, max: 4})".into()));
    } else {
        valid_values(&s["valid"], "valid", err)?
    };
    let mut items: Vec<ItemDef> = strings(&s["items"], "items", err)?
        .into_iter()
        .map(|n| ItemDef {
            name: n,
            valid: valid.clone(),
        })
        .collect();
    if let Some(over) = s["item_valid"].as_hash() {
        for (k, v) in over {
            let k = k
                .as_str()
                .ok_or_else(|| err("item_valid keys must be item names".into()))?;
            let vv = valid_values(v, &format!("item_valid.{k}"), err)?;
            let item = items
                .iter_mut()
                .find(|i| i.name == k)
                .ok_or_else(|| err(format!("item_valid: {k} is not in items")))?;
            item.valid = vv;
        }
    }
    for t in strings(&s["text_items"], "text_items", err)? {
        items.push(ItemDef {
            name: t,
            valid: ValidValues::Text,
        });
    }
    Ok(items)
}

/// `recode: {stored: meaning}`.
fn recode_from_yaml(y: &Yaml, err: &dyn Fn(String) -> Error) -> Result<Vec<(f64, f64)>> {
    match y {
        Yaml::BadValue | Yaml::Null => Ok(Vec::new()),
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| {
                let from = number(k).ok_or_else(|| err("recode keys must be numbers".into()))?;
                let to = number(v).ok_or_else(|| err("recode values must be numbers".into()))?;
                Ok((from, to))
            })
            .collect(),
        _ => Err(err("recode must be a map {stored: meaning}".into())),
    }
}

/// The `name` of the `i`-th entry of a list of `what`s.
fn entry_name(y: &Yaml, what: &str, i: usize, err: &dyn Fn(String) -> Error) -> Result<String> {
    y["name"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| err(format!("{what} #{}: missing name", i + 1)))
}

/// The `j`-th variant of a scale whose numeric items are `numeric` (a score's default items).
fn variant_from_yaml(
    v: &Yaml,
    j: usize,
    numeric: &[String],
    err: &dyn Fn(String) -> Error,
) -> Result<Variant> {
    let vname = entry_name(v, "variant", j, err)?;
    let verr = |m: String| err(format!("variant {vname}: {m}"));
    let scores = v["scores"]
        .as_vec()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(k, sc)| score_from_yaml(sc, k, numeric, &verr))
        .collect::<Result<_>>()?;
    Ok(Variant {
        name: vname.clone(),
        description: v["description"].as_str().unwrap_or("").to_owned(),
        scores,
    })
}

/// The `k`-th score of a variant.
fn score_from_yaml(
    sc: &Yaml,
    k: usize,
    numeric: &[String],
    verr: &dyn Fn(String) -> Error,
) -> Result<ScoreDef> {
    let sname = entry_name(sc, "score", k, verr)?;
    let serr = |m: String| verr(format!("score {sname}: {m}"));
    let kind = sc["rule"]
        .as_str()
        .ok_or_else(|| serr("missing rule".into()))?;
    let factor = if sc["factor"].is_badvalue() {
        None
    } else {
        Some(number(&sc["factor"]).ok_or_else(|| serr("factor must be a number".into()))?)
    };
    let r = rule(
        kind,
        factor,
        strings(&sc["denominator"], "denominator", &serr)?,
        strings(&sc["minus"], "minus", &serr)?,
        &serr,
    )?;
    let mut score_items = strings(&sc["items"], "items", &serr)?;
    if score_items.is_empty() {
        score_items = numeric.to_vec();
    }
    let refs: Vec<&str> = score_items.iter().map(String::as_str).collect();
    let mut def = ScoreDef::new(&sname, r, &refs);
    if !sc["min_answered"].is_badvalue() {
        def.min_answered = sc["min_answered"]
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| serr("min_answered must be a whole number".into()))?
            as usize;
    }
    if let Yaml::Hash(_) = &sc["threshold"] {
        let t = &sc["threshold"];
        let column = t["column"]
            .as_str()
            .ok_or_else(|| serr("threshold needs column".into()))?;
        let op = t["op"]
            .as_str()
            .and_then(Comparison::parse)
            .ok_or_else(|| serr("threshold op must be >=, >, <= or <".into()))?;
        let value =
            number(&t["value"]).ok_or_else(|| serr("threshold value must be a number".into()))?;
        def.threshold = Some(Threshold {
            column: column.to_owned(),
            op,
            value,
        });
    }
    Ok(def)
}

const SCORESHEET_COLUMNS: [&str; 14] = [
    "scale",
    "variant",
    "score",
    "rule",
    "items",
    "denominator",
    "factor",
    "min_answered",
    "valid_min",
    "valid_max",
    "pna",
    "threshold_column",
    "threshold_op",
    "threshold_value",
];

/// Parse and validate a CSV scoresheet; the study name is the file's name.
pub fn parse_scoresheet_csv(text: &str, source_name: &str) -> Result<Codebook> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Error::codebook(source_name, format!("cannot read the header: {e}")))?
        .clone();
    for required in ["scale", "items", "valid_min", "valid_max"] {
        if !header.iter().any(|h| h.eq_ignore_ascii_case(required)) {
            return Err(Error::codebook(
                source_name,
                format!(
                    "missing column {required}; the columns are {}",
                    SCORESHEET_COLUMNS.join(",")
                ),
            ));
        }
    }
    let mut scales: Vec<ScaleDef> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record =
            record.map_err(|e| Error::codebook(source_name, format!("line {line}: {e}")))?;
        let row = SheetRow {
            header: &header,
            record: &record,
            line,
            source_name,
        };
        row.add_to(&mut scales)?;
    }
    let study = Path::new(source_name).file_stem().map_or_else(
        || source_name.to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let codebook = Codebook { study, scales };
    codebook.validate(source_name)?;
    Ok(codebook)
}

/// One line of a scoresheet.
struct SheetRow<'a> {
    header: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
    line: usize,
    source_name: &'a str,
}

impl SheetRow<'_> {
    /// The cell of column `name` (empty when the sheet has no such column).
    fn get(&self, name: &str) -> String {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .and_then(|p| self.record.get(p))
            .unwrap_or("")
            .to_owned()
    }

    fn err(&self, message: String) -> Error {
        Error::codebook(self.source_name, format!("line {}: {message}", self.line))
    }

    fn num(&self, name: &str) -> Result<Option<f64>> {
        let v = self.get(name);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| self.err(format!("{name} {v:?} is not a number")))
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Add this line's items, and its score if it has one, to its scale (created on its first line).
    fn add_to(&self, scales: &mut Vec<ScaleDef>) -> Result<()> {
        let index = self.scale_index(scales)?;
        let valid = self.valid()?;
        let items = self.list("items");
        let denominator = self.list("denominator");
        let scale = &mut scales[index];
        for n in items.iter().chain(&denominator) {
            if !scale.items.iter().any(|it| &it.name == n) {
                scale.items.push(ItemDef {
                    name: n.clone(),
                    valid: valid.clone(),
                });
            }
        }
        let score = self.get("score");
        if score.is_empty() {
            return Ok(());
        }
        let err = |m: String| self.err(m);
        let r = rule(
            &self.get("rule"),
            self.num("factor")?,
            denominator,
            Vec::new(),
            &err,
        )?;
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let mut def = ScoreDef::new(&score, r, &refs);
        if let Some(m) = self.num("min_answered")? {
            def.min_answered = m as usize;
        }
        def.threshold = self.threshold()?;
        let variant = match self.get("variant") {
            v if v.is_empty() => "default".to_owned(),
            v => v,
        };
        match scale.variants.iter_mut().find(|v| v.name == variant) {
            Some(v) => v.scores.push(def),
            None => scale.variants.push(Variant {
                name: variant,
                description: String::new(),
                scores: vec![def],
            }),
        }
        Ok(())
    }

    fn valid(&self) -> Result<ValidValues> {
        let min = self
            .num("valid_min")?
            .ok_or_else(|| self.err("valid_min is empty".into()))?;
        let max = self
            .num("valid_max")?
            .ok_or_else(|| self.err("valid_max is empty".into()))?;
        Ok(ValidValues::range(min, max))
    }

    /// The index of this line's scale in `scales`, added if new; its valid values and PNA codes
    /// must be those of the scale's earlier lines.
    fn scale_index(&self, scales: &mut Vec<ScaleDef>) -> Result<usize> {
        let scale_name = self.get("scale");
        if scale_name.is_empty() {
            return Err(self.err("scale is empty".into()));
        }
        let valid = self.valid()?;
        let pna: Vec<f64> = self
            .list("pna")
            .iter()
            .map(|p| {
                p.parse()
                    .map_err(|_| self.err(format!("pna {p:?} is not a number")))
            })
            .collect::<Result<_>>()?;
        if let Some(i) = scales.iter().position(|s| s.name == scale_name) {
            let s = &scales[i];
            if s.pna != pna || s.items.first().is_some_and(|it| it.valid != valid) {
                return Err(self.err(format!(
                    "scale {scale_name}: valid_min, valid_max and pna must be the same on every row"
                )));
            }
            return Ok(i);
        }
        scales.push(ScaleDef {
            name: scale_name,
            items: Vec::new(),
            pna,
            recode: Vec::new(),
            variants: Vec::new(),
        });
        Ok(scales.len() - 1)
    }

    fn threshold(&self) -> Result<Option<Threshold>> {
        let column = self.get("threshold_column");
        if column.is_empty() {
            return Ok(None);
        }
        let op = Comparison::parse(&self.get("threshold_op"))
            .ok_or_else(|| self.err("threshold_op must be >=, >, <= or <".into()))?;
        let value = self
            .num("threshold_value")?
            .ok_or_else(|| self.err("threshold_value is empty".into()))?;
        Ok(Some(Threshold { column, op, value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
study: lab
scales:
  - name: OA
    items: [a, b, c]
    valid: {min: 0, max: 4}
    pna: [555]
    variants:
      - name: mean-x5
        scores:
          - name: total
            rule: scaled-mean
            factor: 5
            threshold: {column: eligible, op: ">=", value: 6}
"#;

    #[test]
    fn yaml_codebook_parses() {
        let cb = parse_codebook_yaml(YAML, "lab.yaml").unwrap();
        let oa = cb.scale("oa").unwrap();
        assert_eq!(oa.items.len(), 3);
        let v = oa.variant(None).unwrap().unwrap();
        assert_eq!(v.scores[0].items, vec!["a", "b", "c"]);
        assert_eq!(v.scores[0].rule, Rule::ScaledMean { factor: 5.0 });
    }

    #[test]
    fn yaml_errors_name_the_place() {
        let bad = YAML.replace("factor: 5", "factor: five");
        let e = parse_codebook_yaml(&bad, "lab.yaml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "codebook lab.yaml: scale OA: variant mean-x5: score total: factor must be a number"
        );
        let bad = YAML.replace("rule: scaled-mean", "rule: median");
        let e = parse_codebook_yaml(&bad, "lab.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown rule median"), "{e}");
        let bad = YAML.replace(
            "            factor: 5\n",
            "            factor: 5\n            items: [a, z]\n",
        );
        let e = parse_codebook_yaml(&bad, "lab.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("z is not an item of the scale"), "{e}");
    }

    #[test]
    fn csv_scoresheet_parses_and_checks_agreement() {
        let csv = "scale,variant,score,rule,items,factor,valid_min,valid_max,pna\n\
                   OA,paper,total,sum-missing-as-0,a b c,,0,4,555\n\
                   OA,server,total,scaled-mean,a b c,5,0,4,555\n";
        let cb = parse_scoresheet_csv(csv, "lab.csv").unwrap();
        assert_eq!(cb.study, "lab");
        assert_eq!(
            cb.scale("OA").unwrap().variant_names(),
            vec!["paper", "server"]
        );
        let bad = csv.replace("5,0,4,555", "5,0,3,555");
        let e = parse_scoresheet_csv(&bad, "lab.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3: scale OA: valid_min, valid_max and pna"),
            "{e}"
        );
    }
}
