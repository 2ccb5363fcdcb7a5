//! Codebooks: what each questionnaire's items are, which values are valid, which codes mean
//! "prefer not to answer", how stored values are recoded, and the named scoring variants.

use crate::error::{Error, Result};

/// The studies with a built-in codebook (defined with the questionnaire catalogue in mtdata-core,
/// which the report and the fixtures share).
pub use mtdata_core::catalog::Study;

/// The column that marks a table whose answers are already recoded (by [`crate::clean`] or
/// [`crate::score()`] on a scale with a recode): it holds [`ScaleDef::recode_label`], and scoring
/// such a table does not recode again.
pub const RECODED_COLUMN: &str = "recoded";

/// Which stored values an item may take (after recoding), besides the PNA codes.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidValues {
    /// Numbers from `min` to `max` inclusive.
    Range { min: f64, max: f64 },
    /// Exactly these values.
    Set(Vec<f64>),
    /// `true` or `false` (any case; also `1` and `0`): checked, kept as booleans, not scored
    /// (HelpSeeking's change items).
    Boolean,
    /// Free text or options: not checked, not scored.
    Text,
}

impl ValidValues {
    /// Numbers in `min..=max`.
    pub fn range(min: f64, max: f64) -> Self {
        ValidValues::Range { min, max }
    }

    /// Whether `value` is allowed.
    pub fn contains(&self, value: f64) -> bool {
        match self {
            // Not checked for whole numbers: `mean-of-unique` cleaning averages answers.
            ValidValues::Range { min, max } => value >= *min && value <= *max,
            ValidValues::Set(values) => values.contains(&value),
            ValidValues::Boolean | ValidValues::Text => true,
        }
    }

    /// Smallest and largest valid value (`None` for text).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        match self {
            ValidValues::Range { min, max } => Some((*min, *max)),
            ValidValues::Set(values) if !values.is_empty() => Some((
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )),
            _ => None,
        }
    }

    /// Whether the item is numeric (scored and checked).
    pub fn is_numeric(&self) -> bool {
        matches!(self, ValidValues::Range { .. } | ValidValues::Set(_))
    }

    /// The boolean a cell's text stands for (`true`/`false` in any case, `1`/`0`); `None` when
    /// it is neither.
    pub fn parse_boolean(text: &str) -> Option<bool> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("true") || text == "1" {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            Some(false)
        } else {
            None
        }
    }
}

/// One questionnaire item (a column of the decoded table).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDef {
    /// JSON key as exported; matched case-insensitively (R34 `_NS`, dumps `_ns`).
    pub name: String,
    /// Allowed values after recoding.
    pub valid: ValidValues,
}

/// How the items of one score are combined.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Sum of the answered items (needs `min_answered`, which defaults to every item).
    Sum,
    /// Sum with missing items counted as 0 (the R34 OASIS paper: `rowSums(na.rm = TRUE)`).
    SumMissingAsZero,
    /// Mean of the answered items.
    Mean,
    /// Mean of the answered items times `factor` (OASIS mean × 5, DASS-21 mean × 7 or × 14).
    ScaledMean { factor: f64 },
    /// Mean of the answered items times the number of items (a prorated sum).
    ProratedSum,
    /// Missing items replaced by the item's median over the imputation base (the table cleaned
    /// as the R34 cleaning script had it, see [`crate::ImputationBase`]), then sum × `factor`
    /// (the R34 DASS-21 papers: `dass21_as_total_dbl`).
    MedianImputedSum { factor: f64 },
    /// Mean of the score's items divided by the mean of `denominator` (BBSIQ, RR).
    Ratio { denominator: Vec<String> },
    /// Mean of the score's items minus the mean of `minus` (ExpectancyBias).
    MeanDifference { minus: Vec<String> },
    /// Mean of other scores of the same variant (BBSIQ `bbsiq_ratio_mean`); `items` names scores.
    MeanOfScores,
}

impl Rule {
    /// Short name used in rule records and codebook files.
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Sum => "sum",
            Rule::SumMissingAsZero => "sum-missing-as-0",
            Rule::Mean => "mean",
            Rule::ScaledMean { .. } => "scaled-mean",
            Rule::ProratedSum => "prorated-sum",
            Rule::MedianImputedSum { .. } => "median-imputed-sum",
            Rule::Ratio { .. } => "ratio",
            Rule::MeanDifference { .. } => "mean-difference",
            Rule::MeanOfScores => "mean-of-scores",
        }
    }
}

/// Comparison of an eligibility threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
            Comparison::Le => "<=",
            Comparison::Lt => "<",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            ">=" => Some(Comparison::Ge),
            ">" => Some(Comparison::Gt),
            "<=" => Some(Comparison::Le),
            "<" => Some(Comparison::Lt),
            _ => None,
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Ge => left >= right,
            Comparison::Gt => left > right,
            Comparison::Le => left <= right,
            Comparison::Lt => left < right,
        }
    }
}

/// An eligibility flag computed from a score (a boolean column, missing when the score is).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Name of the boolean output column.
    pub column: String,
    pub op: Comparison,
    pub value: f64,
}

/// One score: an output column computed from items with a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDef {
    /// Output column name.
    pub name: String,
    pub rule: Rule,
    /// Items (or, for [`Rule::MeanOfScores`], earlier scores of the same variant).
    pub items: Vec<String>,
    /// Fewest answered (non-missing, non-PNA) items for a score; fewer gives a missing score.
    pub min_answered: usize,
    pub threshold: Option<Threshold>,
}

impl ScoreDef {
    /// A score over `items` with `min_answered` 1 (every item for [`Rule::Sum`]).
    pub fn new(name: &str, rule: Rule, items: &[&str]) -> Self {
        let min_answered = if rule == Rule::Sum { items.len() } else { 1 };
        ScoreDef {
            name: name.to_owned(),
            rule,
            items: items.iter().map(|s| (*s).to_owned()).collect(),
            min_answered,
            threshold: None,
        }
    }

    /// Set the minimum number of answered items.
    pub fn min_answered(mut self, n: usize) -> Self {
        self.min_answered = n;
        self
    }

    /// Add an eligibility flag.
    pub fn threshold(mut self, column: &str, op: Comparison, value: f64) -> Self {
        self.threshold = Some(Threshold {
            column: column.to_owned(),
            op,
            value,
        });
        self
    }

    /// One line saying how the score is computed, recorded beside every scored table.
    pub fn describe(&self, scale: &ScaleDef) -> String {
        let items = self.items.join(" ");
        let rule = match &self.rule {
            Rule::Sum => format!("sum of [{items}]"),
            Rule::SumMissingAsZero => format!("sum of [{items}], missing items as 0"),
            Rule::Mean => format!("mean of answered [{items}]"),
            Rule::ScaledMean { factor } => format!("mean of answered [{items}] x {factor}"),
            Rule::ProratedSum => {
                format!("mean of answered [{items}] x {}", self.items.len())
            }
            Rule::MedianImputedSum { factor } => format!(
                "sum of [{items}] with missing items as the item's median over the imputation base (one row per participant, session and tag: the latest by date; exact duplicates once; rows without a participant id left out), x {factor}"
            ),
            Rule::Ratio { denominator } => format!(
                "mean of answered [{items}] / mean of answered [{}]",
                denominator.join(" ")
            ),
            Rule::MeanDifference { minus } => format!(
                "mean of answered [{items}] - mean of answered [{}]",
                minus.join(" ")
            ),
            Rule::MeanOfScores => format!("mean of scores [{items}]"),
        };
        let pna = if scale.pna.is_empty() {
            "no PNA codes".to_owned()
        } else {
            format!(
                "PNA {} as missing",
                scale
                    .pna
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            )
        };
        let mut text = format!(
            "{}: {rule}; {pna}; at least {} answered",
            self.name, self.min_answered
        );
        if let Some(t) = &self.threshold {
            text.push_str(&format!(
                "; {} = {} {} {}",
                t.column,
                self.name,
                t.op.symbol(),
                t.value
            ));
        }
        text
    }

    /// Every item the score reads, including ratio denominators.
    pub fn all_items(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.items.iter().map(String::as_str).collect();
        match &self.rule {
            Rule::Ratio { denominator } => out.extend(denominator.iter().map(String::as_str)),
            Rule::MeanDifference { minus } => out.extend(minus.iter().map(String::as_str)),
            _ => {}
        }
        out
    }
}

/// A named set of scores (e.g. OASIS `sum-missing-as-0` of the R34 paper vs `mean-x5`).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    /// Where the rule comes from (paper, cleaning script, server code).
    pub description: String,
    pub scores: Vec<ScoreDef>,
}

impl Variant {
    pub fn new(name: &str, description: &str, scores: Vec<ScoreDef>) -> Self {
        Variant {
            name: name.to_owned(),
            description: description.to_owned(),
            scores,
        }
    }
}

/// One questionnaire (one decoded table) in one study.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleDef {
    /// Table name, e.g. `OA`, `DASS21_AS`.
    pub name: String,
    pub items: Vec<ItemDef>,
    /// "Prefer not to answer" (and "not asked") codes, made missing before anything else.
    pub pna: Vec<f64>,
    /// Stored value → meaning, applied after PNA removal and before validation.
    pub recode: Vec<(f64, f64)>,
    /// Scoring variants; the first is the default.
    pub variants: Vec<Variant>,
}

impl ScaleDef {
    /// A scale whose items all share `valid`.
    pub fn new(name: &str, items: &[&str], valid: ValidValues, pna: &[f64]) -> Self {
        ScaleDef {
            name: name.to_owned(),
            items: items
                .iter()
                .map(|n| ItemDef {
                    name: (*n).to_owned(),
                    valid: valid.clone(),
                })
                .collect(),
            pna: pna.to_vec(),
            recode: Vec::new(),
            variants: Vec::new(),
        }
    }

    /// Add items with their own valid values.
    pub fn with_items(mut self, items: &[&str], valid: ValidValues) -> Self {
        self.items.extend(items.iter().map(|n| ItemDef {
            name: (*n).to_owned(),
            valid: valid.clone(),
        }));
        self
    }

    /// What a stored number means under the scale's recode (`Some(value)` itself without a
    /// recode); `None` when the recode has no entry for it.
    pub fn recode_value(&self, stored: f64) -> Option<f64> {
        if self.recode.is_empty() {
            return Some(stored);
        }
        self.recode
            .iter()
            .find(|(from, _)| *from == stored)
            .map(|(_, to)| *to)
    }

    /// The recode as written in the `recoded` column of a table whose answers it was applied to
    /// (`Credibility 0=1 1=2 2=3 3=4 5=5`); `None` for a scale without a recode.
    pub fn recode_label(&self) -> Option<String> {
        if self.recode.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self
            .recode
            .iter()
            .map(|(from, to)| format!("{from}={to}"))
            .collect();
        Some(format!("{} {}", self.name, pairs.join(" ")))
    }

    pub fn with_recode(mut self, recode: &[(f64, f64)]) -> Self {
        self.recode = recode.to_vec();
        self
    }

    pub fn with_variant(mut self, variant: Variant) -> Self {
        self.variants.push(variant);
        self
    }

    /// The item definition named `name` (case-insensitive).
    pub fn item(&self, name: &str) -> Option<&ItemDef> {
        self.items
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }

    /// The named variant, or the default (first) one when `name` is `None`.
    /// A scale without scores has no variants and gives `Ok(None)`.
    pub fn variant(&self, name: Option<&str>) -> Result<Option<&Variant>> {
        match name {
            None => Ok(self.variants.first()),
            Some(wanted) => self
                .variants
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(wanted))
                .map(Some)
                .ok_or_else(|| Error::UnknownVariant {
                    scale: self.name.clone(),
                    variant: wanted.to_owned(),
                    known: self.variant_names().join(", "),
                }),
        }
    }

    pub fn variant_names(&self) -> Vec<String> {
        self.variants.iter().map(|v| v.name.clone()).collect()
    }

    /// Lowest and highest value `score` can take, from the items' valid values.
    /// `None` when unbounded (a ratio whose denominator can be 0 is skipped, not infinite,
    /// but its upper bound is still open).
    pub fn score_bounds(&self, score: &ScoreDef) -> Option<(f64, f64)> {
        let item_bounds = |names: &[String]| -> Option<(f64, f64)> {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for n in names {
                let (a, b) = self.item(n)?.valid.bounds()?;
                lo = lo.min(a);
                hi = hi.max(b);
            }
            Some((lo, hi))
        };
        let n = score.items.len() as f64;
        match &score.rule {
            Rule::Sum | Rule::SumMissingAsZero => {
                let (lo, hi) = item_bounds(&score.items)?;
                let lo = if score.rule == Rule::SumMissingAsZero {
                    lo.min(0.0) * n
                } else {
                    lo * n
                };
                Some((lo, hi * n))
            }
            Rule::Mean => item_bounds(&score.items),
            Rule::ScaledMean { factor } => {
                let (lo, hi) = item_bounds(&score.items)?;
                Some((lo * factor, hi * factor))
            }
            Rule::ProratedSum => {
                let (lo, hi) = item_bounds(&score.items)?;
                Some((lo * n, hi * n))
            }
            Rule::MedianImputedSum { factor } => {
                let (lo, hi) = item_bounds(&score.items)?;
                Some((lo * n * factor, hi * n * factor))
            }
            Rule::Ratio { denominator } => {
                let (nlo, nhi) = item_bounds(&score.items)?;
                let (dlo, dhi) = item_bounds(denominator)?;
                if dlo <= 0.0 {
                    None
                } else {
                    Some((nlo / dhi, nhi / dlo))
                }
            }
            Rule::MeanDifference { minus } => {
                let (alo, ahi) = item_bounds(&score.items)?;
                let (blo, bhi) = item_bounds(minus)?;
                Some((alo - bhi, ahi - blo))
            }
            Rule::MeanOfScores => None,
        }
    }

    /// Check internal consistency: every score item is an item of the scale (or an earlier
    /// score for [`Rule::MeanOfScores`]), numeric, and `min_answered` is possible.
    pub fn validate(&self, source_name: &str) -> Result<()> {
        let here =
            |msg: String| Error::codebook(source_name, format!("scale {}: {msg}", self.name));
        if self.items.is_empty() {
            return Err(here("has no items".into()));
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&item.name))
            {
                return Err(here(format!("item {} is listed twice", item.name)));
            }
            if let ValidValues::Range { min, max } = item.valid
                && min > max
            {
                return Err(here(format!(
                    "item {}: min {min} is above max {max}",
                    item.name
                )));
            }
        }
        for (stored, meaning) in &self.recode {
            if self.pna.contains(meaning) {
                return Err(here(format!(
                    "recode {stored}: {meaning} is a PNA code, so a recoded answer would read as no answer"
                )));
            }
            if self.pna.contains(stored) {
                return Err(here(format!(
                    "recode {stored}: a PNA code is never recoded (it becomes missing first)"
                )));
            }
        }
        for variant in &self.variants {
            let mut earlier: Vec<&str> = Vec::new();
            for score in &variant.scores {
                let ctx = format!("variant {} score {}", variant.name, score.name);
                if score.items.is_empty() {
                    return Err(here(format!("{ctx}: no items")));
                }
                if score.rule == Rule::MeanOfScores {
                    for s in &score.items {
                        if !earlier.contains(&s.as_str()) {
                            return Err(here(format!(
                                "{ctx}: {s} is not an earlier score of this variant"
                            )));
                        }
                    }
                } else {
                    for n in score.all_items() {
                        match self.item(n) {
                            None => {
                                return Err(here(format!(
                                    "{ctx}: {n} is not an item of the scale"
                                )));
                            }
                            Some(item) if !item.valid.is_numeric() => {
                                return Err(here(format!(
                                    "{ctx}: item {n} is text and cannot be scored"
                                )));
                            }
                            Some(_) => {}
                        }
                    }
                }
                if score.min_answered == 0 || score.min_answered > score.items.len() {
                    return Err(here(format!(
                        "{ctx}: min_answered {} must be between 1 and the {} items",
                        score.min_answered,
                        score.items.len()
                    )));
                }
                if self
                    .items
                    .iter()
                    .any(|i| i.name.eq_ignore_ascii_case(&score.name))
                {
                    return Err(here(format!("{ctx}: the score has the name of an item")));
                }
                earlier.push(&score.name);
            }
        }
        Ok(())
    }
}

/// All scales of one study.
#[derive(Debug, Clone, PartialEq)]
pub struct Codebook {
    /// Study name (`r34`, `templeton`, `calm-thinking`, or a lab's own).
    pub study: String,
    pub scales: Vec<ScaleDef>,
}

impl Codebook {
    /// The built-in codebook of `study`.
    pub fn builtin(study: Study) -> Codebook {
        crate::rules::builtin::codebook(study)
    }

    /// The scale for table `name` (case-insensitive).
    pub fn scale(&self, name: &str) -> Result<&ScaleDef> {
        self.scales
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownScale {
                study: self.study.clone(),
                scale: name.to_owned(),
                known: self
                    .scales
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Check every scale (see [`ScaleDef::validate`]) and that no table is defined twice.
    pub fn validate(&self, source_name: &str) -> Result<()> {
        for (i, scale) in self.scales.iter().enumerate() {
            if self.scales[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&scale.name))
            {
                return Err(Error::codebook(
                    source_name,
                    format!("scale {} is defined twice", scale.name),
                ));
            }
            scale.validate(source_name)?;
        }
        Ok(())
    }
}
