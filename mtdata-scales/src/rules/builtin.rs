//! Built-in codebooks of R34, Templeton and Calm Thinking/TET. Items, valid values, PNA codes and
//! recodes come from the catalogue (`mtdata_core::catalog`, reference mindtrails.md §4), shared
//! with the report and the test fixtures; this file adds the scoring variants.
//! Preferred scoring is that of the lab's later cleaning and analysis scripts; the other
//! published variants are selectable by name.

use mtdata_core::catalog::{
    self, BBSIQ_BENIGN_EXTERNAL, BBSIQ_BENIGN_INTERNAL, BBSIQ_NEGATIVE_EXTERNAL,
    BBSIQ_NEGATIVE_INTERNAL, DASS21_AS_ITEMS, DASS21_DS_ITEMS, EXPECTANCY_BIAS_NEGATIVE,
    EXPECTANCY_BIAS_POSITIVE, OASIS_ITEMS, PHQ4_ITEMS, QOL_ITEMS, RR_ITEMS, RR_KINDS, Values,
};

use crate::rules::codebook::{
    Codebook, Comparison, ItemDef, Rule, ScaleDef, ScoreDef, Study, Threshold, ValidValues, Variant,
};

/// Build the codebook of `study`.
pub(crate) fn codebook(study: Study) -> Codebook {
    let scales = catalog::scales(study)
        .iter()
        .map(|scale| with_scores(unscored(scale), study))
        .collect();
    Codebook {
        study: study.name().to_owned(),
        scales,
    }
}

/// The catalogue's scale without scores. A `ScaleDef` has one list of PNA codes, so a code the
/// catalogue gives only some items (AnxietyTriggers `coronavirus` 999) is PNA for every item.
fn unscored(scale: &catalog::Scale) -> ScaleDef {
    let items = scale
        .groups
        .iter()
        .flat_map(|group| {
            let valid = match group.values {
                Values::Range { min, max } => ValidValues::range(min, max),
                Values::Boolean => ValidValues::Boolean,
                Values::Text => ValidValues::Text,
            };
            group.items.iter().map(move |name| ItemDef {
                name: (*name).to_owned(),
                valid: valid.clone(),
            })
        })
        .collect();
    ScaleDef {
        name: scale.table.to_owned(),
        items,
        pna: scale.all_pna(),
        recode: scale.recode.to_vec(),
        variants: Vec::new(),
    }
}

/// Add the scoring variants of the scales the lab's scripts (or the instrument) score.
fn with_scores(scale: ScaleDef, study: Study) -> ScaleDef {
    match scale.name.as_str() {
        "OA" => oasis(scale, study),
        "DASS21_AS" => dass_as(scale, study),
        "DASS21_DS" => dass_ds(scale),
        "RR" => rr(scale),
        "BBSIQ" => bbsiq(scale, study),
        "QOL" => qol(scale),
        "Phq4" => phq4(scale),
        "ExpectancyBias" => expectancy_bias(scale),
        _ => scale,
    }
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// RR items of one kind (`NS`, `NF`, `PS`, `PF`), scenario by scenario.
fn rr_items(kind: &str) -> Vec<String> {
    let suffix = format!("_{kind}");
    RR_ITEMS
        .iter()
        .filter(|item| item.ends_with(&suffix))
        .map(|item| (*item).to_owned())
        .collect()
}

/// The arithmetic of MTData's `scales.py` with PNA removed (for comparison only).
fn mtdata_variant(description: &str, scores: Vec<ScoreDef>) -> Variant {
    Variant::new("mtdata", description, scores)
}

fn oasis(scale: ScaleDef, study: Study) -> ScaleDef {
    let sum0 = Variant::new(
        "sum-missing-as-0",
        "R34 paper (3_clean_data.R): oa_total = rowSums(items, na.rm = TRUE), missing items count as 0",
        vec![ScoreDef::new(
            "oa_total",
            Rule::SumMissingAsZero,
            OASIS_ITEMS,
        )],
    );
    let mean5 = Variant::new(
        "mean-x5",
        "server score() and TET screening oasis_total_anal: mean of answered items x 5; R01 eligibility >= 6",
        vec![
            ScoreDef::new("oa_total", Rule::ScaledMean { factor: 5.0 }, OASIS_ITEMS).threshold(
                "oa_eligible",
                Comparison::Ge,
                6.0,
            ),
        ],
    );
    let mean = Variant::new(
        "mean",
        "R01/TET analyses (oa_m): mean of answered items",
        vec![ScoreDef::new("oa_m", Rule::Mean, OASIS_ITEMS)],
    );
    let mtdata = mtdata_variant(
        "MTData scales.py OA: SUM = mean(items) x 5",
        vec![ScoreDef::new(
            "SUM",
            Rule::ScaledMean { factor: 5.0 },
            OASIS_ITEMS,
        )],
    );
    match study {
        Study::R34 => scale
            .with_variant(sum0)
            .with_variant(mean5)
            .with_variant(mean)
            .with_variant(mtdata),
        _ => scale
            .with_variant(mean5)
            .with_variant(mean)
            .with_variant(sum0)
            .with_variant(mtdata),
    }
}

fn dass_as(scale: ScaleDef, study: Study) -> ScaleDef {
    let median = Variant::new(
        "median-imputed-sum-x2",
        "R34 paper: missing items imputed with the item's median over the long table, then sum x 2 (dass21_as_total_dbl)",
        vec![ScoreDef::new(
            "dass21_as_total_dbl",
            Rule::MedianImputedSum { factor: 2.0 },
            DASS21_AS_ITEMS,
        )],
    );
    let cleaning = Variant::new(
        "mean-x7",
        "R01 cleaning (4_clean_data.R): dass21_as_total = mean of answered x 7; x 2 gives dass21_as_total_interp, eligible if >= 10",
        vec![
            ScoreDef::new(
                "dass21_as_total",
                Rule::ScaledMean { factor: 7.0 },
                DASS21_AS_ITEMS,
            ),
            ScoreDef::new(
                "dass21_as_total_interp",
                Rule::ScaledMean { factor: 14.0 },
                DASS21_AS_ITEMS,
            )
            .threshold("dass21_as_eligible", Comparison::Ge, 10.0),
        ],
    );
    let server = Variant::new(
        "server-x14",
        "server score() = (sum/answered) x 14, eligible if > 10 (strict; the server also requires over18)",
        vec![
            ScoreDef::new(
                "dass21_as_score",
                Rule::ScaledMean { factor: 14.0 },
                DASS21_AS_ITEMS,
            )
            .threshold("dass21_as_eligible", Comparison::Gt, 10.0),
        ],
    );
    let mean = Variant::new(
        "mean",
        "fy7e6 dass21_as_m: mean of answered items",
        vec![ScoreDef::new("dass21_as_m", Rule::Mean, DASS21_AS_ITEMS)],
    );
    let mtdata = mtdata_variant(
        "MTData scales.py DASS21_AS: SUM = mean(items) x 7",
        vec![ScoreDef::new(
            "SUM",
            Rule::ScaledMean { factor: 7.0 },
            DASS21_AS_ITEMS,
        )],
    );
    match study {
        Study::R34 => scale
            .with_variant(median)
            .with_variant(server)
            .with_variant(cleaning)
            .with_variant(mean)
            .with_variant(mtdata),
        _ => scale
            .with_variant(cleaning)
            .with_variant(server)
            .with_variant(mean)
            .with_variant(median)
            .with_variant(mtdata),
    }
}

fn dass_ds(scale: ScaleDef) -> ScaleDef {
    scale
        .with_variant(Variant::new(
            "median-imputed-sum-x2",
            "R34 paper: missing items imputed with the item's median over the long table, then sum x 2 (dass21_ds_total_dbl)",
            vec![ScoreDef::new(
                "dass21_ds_total_dbl",
                Rule::MedianImputedSum { factor: 2.0 },
                DASS21_DS_ITEMS,
            )],
        ))
        .with_variant(Variant::new(
            "mean-x14",
            "mean of answered items x 14 (the DASS-21 full-scale metric)",
            vec![ScoreDef::new("dass21_ds_total", Rule::ScaledMean { factor: 14.0 }, DASS21_DS_ITEMS)],
        ))
        .with_variant(mtdata_variant(
            "MTData scales.py DASS21_DS: SUM = mean(items) x 7",
            vec![ScoreDef::new("SUM", Rule::ScaledMean { factor: 7.0 }, DASS21_DS_ITEMS)],
        ))
}

fn rr(mut scale: ScaleDef) -> ScaleDef {
    // Items kind by kind (all NS first), as the scores group them.
    scale.items.sort_by_key(|item| {
        RR_KINDS
            .iter()
            .position(|kind| item.name.ends_with(&format!("_{kind}")))
    });
    let ns = rr_items("NS");
    let nf = rr_items("NF");
    let ps = rr_items("PS");
    let pf = rr_items("PF");
    let mean_of = |name: &str, items: &[String]| ScoreDef {
        name: name.to_owned(),
        rule: Rule::Mean,
        items: items.to_vec(),
        min_answered: 1,
        threshold: None,
    };
    let means = Variant::new(
        "means",
        "R34 paper and fy7e6: means of answered items per type (rr_ns_mean = negative threat, rr_ps_mean = positive threat; NF/PF are foils)",
        vec![
            mean_of("rr_ns_mean", &ns),
            mean_of("rr_nf_mean", &nf),
            mean_of("rr_ps_mean", &ps),
            mean_of("rr_pf_mean", &pf),
        ],
    );
    let others: Vec<String> = [nf, pf, ps.clone()].concat();
    let mtdata = mtdata_variant(
        "MTData scales.py RR: Score = mean(NS) / mean(NF, PF, PS), Negative_Ave = mean(NS), Positive_Ave = mean(PS)",
        vec![
            ScoreDef {
                name: "Score".into(),
                rule: Rule::Ratio {
                    denominator: others,
                },
                items: ns.clone(),
                min_answered: 1,
                threshold: None,
            },
            mean_of("Negative_Ave", &ns),
            mean_of("Positive_Ave", &ps),
        ],
    );
    scale.with_variant(means).with_variant(mtdata)
}

fn bbsiq(scale: ScaleDef, study: Study) -> ScaleDef {
    let ratio = |name: &str, num: &[&str], den: &[&str]| ScoreDef {
        name: name.to_owned(),
        rule: Rule::Ratio {
            denominator: owned(den),
        },
        items: owned(num),
        min_answered: 1,
        threshold: None,
    };
    let neg: Vec<&str> = [BBSIQ_NEGATIVE_INTERNAL, BBSIQ_NEGATIVE_EXTERNAL].concat();
    let ben: Vec<&str> = [BBSIQ_BENIGN_INTERNAL, BBSIQ_BENIGN_EXTERNAL].concat();
    let ratios = Variant::new(
        "ratios",
        "R34 paper: bbsiq_int_ratio = mean(neg int)/mean(benign int), bbsiq_ext_ratio likewise, bbsiq_ratio_mean = the mean of the ratios there are (rowMeans(na.rm = TRUE)); beside them the four component means",
        vec![
            ratio(
                "bbsiq_int_ratio",
                BBSIQ_NEGATIVE_INTERNAL,
                BBSIQ_BENIGN_INTERNAL,
            ),
            ratio(
                "bbsiq_ext_ratio",
                BBSIQ_NEGATIVE_EXTERNAL,
                BBSIQ_BENIGN_EXTERNAL,
            ),
            // R's rowMeans(na.rm = TRUE): one ratio is enough.
            ScoreDef::new(
                "bbsiq_ratio_mean",
                Rule::MeanOfScores,
                &["bbsiq_int_ratio", "bbsiq_ext_ratio"],
            ),
            ScoreDef::new("bbsiq_neg_int_m", Rule::Mean, BBSIQ_NEGATIVE_INTERNAL),
            ScoreDef::new("bbsiq_neg_ext_m", Rule::Mean, BBSIQ_NEGATIVE_EXTERNAL),
            ScoreDef::new("bbsiq_ben_int_m", Rule::Mean, BBSIQ_BENIGN_INTERNAL),
            ScoreDef::new("bbsiq_ben_ext_m", Rule::Mean, BBSIQ_BENIGN_EXTERNAL),
        ],
    );
    let means = Variant::new(
        "means",
        "R01 fy7e6: bbsiq_neg_m = mean of the 14 negative items, bbsiq_ben_m = mean of the 28 benign items",
        vec![
            ScoreDef::new("bbsiq_neg_m", Rule::Mean, &neg),
            ScoreDef::new("bbsiq_ben_m", Rule::Mean, &ben),
        ],
    );
    let mtdata = mtdata_variant(
        "MTData scales.py BBSIQ: Physical_Score, External_Threat_Score ratios, Negative_Ave, Other_Ave",
        vec![
            ratio(
                "Physical_Score",
                BBSIQ_NEGATIVE_INTERNAL,
                BBSIQ_BENIGN_INTERNAL,
            ),
            ratio(
                "External_Threat_Score",
                BBSIQ_NEGATIVE_EXTERNAL,
                BBSIQ_BENIGN_EXTERNAL,
            ),
            ScoreDef::new("Negative_Ave", Rule::Mean, &neg),
            ScoreDef::new("Other_Ave", Rule::Mean, &ben),
        ],
    );
    match study {
        // The R01 analyses used the negative and benign means.
        Study::CalmThinking => scale
            .with_variant(means)
            .with_variant(ratios)
            .with_variant(mtdata),
        _ => scale
            .with_variant(ratios)
            .with_variant(means)
            .with_variant(mtdata),
    }
}

fn qol(scale: ScaleDef) -> ScaleDef {
    scale
        .with_variant(Variant::new(
            "prorated-sum",
            "not scored by the lab's scripts; prorated sum (mean of answered x 16), as MTData's SUM without the PNA bug",
            vec![ScoreDef::new("qol_total", Rule::ProratedSum, QOL_ITEMS)],
        ))
        .with_variant(Variant::new(
            "mean",
            "mean of the answered items (the metric analysts of these studies use for QOL)",
            vec![ScoreDef::new("qol_mean", Rule::Mean, QOL_ITEMS)],
        ))
        .with_variant(mtdata_variant(
            "MTData scales.py QOL: SUM = mean(items) x 16",
            vec![ScoreDef::new("SUM", Rule::ProratedSum, QOL_ITEMS)],
        ))
}

fn phq4(scale: ScaleDef) -> ScaleDef {
    scale.with_variant(Variant::new(
        "standard",
        "standard PHQ-4 (not from the MindTrails repositories): total 0-12, GAD-2 = nervous + worry, PHQ-2 = pleasure + depressed; every item required",
        vec![
            ScoreDef::new("phq4_total", Rule::Sum, PHQ4_ITEMS),
            ScoreDef::new("gad2", Rule::Sum, &["nervous", "worry"]),
            ScoreDef::new("phq2", Rule::Sum, &["pleasure", "depressed"]),
        ],
    ))
}

fn expectancy_bias(scale: ScaleDef) -> ScaleDef {
    scale.with_variant(Variant::new(
        "server",
        "server score = mean(positive) - mean(negative), eligible if < 1.1111 (PNA removed, unlike the server)",
        vec![ScoreDef {
            name: "eb_score".into(),
            rule: Rule::MeanDifference {
                minus: owned(EXPECTANCY_BIAS_NEGATIVE),
            },
            items: owned(EXPECTANCY_BIAS_POSITIVE),
            min_answered: 1,
            threshold: Some(Threshold {
                column: "eb_eligible".into(),
                op: Comparison::Lt,
                value: 1.1111,
            }),
        }],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_codebook_is_valid() {
        for study in Study::ALL {
            Codebook::builtin(study).validate(study.name()).unwrap();
        }
    }

    #[test]
    fn bbsiq_has_42_items_and_rr_36() {
        let cb = Codebook::builtin(Study::R34);
        assert_eq!(cb.scale("BBSIQ").unwrap().items.len(), 42);
        assert_eq!(cb.scale("rr").unwrap().items.len(), 36);
    }

    #[test]
    fn the_scored_scales_have_variants() {
        // A scale renamed in the catalogue would otherwise lose its scores silently.
        let scored = |study| -> Vec<String> {
            Codebook::builtin(study)
                .scales
                .into_iter()
                .filter(|s| !s.variants.is_empty())
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(
            scored(Study::R34),
            ["OA", "DASS21_AS", "DASS21_DS", "RR", "BBSIQ", "QOL"]
        );
        assert_eq!(
            scored(Study::Templeton),
            ["OA", "DASS21_AS", "Phq4", "ExpectancyBias"]
        );
        assert_eq!(
            scored(Study::CalmThinking),
            ["OA", "DASS21_AS", "RR", "BBSIQ"]
        );
    }

    #[test]
    fn scales_follow_the_catalogue() {
        for study in Study::ALL {
            let codebook = Codebook::builtin(study);
            let catalogue = catalog::scales(study);
            assert_eq!(codebook.scales.len(), catalogue.len());
            for (def, scale) in codebook.scales.iter().zip(catalogue) {
                assert_eq!(def.name, scale.table);
                assert_eq!(def.pna, scale.all_pna());
                let mut items: Vec<&str> = def.items.iter().map(|i| i.name.as_str()).collect();
                let mut expected: Vec<&str> = scale.items().collect();
                items.sort_unstable();
                expected.sort_unstable();
                assert_eq!(items, expected, "{study} {}", def.name);
            }
        }
    }
}
