//! Built-in codebooks of R34, Templeton and Calm Thinking/TET (reference: mindtrails.md §4).
//! Preferred scoring is that of the lab's later cleaning and analysis scripts; the other
//! published variants are selectable by name.

use crate::codebook::{
    Codebook, Comparison, Rule, ScaleDef, ScoreDef, Study, ValidValues, Variant,
};

const OASIS: [&str; 5] = [
    "anxious_freq",
    "anxious_sev",
    "avoid",
    "interfere",
    "interfere_social",
];
const DASS_AS: [&str; 7] = [
    "breathing",
    "dryness",
    "heart",
    "panic",
    "scared",
    "trembling",
    "worry",
];
const DASS_DS: [&str; 7] = [
    "blue",
    "difficult",
    "hopeless",
    "meaningless",
    "noenthusiastic",
    "nopositive",
    "noworth",
];
const RR_SCENARIOS: [&str; 9] = [
    "blood_test",
    "elevator",
    "job",
    "lunch",
    "meeting_friend",
    "noise",
    "scrape",
    "shopping",
    "wedding",
];
const BBSIQ_NEG_INT: [&str; 7] = [
    "breath_suffocate",
    "vision_illness",
    "lightheaded_faint",
    "chest_heart",
    "heart_wrong",
    "confused_outofmind",
    "dizzy_ill",
];
const BBSIQ_NEG_EXT: [&str; 7] = [
    "visitors_bored",
    "shop_irritating",
    "smoke_house",
    "friend_incompetent",
    "jolt_burglar",
    "party_boring",
    "urgent_died",
];
const BBSIQ_BEN_INT: [&str; 14] = [
    "breath_flu",
    "breath_physically",
    "vision_glasses",
    "vision_strained",
    "lightheaded_eat",
    "lightheaded_sleep",
    "chest_indigestion",
    "chest_sore",
    "heart_active",
    "heart_excited",
    "confused_cold",
    "confused_work",
    "dizzy_ate",
    "dizzy_overtired",
];
const BBSIQ_BEN_EXT: [&str; 14] = [
    "visitors_engagement",
    "visitors_outstay",
    "shop_bored",
    "shop_concentrating",
    "smoke_cig",
    "smoke_food",
    "friend_helpful",
    "friend_moreoften",
    "jolt_dream",
    "jolt_wind",
    "party_hear",
    "party_preoccupied",
    "urgent_bill",
    "urgent_junk",
];
const QOL: [&str; 16] = [
    "material",
    "health",
    "relationships",
    "children",
    "spouse",
    "friend",
    "helping",
    "participating",
    "learning",
    "understanding",
    "work",
    "expression",
    "socializing",
    "reading",
    "recreation",
    "independence",
];
const EB_POS: [&str; 4] = [
    "shortRest",
    "settleIn",
    "consideredAdvancement",
    "financiallySecure",
];
const EB_NEG: [&str; 4] = ["verySick", "offend", "stuck", "ruining"];
const EB_NEUTRAL: [&str; 4] = ["reruns", "bagel", "lunch", "thermostat"];
const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const PROVIDERS: [&str; 16] = [
    "psychiatrist",
    "psychologist",
    "school_counselor",
    "lmhc",
    "general_practitioner",
    "teacher",
    "family",
    "friend",
    "religious_leader",
    "coach",
    "book",
    "medicine",
    "online",
    "app",
    "support_group",
    "other",
];

fn r(min: f64, max: f64) -> ValidValues {
    ValidValues::range(min, max)
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn bbsiq_items() -> Vec<&'static str> {
    [
        BBSIQ_NEG_INT.as_slice(),
        &BBSIQ_NEG_EXT,
        &BBSIQ_BEN_INT,
        &BBSIQ_BEN_EXT,
    ]
    .concat()
}

fn rr_items(kind: &str) -> Vec<String> {
    RR_SCENARIOS.iter().map(|s| format!("{s}_{kind}")).collect()
}

fn oasis(pna: &[f64], study: Study) -> ScaleDef {
    let sum0 = Variant::new(
        "sum-missing-as-0",
        "R34 paper (3_clean_data.R): oa_total = rowSums(items, na.rm = TRUE), missing items count as 0",
        vec![ScoreDef::new("oa_total", Rule::SumMissingAsZero, &OASIS)],
    );
    let mean5 = Variant::new(
        "mean-x5",
        "server score() and TET screening oasis_total_anal: mean of answered items x 5; R01 eligibility >= 6",
        vec![
            ScoreDef::new("oa_total", Rule::ScaledMean { factor: 5.0 }, &OASIS).threshold(
                "oa_eligible",
                Comparison::Ge,
                6.0,
            ),
        ],
    );
    let mean = Variant::new(
        "mean",
        "R01/TET analyses (oa_m): mean of answered items",
        vec![ScoreDef::new("oa_m", Rule::Mean, &OASIS)],
    );
    let mtdata = mtdata_variant(
        "MTData scales.py OA: SUM = mean(items) x 5",
        vec![ScoreDef::new(
            "SUM",
            Rule::ScaledMean { factor: 5.0 },
            &OASIS,
        )],
    );
    let scale = ScaleDef::new("OA", &OASIS, r(0.0, 4.0), pna);
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

/// The arithmetic of MTData's `scales.py` with PNA removed (for comparison only).
fn mtdata_variant(description: &str, scores: Vec<ScoreDef>) -> Variant {
    Variant::new("mtdata", description, scores)
}

fn dass_as(pna: &[f64], study: Study) -> ScaleDef {
    let median = Variant::new(
        "median-imputed-sum-x2",
        "R34 paper: missing items imputed with the item's median over the long table, then sum x 2 (dass21_as_total_dbl)",
        vec![ScoreDef::new(
            "dass21_as_total_dbl",
            Rule::MedianImputedSum { factor: 2.0 },
            &DASS_AS,
        )],
    );
    let cleaning = Variant::new(
        "mean-x7",
        "R01 cleaning (4_clean_data.R): dass21_as_total = mean of answered x 7; x 2 gives dass21_as_total_interp, eligible if >= 10",
        vec![
            ScoreDef::new(
                "dass21_as_total",
                Rule::ScaledMean { factor: 7.0 },
                &DASS_AS,
            ),
            ScoreDef::new(
                "dass21_as_total_interp",
                Rule::ScaledMean { factor: 14.0 },
                &DASS_AS,
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
                &DASS_AS,
            )
            .threshold("dass21_as_eligible", Comparison::Gt, 10.0),
        ],
    );
    let mean = Variant::new(
        "mean",
        "fy7e6 dass21_as_m: mean of answered items",
        vec![ScoreDef::new("dass21_as_m", Rule::Mean, &DASS_AS)],
    );
    let mtdata = mtdata_variant(
        "MTData scales.py DASS21_AS: SUM = mean(items) x 7",
        vec![ScoreDef::new(
            "SUM",
            Rule::ScaledMean { factor: 7.0 },
            &DASS_AS,
        )],
    );
    let scale = ScaleDef::new("DASS21_AS", &DASS_AS, r(0.0, 3.0), pna);
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

fn dass_ds() -> ScaleDef {
    ScaleDef::new("DASS21_DS", &DASS_DS, r(0.0, 3.0), &[-1.0, -2.0])
        .with_variant(Variant::new(
            "median-imputed-sum-x2",
            "R34 paper: missing items imputed with the item's median over the long table, then sum x 2 (dass21_ds_total_dbl)",
            vec![ScoreDef::new(
                "dass21_ds_total_dbl",
                Rule::MedianImputedSum { factor: 2.0 },
                &DASS_DS,
            )],
        ))
        .with_variant(Variant::new(
            "mean-x14",
            "mean of answered items x 14 (the DASS-21 full-scale metric)",
            vec![ScoreDef::new("dass21_ds_total", Rule::ScaledMean { factor: 14.0 }, &DASS_DS)],
        ))
        .with_variant(mtdata_variant(
            "MTData scales.py DASS21_DS: SUM = mean(items) x 7",
            vec![ScoreDef::new("SUM", Rule::ScaledMean { factor: 7.0 }, &DASS_DS)],
        ))
}

fn rr(valid: ValidValues, pna: &[f64]) -> ScaleDef {
    let ns = rr_items("NS");
    let nf = rr_items("NF");
    let ps = rr_items("PS");
    let pf = rr_items("PF");
    let all: Vec<String> = [ns.clone(), nf.clone(), ps.clone(), pf.clone()].concat();
    let refs = |v: &[String]| -> Vec<String> { v.to_vec() };
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
    let others: Vec<String> = [nf.clone(), pf.clone(), ps.clone()].concat();
    let mtdata = mtdata_variant(
        "MTData scales.py RR: Score = mean(NS) / mean(NF, PF, PS), Negative_Ave = mean(NS), Positive_Ave = mean(PS)",
        vec![
            ScoreDef {
                name: "Score".into(),
                rule: Rule::Ratio {
                    denominator: refs(&others),
                },
                items: ns.clone(),
                min_answered: 1,
                threshold: None,
            },
            mean_of("Negative_Ave", &ns),
            mean_of("Positive_Ave", &ps),
        ],
    );
    let item_refs: Vec<&str> = all.iter().map(String::as_str).collect();
    ScaleDef::new("RR", &item_refs, valid, pna)
        .with_variant(means)
        .with_variant(mtdata)
}

fn bbsiq() -> ScaleDef {
    let items = bbsiq_items();
    let ratio = |name: &str, num: &[&str], den: &[&str]| ScoreDef {
        name: name.to_owned(),
        rule: Rule::Ratio {
            denominator: owned(den),
        },
        items: owned(num),
        min_answered: 1,
        threshold: None,
    };
    let neg: Vec<&str> = [BBSIQ_NEG_INT, BBSIQ_NEG_EXT].concat();
    let ben: Vec<&str> = [BBSIQ_BEN_INT, BBSIQ_BEN_EXT].concat();
    ScaleDef::new("BBSIQ", &items, r(0.0, 4.0), &[555.0])
        .with_variant(Variant::new(
            "ratios",
            "R34 paper: bbsiq_int_ratio = mean(neg int)/mean(benign int), bbsiq_ext_ratio likewise, bbsiq_ratio_mean = their mean",
            vec![
                ratio("bbsiq_int_ratio", &BBSIQ_NEG_INT, &BBSIQ_BEN_INT),
                ratio("bbsiq_ext_ratio", &BBSIQ_NEG_EXT, &BBSIQ_BEN_EXT),
                ScoreDef::new(
                    "bbsiq_ratio_mean",
                    Rule::MeanOfScores,
                    &["bbsiq_int_ratio", "bbsiq_ext_ratio"],
                )
                .min_answered(2),
            ],
        ))
        .with_variant(Variant::new(
            "means",
            "R01 fy7e6: bbsiq_neg_m = mean of the 14 negative items, bbsiq_ben_m = mean of the 28 benign items",
            vec![
                ScoreDef::new("bbsiq_neg_m", Rule::Mean, &neg),
                ScoreDef::new("bbsiq_ben_m", Rule::Mean, &ben),
            ],
        ))
        .with_variant(mtdata_variant(
            "MTData scales.py BBSIQ: Physical_Score, External_Threat_Score ratios, Negative_Ave, Other_Ave",
            vec![
                ratio("Physical_Score", &BBSIQ_NEG_INT, &BBSIQ_BEN_INT),
                ratio("External_Threat_Score", &BBSIQ_NEG_EXT, &BBSIQ_BEN_EXT),
                ScoreDef::new("Negative_Ave", Rule::Mean, &neg),
                ScoreDef::new("Other_Ave", Rule::Mean, &ben),
            ],
        ))
}

fn qol() -> ScaleDef {
    ScaleDef::new("QOL", &QOL, r(1.0, 5.0), &[555.0])
        .with_variant(Variant::new(
            "prorated-sum",
            "not scored by the lab's scripts; prorated sum (mean of answered x 16), as MTData's SUM without the PNA bug",
            vec![ScoreDef::new("qol_total", Rule::ProratedSum, &QOL)],
        ))
        .with_variant(mtdata_variant(
            "MTData scales.py QOL: SUM = mean(items) x 16",
            vec![ScoreDef::new("SUM", Rule::ProratedSum, &QOL)],
        ))
}

fn phq4() -> ScaleDef {
    let items = ["nervous", "worry", "pleasure", "depressed"];
    ScaleDef::new("Phq4", &items, r(0.0, 3.0), &[555.0]).with_variant(Variant::new(
        "standard",
        "standard PHQ-4 (not from the MindTrails repositories): total 0-12, GAD-2 = nervous + worry, PHQ-2 = pleasure + depressed; every item required",
        vec![
            ScoreDef::new("phq4_total", Rule::Sum, &items),
            ScoreDef::new("gad2", Rule::Sum, &["nervous", "worry"]),
            ScoreDef::new("phq2", Rule::Sum, &["pleasure", "depressed"]),
        ],
    ))
}

fn expectancy_bias() -> ScaleDef {
    let items: Vec<&str> = [EB_POS, EB_NEG, EB_NEUTRAL].concat();
    // The form posts 555 while the server's NO_ANSWER is -1: both are treated as PNA here.
    ScaleDef::new("ExpectancyBias", &items, r(1.0, 7.0), &[555.0, -1.0]).with_variant(Variant::new(
        "server",
        "server score = mean(positive) - mean(negative), eligible if < 1.1111 (PNA removed, unlike the server)",
        vec![ScoreDef {
            name: "eb_score".into(),
            rule: Rule::MeanDifference {
                minus: owned(&EB_NEG),
            },
            items: owned(&EB_POS),
            min_answered: 1,
            threshold: Some(crate::codebook::Threshold {
                column: "eb_eligible".into(),
                op: Comparison::Lt,
                value: 1.1111,
            }),
        }],
    ))
}

fn credibility(study: Study) -> ScaleDef {
    match study {
        // Stored 0,1,2,3,5 but displayed 1-5 (R34 cleaning issue 12): 5 stays 5, others + 1.
        Study::R34 => ScaleDef::new(
            "Credibility",
            &["logical", "important", "recommendable"],
            r(1.0, 5.0),
            &[],
        )
        .with_recode(&[(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (5.0, 5.0)]),
        Study::Templeton => ScaleDef::new(
            "Credibility",
            &["important", "confident_online", "confident_design"],
            r(0.0, 4.0),
            &[555.0],
        ),
        Study::CalmThinking => ScaleDef::new(
            "Credibility",
            &["important", "confident_online"],
            r(0.0, 4.0),
            &[555.0],
        ),
    }
}

fn dd(name: &str) -> ScaleDef {
    let counts: Vec<String> = DAYS.iter().map(|d| format!("{d}_count")).collect();
    let hours: Vec<String> = DAYS.iter().map(|d| format!("{d}_hours")).collect();
    let days: Vec<&str> = counts.iter().chain(&hours).map(String::as_str).collect();
    ScaleDef::new(name, &days, r(0.0, 100.0), &[555.0])
        .with_items(&["average_amount"], r(0.0, 25.0))
        .with_items(&["average_freq"], r(0.0, 11.0))
        .with_items(&["q1_noAns", "q2_noAns"], ValidValues::Text)
}

fn mental_health_history(name: &str, valid: ValidValues) -> ScaleDef {
    let past: Vec<String> = PROVIDERS.iter().map(|p| format!("{p}_past")).collect();
    let all: Vec<&str> = PROVIDERS
        .iter()
        .copied()
        .chain(past.iter().map(String::as_str))
        .collect();
    ScaleDef::new(name, &all, valid, &[555.0]).with_items(
        &[
            "disorders",
            "pastDisorders",
            "help",
            "pastHelp",
            "changeHelp",
            "noHelp_Reason",
        ],
        ValidValues::Text,
    )
}

fn text_scale(name: &str, items: &[&str]) -> ScaleDef {
    ScaleDef::new(name, items, ValidValues::Text, &[])
}

/// Build the codebook of `study`.
pub(crate) fn codebook(study: Study) -> Codebook {
    let scales = match study {
        Study::R34 => vec![
            // R34 forms posted 555 (r34_old) and the later module copy -1: both are PNA.
            oasis(&[555.0, -1.0], study),
            // One R34 user has -2, recoded to -1 by the cleaning: both are PNA.
            dass_as(&[-1.0, -2.0], study),
            dass_ds(),
            rr(r(0.0, 3.0), &[-1.0]),
            bbsiq(),
            qol(),
            credibility(study),
            ScaleDef::new("CC", &["related", "compare"], r(1.0, 5.0), &[]),
            ScaleDef::new("SUDS", &["anxiety"], r(0.0, 100.0), &[]),
            ScaleDef::new("ImpactAnxiousImagery", &["anxiety"], r(0.0, 100.0), &[-1.0])
                .with_items(&["vivid", "badly", "manageable"], r(1.0, 5.0)),
            dd("DD"),
            dd("DD_FU"),
            mental_health_history("MentalHealthHxTx", r(1.0, 7.0)),
            text_scale(
                "Demographic",
                &[
                    "gender",
                    "birthYear",
                    "race",
                    "ethnicity",
                    "residenceCountry",
                    "education",
                    "maritalStatus",
                    "employmentStatus",
                    "income",
                    "participateReason",
                ],
            ),
        ],
        Study::Templeton => vec![
            oasis(&[555.0], study),
            dass_as(&[555.0], study),
            credibility(study),
            ScaleDef::new(
                "Affect",
                &["posFeelings", "negFeelings"],
                r(0.0, 20.0),
                &[555.0],
            ),
            ScaleDef::new(
                "AxImagery",
                &["vividness", "turnOut", "manageable"],
                r(1.0, 5.0),
                &[555.0],
            )
            .with_items(&["axSituation"], ValidValues::Text),
            ScaleDef::new(
                "Relatability",
                &["relate", "behaving"],
                r(1.0, 5.0),
                &[555.0],
            ),
            ScaleDef::new(
                "WhatIBelieve",
                &[
                    "difficultTasks",
                    "performEffectively",
                    "compared",
                    "learn",
                    "particularThinking",
                    "alwaysChangeThinking",
                    "wrongWill",
                    "hardlyEver",
                ],
                r(0.0, 4.0),
                &[555.0],
            ),
            phq4(),
            expectancy_bias(),
            // 0 = provider not selected (the Java default), 1-7 helpfulness.
            mental_health_history("MentalHealthHistory", r(0.0, 7.0)),
            text_scale(
                "Demographics",
                &[
                    "genderId",
                    "birthYear",
                    "race",
                    "ethnicity",
                    "country",
                    "education",
                    "maritalStat",
                    "employmentStat",
                    "income",
                    "devices",
                    "ptpReason",
                    "ptpReasonOther",
                ],
            ),
            help_seeking(),
        ],
        Study::CalmThinking => vec![
            oasis(&[555.0], study),
            dass_as(&[555.0], study),
            rr(r(1.0, 4.0), &[555.0]),
            bbsiq_r01(),
            credibility(study),
            ScaleDef::new("Affect", &["pos_feelings"], r(0.0, 20.0), &[555.0]),
            ScaleDef::new(
                "Wellness",
                &[
                    "accomplish_tasks",
                    "always_change_thinking",
                    "do_most",
                    "hardly_ever",
                    "learn",
                    "particular_thinking",
                    "perform_multitask",
                    "satisfaction",
                    "wrong_will",
                ],
                r(0.0, 4.0),
                &[555.0],
            ),
            // coronavirus defaults to 999 when the item was not shown: treated as missing.
            ScaleDef::new(
                "AnxietyTriggers",
                &[
                    "social",
                    "sensations",
                    "worry",
                    "anxiousFear",
                    "particularObject",
                    "thoughts",
                    "priorTrauma",
                    "coronavirus",
                ],
                r(1.0, 5.0),
                &[555.0, 999.0],
            )
            .with_items(&["howLong"], ValidValues::Text),
            ScaleDef::new(
                "Comorbid",
                &["pleasure", "depressed"],
                r(1.0, 4.0),
                &[555.0],
            )
            .with_items(&["howOften", "numberOfDrinks", "sixOrMore"], r(0.0, 4.0)),
            mental_health_history("MentalHealthHistory", r(0.0, 7.0)),
            text_scale(
                "Demographics",
                &[
                    "genderId",
                    "birthYear",
                    "race",
                    "ethnicity",
                    "country",
                    "education",
                    "maritalStat",
                    "employmentStat",
                    "income",
                    "devices",
                    "ptpReason",
                    "ptpReasonOther",
                ],
            ),
            help_seeking(),
        ],
    };
    Codebook {
        study: study.name().to_owned(),
        scales,
    }
}

/// BBSIQ in Calm Thinking: the R01 analyses used the negative and benign means first.
fn bbsiq_r01() -> ScaleDef {
    let mut scale = bbsiq();
    scale.variants.swap(0, 1);
    scale
}

fn help_seeking() -> ScaleDef {
    text_scale(
        "HelpSeeking",
        &[
            "morePerson",
            "lessPerson",
            "moreMeds",
            "lessMeds",
            "moreApps",
            "lessApps",
            "otherChange",
            "noChange",
            "other",
            "changeInHelp_noAns",
        ],
    )
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
}
