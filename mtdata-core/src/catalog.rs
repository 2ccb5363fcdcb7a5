//! The questionnaire catalogue: for each study, every questionnaire table with its items, their
//! valid values, the "prefer not to answer" (PNA) codes and the recode of stored values
//! (reference mindtrails.md §4).
//!
//! It is plain data, written once, so the copies cannot drift apart: `mtdata-scales` builds its
//! codebooks from it and adds the scoring rules, `mtdata-report` derives the ranges it flags, and
//! the synthetic study of `mtdata-sim` draws its answers from it. It lives here because core
//! is the one crate all three may depend on without pulling in polars.
//!
//! ```
//! use mtdata_core::catalog::{self, Study, Values};
//!
//! let oa = catalog::scale(Study::Templeton, "oa").unwrap();
//! assert_eq!(oa.items().count(), 5);
//! assert_eq!(oa.pna, [555.0]);
//! // R34 stored Credibility as 0, 1, 2, 3, 5 and displayed 1-5: the valid values are the
//! // meanings, the stored values reach down to 0.
//! let credibility = catalog::scale(Study::R34, "Credibility").unwrap();
//! let group = &credibility.groups[0];
//! assert_eq!(group.values, Values::Range { min: 1.0, max: 5.0 });
//! assert_eq!(credibility.stored_bounds(group), Some((0.0, 5.0)));
//! ```

use std::fmt;

/// The studies with a catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Study {
    /// Managing Anxiety (R34, 2015–2019, "PIServer").
    R34,
    /// Templeton / FutureThinking.
    Templeton,
    /// Calm Thinking (R01) and TET, which share the R01 forms.
    CalmThinking,
}

impl Study {
    /// Every study.
    pub const ALL: [Study; 3] = [Study::R34, Study::Templeton, Study::CalmThinking];

    /// The name used on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Study::R34 => "r34",
            Study::Templeton => "templeton",
            Study::CalmThinking => "calm-thinking",
        }
    }

    /// Parse `r34`, `templeton`, `calm-thinking` (also `r01`, `tet`, `calm`), case-insensitively.
    pub fn parse(text: &str) -> Option<Study> {
        match text.to_ascii_lowercase().replace('_', "-").as_str() {
            "r34" | "managing-anxiety" => Some(Study::R34),
            "templeton" | "future-thinking" | "futurethinking" => Some(Study::Templeton),
            "calm-thinking" | "calmthinking" | "calm" | "r01" | "tet" => Some(Study::CalmThinking),
            _ => None,
        }
    }

    /// Guess the study from an MTData server block name (`mindtrails` was the R34 server).
    pub fn guess_from_server_name(server: &str) -> Option<Study> {
        let lower = server.to_ascii_lowercase();
        if lower.contains("templeton") {
            Some(Study::Templeton)
        } else if lower.contains("r34") || lower == "mindtrails" {
            Some(Study::R34)
        } else if ["calm", "tet", "r01", "mobile"]
            .iter()
            .any(|k| lower.contains(k))
        {
            Some(Study::CalmThinking)
        } else {
            None
        }
    }
}

impl fmt::Display for Study {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which values an item may take besides the PNA codes (after recoding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values {
    /// Numbers from `min` to `max` inclusive.
    Range { min: f64, max: f64 },
    /// `true` or `false`: checked, not scored.
    Boolean,
    /// Free text or options: not checked, not scored.
    Text,
}

/// Items of one scale that share their valid values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemGroup {
    /// JSON names as exported (the MySQL dumps lower-case some, e.g. RR `_ns`).
    pub items: &'static [&'static str],
    pub values: Values,
    /// Codes that mean "not asked" for these items only, on top of the scale's PNA codes
    /// (AnxietyTriggers `coronavirus` defaults to 999 when the item was not shown).
    pub extra_pna: &'static [f64],
}

impl ItemGroup {
    /// Numeric items valid from `min` to `max`.
    pub const fn range(items: &'static [&'static str], min: f64, max: f64) -> Self {
        ItemGroup {
            items,
            values: Values::Range { min, max },
            extra_pna: &[],
        }
    }

    /// Free-text or option items.
    pub const fn text(items: &'static [&'static str]) -> Self {
        ItemGroup {
            items,
            values: Values::Text,
            extra_pna: &[],
        }
    }

    /// Boolean items (`true`/`false`).
    pub const fn boolean(items: &'static [&'static str]) -> Self {
        ItemGroup {
            items,
            values: Values::Boolean,
            extra_pna: &[],
        }
    }

    /// The same items with their own extra PNA codes.
    pub const fn with_extra_pna(self, extra_pna: &'static [f64]) -> Self {
        ItemGroup { extra_pna, ..self }
    }

    /// Whether the items are numbers (checked and scored).
    pub fn is_numeric(&self) -> bool {
        matches!(self.values, Values::Range { .. })
    }
}

/// One questionnaire (one exported table) of one study.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Table (entity) name, e.g. `OA`, `DASS21_AS`.
    pub table: &'static str,
    /// Other names the same table has had (R34's `Impact`, the mobile module's `DASS21AS`).
    pub aliases: &'static [&'static str],
    /// Every item, in form order, grouped by valid values.
    pub groups: &'static [ItemGroup],
    /// "Prefer not to answer" (and "not asked") codes of every item: not answers, not errors.
    pub pna: &'static [f64],
    /// Stored value → meaning (R34 Credibility). When there is one, a stored number it does
    /// not list is invalid.
    pub recode: &'static [(f64, f64)],
}

impl Scale {
    const fn new(table: &'static str, groups: &'static [ItemGroup], pna: &'static [f64]) -> Self {
        Scale {
            table,
            aliases: &[],
            groups,
            pna,
            recode: &[],
        }
    }

    const fn with_aliases(self, aliases: &'static [&'static str]) -> Self {
        Scale { aliases, ..self }
    }

    const fn with_recode(self, recode: &'static [(f64, f64)]) -> Self {
        Scale { recode, ..self }
    }

    /// Every item name, in form order.
    pub fn items(&self) -> impl Iterator<Item = &'static str> + use<> {
        let groups = self.groups;
        groups.iter().flat_map(|g| g.items.iter().copied())
    }

    /// The group of item `name` (case-insensitive: dumps lower-case some names).
    pub fn group_of(&self, name: &str) -> Option<&'static ItemGroup> {
        let groups = self.groups;
        groups
            .iter()
            .find(|g| g.items.iter().any(|i| i.eq_ignore_ascii_case(name)))
    }

    /// Every PNA code of the scale: its own, then each group's extra codes, once each.
    pub fn all_pna(&self) -> Vec<f64> {
        let mut codes = self.pna.to_vec();
        for group in self.groups {
            push_new(&mut codes, group.extra_pna);
        }
        codes
    }

    /// The PNA codes of the items of `group`.
    pub fn pna_of(&self, group: &ItemGroup) -> Vec<f64> {
        let mut codes = self.pna.to_vec();
        push_new(&mut codes, group.extra_pna);
        codes
    }

    /// Smallest and largest value a numeric item of `group` may have as stored, before the
    /// recode (`None` for text): R34 Credibility means 1–5 but stores 0–3 and 5.
    pub fn stored_bounds(&self, group: &ItemGroup) -> Option<(f64, f64)> {
        let Values::Range { min, max } = group.values else {
            return None;
        };
        if self.recode.is_empty() {
            return Some((min, max));
        }
        let valid_stored = self
            .recode
            .iter()
            .filter(|(_, meaning)| (min..=max).contains(meaning))
            .map(|(stored, _)| *stored);
        valid_stored.fold(None, |bounds, v| match bounds {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
    }
}

fn push_new(codes: &mut Vec<f64>, more: &[f64]) {
    for code in more {
        if !codes.contains(code) {
            codes.push(*code);
        }
    }
}

/// The scales of `study`, in the order the codebooks list them.
pub fn scales(study: Study) -> &'static [Scale] {
    match study {
        Study::R34 => R34,
        Study::Templeton => TEMPLETON,
        Study::CalmThinking => CALM_THINKING,
    }
}

/// The scale of `study` for `table` (case-insensitive; aliases too).
pub fn scale(study: Study, table: &str) -> Option<&'static Scale> {
    scales(study).iter().find(|s| {
        s.table.eq_ignore_ascii_case(table)
            || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(table))
    })
}

/// OASIS (`OA`).
pub const OASIS_ITEMS: &[&str] = &[
    "anxious_freq",
    "anxious_sev",
    "avoid",
    "interfere",
    "interfere_social",
];

/// DASS-21 anxiety subscale (`DASS21_AS`).
pub const DASS21_AS_ITEMS: &[&str] = &[
    "breathing",
    "dryness",
    "heart",
    "panic",
    "scared",
    "trembling",
    "worry",
];

/// DASS-21 depression subscale (`DASS21_DS`, R34 only).
pub const DASS21_DS_ITEMS: &[&str] = &[
    "blue",
    "difficult",
    "hopeless",
    "meaningless",
    "noenthusiastic",
    "nopositive",
    "noworth",
];

/// The nine RR scenarios; each has four items `<scenario>_{NS,NF,PS,PF}`.
pub const RR_SCENARIOS: &[&str] = &[
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

/// RR item kinds: negative threat, negative foil, positive threat, positive foil.
pub const RR_KINDS: &[&str] = &["NS", "NF", "PS", "PF"];

/// The 36 RR items, scenario by scenario.
pub const RR_ITEMS: &[&str] = &[
    "blood_test_NS",
    "blood_test_NF",
    "blood_test_PS",
    "blood_test_PF",
    "elevator_NS",
    "elevator_NF",
    "elevator_PS",
    "elevator_PF",
    "job_NS",
    "job_NF",
    "job_PS",
    "job_PF",
    "lunch_NS",
    "lunch_NF",
    "lunch_PS",
    "lunch_PF",
    "meeting_friend_NS",
    "meeting_friend_NF",
    "meeting_friend_PS",
    "meeting_friend_PF",
    "noise_NS",
    "noise_NF",
    "noise_PS",
    "noise_PF",
    "scrape_NS",
    "scrape_NF",
    "scrape_PS",
    "scrape_PF",
    "shopping_NS",
    "shopping_NF",
    "shopping_PS",
    "shopping_PF",
    "wedding_NS",
    "wedding_NF",
    "wedding_PS",
    "wedding_PF",
];

/// BBSIQ negative internal (physical) interpretations.
pub const BBSIQ_NEGATIVE_INTERNAL: &[&str] = &[
    "breath_suffocate",
    "vision_illness",
    "lightheaded_faint",
    "chest_heart",
    "heart_wrong",
    "confused_outofmind",
    "dizzy_ill",
];

/// BBSIQ negative external (social) interpretations.
pub const BBSIQ_NEGATIVE_EXTERNAL: &[&str] = &[
    "visitors_bored",
    "shop_irritating",
    "smoke_house",
    "friend_incompetent",
    "jolt_burglar",
    "party_boring",
    "urgent_died",
];

/// BBSIQ benign internal interpretations.
pub const BBSIQ_BENIGN_INTERNAL: &[&str] = &[
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

/// BBSIQ benign external interpretations.
pub const BBSIQ_BENIGN_EXTERNAL: &[&str] = &[
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

/// Quality of life (`QOL`, R34).
pub const QOL_ITEMS: &[&str] = &[
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

/// PHQ-4 (`Phq4`, Templeton).
pub const PHQ4_ITEMS: &[&str] = &["nervous", "worry", "pleasure", "depressed"];

/// ExpectancyBias positive outcomes.
pub const EXPECTANCY_BIAS_POSITIVE: &[&str] = &[
    "shortRest",
    "settleIn",
    "consideredAdvancement",
    "financiallySecure",
];

/// ExpectancyBias negative outcomes.
pub const EXPECTANCY_BIAS_NEGATIVE: &[&str] = &["verySick", "offend", "stuck", "ruining"];

/// ExpectancyBias neutral outcomes.
pub const EXPECTANCY_BIAS_NEUTRAL: &[&str] = &["reruns", "bagel", "lunch", "thermostat"];

/// Mental health providers rated now (MentalHealthHistory, MentalHealthHxTx).
pub const PROVIDERS: &[&str] = &[
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

/// The same providers rated for the past.
pub const PROVIDERS_PAST: &[&str] = &[
    "psychiatrist_past",
    "psychologist_past",
    "school_counselor_past",
    "lmhc_past",
    "general_practitioner_past",
    "teacher_past",
    "family_past",
    "friend_past",
    "religious_leader_past",
    "coach_past",
    "book_past",
    "medicine_past",
    "online_past",
    "app_past",
    "support_group_past",
    "other_past",
];

const MENTAL_HEALTH_LISTS: &[&str] = &[
    "disorders",
    "pastDisorders",
    "help",
    "pastHelp",
    "changeHelp",
    "noHelp_Reason",
];

const DD_COUNTS: &[&str] = &[
    "monday_count",
    "tuesday_count",
    "wednesday_count",
    "thursday_count",
    "friday_count",
    "saturday_count",
    "sunday_count",
];

const DD_HOURS: &[&str] = &[
    "monday_hours",
    "tuesday_hours",
    "wednesday_hours",
    "thursday_hours",
    "friday_hours",
    "saturday_hours",
    "sunday_hours",
];

const DD_GROUPS: &[ItemGroup] = &[
    ItemGroup::range(DD_COUNTS, 0.0, 100.0),
    ItemGroup::range(DD_HOURS, 0.0, 100.0),
    ItemGroup::range(&["average_amount"], 0.0, 25.0),
    ItemGroup::range(&["average_freq"], 0.0, 11.0),
    ItemGroup::text(&["q1_noAns", "q2_noAns"]),
];

const BBSIQ_GROUPS: &[ItemGroup] = &[
    ItemGroup::range(BBSIQ_NEGATIVE_INTERNAL, 0.0, 4.0),
    ItemGroup::range(BBSIQ_NEGATIVE_EXTERNAL, 0.0, 4.0),
    ItemGroup::range(BBSIQ_BENIGN_INTERNAL, 0.0, 4.0),
    ItemGroup::range(BBSIQ_BENIGN_EXTERNAL, 0.0, 4.0),
];

/// BBSIQ: the same in R34 and R01.
const BBSIQ: Scale = Scale::new("BBSIQ", BBSIQ_GROUPS, &[555.0]);

/// MentalHealthHistory (Templeton, R01): 0 = provider not selected (the Java default), 1–7
/// helpfulness.
const MENTAL_HEALTH_HISTORY: Scale = Scale::new(
    "MentalHealthHistory",
    &[
        ItemGroup::range(PROVIDERS, 0.0, 7.0),
        ItemGroup::range(PROVIDERS_PAST, 0.0, 7.0),
        ItemGroup::text(MENTAL_HEALTH_LISTS),
    ],
    &[555.0],
);

/// Demographics of Templeton and R01.
const DEMOGRAPHICS: Scale = Scale::new(
    "Demographics",
    &[ItemGroup::text(&[
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
    ])],
    &[],
);

// The change items are booleans, `other` is text; `changeInHelp_noAns` is 0, or 555 when the
// participant preferred not to answer (§4.2).
const HELP_SEEKING: Scale = Scale::new(
    "HelpSeeking",
    &[
        ItemGroup::boolean(&[
            "morePerson",
            "lessPerson",
            "moreMeds",
            "lessMeds",
            "moreApps",
            "lessApps",
            "otherChange",
            "noChange",
        ]),
        ItemGroup::text(&["other"]),
        ItemGroup::range(&["changeInHelp_noAns"], 0.0, 0.0),
    ],
    &[555.0],
);

const R34: &[Scale] = &[
    // R34 forms posted 555 (r34_old) and the later module copy -1: both are PNA.
    Scale::new(
        "OA",
        &[ItemGroup::range(OASIS_ITEMS, 0.0, 4.0)],
        &[555.0, -1.0],
    ),
    // One R34 user has -2, which the cleaning recodes to -1: both are PNA.
    Scale::new(
        "DASS21_AS",
        &[ItemGroup::range(DASS21_AS_ITEMS, 0.0, 3.0)],
        &[-1.0, -2.0],
    ),
    Scale::new(
        "DASS21_DS",
        &[ItemGroup::range(DASS21_DS_ITEMS, 0.0, 3.0)],
        &[-1.0],
    ),
    Scale::new("RR", &[ItemGroup::range(RR_ITEMS, 0.0, 3.0)], &[-1.0]),
    BBSIQ,
    Scale::new("QOL", &[ItemGroup::range(QOL_ITEMS, 1.0, 5.0)], &[555.0]),
    // Stored 0,1,2,3,5 but displayed 1-5 (R34 cleaning issue 12): 5 stays 5, others + 1.
    Scale::new(
        "Credibility",
        &[ItemGroup::range(
            &["logical", "important", "recommendable"],
            1.0,
            5.0,
        )],
        &[],
    )
    .with_recode(&[(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (5.0, 5.0)]),
    Scale::new(
        "CC",
        &[ItemGroup::range(&["related", "compare"], 1.0, 5.0)],
        &[],
    ),
    Scale::new("SUDS", &[ItemGroup::range(&["anxiety"], 0.0, 100.0)], &[]),
    Scale::new(
        "ImpactAnxiousImagery",
        &[
            ItemGroup::range(&["anxiety"], 0.0, 100.0),
            ItemGroup::range(&["vivid", "badly", "manageable"], 1.0, 5.0),
        ],
        &[-1.0],
    )
    .with_aliases(&["Impact"]),
    Scale::new("DD", DD_GROUPS, &[555.0]),
    Scale::new("DD_FU", DD_GROUPS, &[555.0]),
    // The ranges are MTData's (reference §4: "1–7 + 555 per MTData").
    Scale::new(
        "MentalHealthHxTx",
        &[
            ItemGroup::range(PROVIDERS, 1.0, 7.0),
            ItemGroup::range(PROVIDERS_PAST, 1.0, 7.0),
            ItemGroup::text(MENTAL_HEALTH_LISTS),
        ],
        &[555.0],
    ),
    Scale::new(
        "Demographic",
        &[ItemGroup::text(&[
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
        ])],
        &[],
    ),
];

const TEMPLETON: &[Scale] = &[
    Scale::new("OA", &[ItemGroup::range(OASIS_ITEMS, 0.0, 4.0)], &[555.0]),
    Scale::new(
        "DASS21_AS",
        &[ItemGroup::range(DASS21_AS_ITEMS, 0.0, 3.0)],
        &[555.0],
    ),
    Scale::new(
        "Credibility",
        &[ItemGroup::range(
            &["important", "confident_online", "confident_design"],
            0.0,
            4.0,
        )],
        &[555.0],
    ),
    Scale::new(
        "Affect",
        &[ItemGroup::range(&["posFeelings", "negFeelings"], 0.0, 20.0)],
        &[555.0],
    ),
    // The reference found no template for AxImagery: 1-5 follows the other imagery ratings.
    Scale::new(
        "AxImagery",
        &[
            ItemGroup::range(&["vividness", "turnOut", "manageable"], 1.0, 5.0),
            ItemGroup::text(&["axSituation"]),
        ],
        &[555.0],
    ),
    Scale::new(
        "Relatability",
        &[ItemGroup::range(&["relate", "behaving"], 1.0, 5.0)],
        &[555.0],
    ),
    Scale::new(
        "WhatIBelieve",
        &[ItemGroup::range(
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
            0.0,
            4.0,
        )],
        &[555.0],
    ),
    // The Templeton Phq4 form has no "prefer not to answer" (reference §4.2).
    Scale::new("Phq4", &[ItemGroup::range(PHQ4_ITEMS, 0.0, 3.0)], &[]),
    // The form posts 555 while the server's NO_ANSWER is -1: both are PNA.
    Scale::new(
        "ExpectancyBias",
        &[
            ItemGroup::range(EXPECTANCY_BIAS_POSITIVE, 1.0, 7.0),
            ItemGroup::range(EXPECTANCY_BIAS_NEGATIVE, 1.0, 7.0),
            ItemGroup::range(EXPECTANCY_BIAS_NEUTRAL, 1.0, 7.0),
        ],
        &[555.0, -1.0],
    ),
    MENTAL_HEALTH_HISTORY,
    DEMOGRAPHICS,
    HELP_SEEKING,
];

const CALM_THINKING: &[Scale] = &[
    Scale::new("OA", &[ItemGroup::range(OASIS_ITEMS, 0.0, 4.0)], &[555.0]),
    // The mobile module names the table DASS21AS.
    Scale::new(
        "DASS21_AS",
        &[ItemGroup::range(DASS21_AS_ITEMS, 0.0, 3.0)],
        &[555.0],
    )
    .with_aliases(&["DASS21AS"]),
    Scale::new("RR", &[ItemGroup::range(RR_ITEMS, 1.0, 4.0)], &[555.0]),
    BBSIQ,
    Scale::new(
        "Credibility",
        &[ItemGroup::range(
            &["important", "confident_online"],
            0.0,
            4.0,
        )],
        &[555.0],
    ),
    Scale::new(
        "Affect",
        &[ItemGroup::range(&["pos_feelings"], 0.0, 20.0)],
        &[555.0],
    ),
    Scale::new(
        "Wellness",
        &[ItemGroup::range(
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
            0.0,
            4.0,
        )],
        &[555.0],
    ),
    Scale::new(
        "AnxietyTriggers",
        &[
            ItemGroup::range(
                &[
                    "social",
                    "sensations",
                    "worry",
                    "anxiousFear",
                    "particularObject",
                    "thoughts",
                    "priorTrauma",
                ],
                1.0,
                5.0,
            ),
            ItemGroup::range(&["coronavirus"], 1.0, 5.0).with_extra_pna(&[999.0]),
            ItemGroup::text(&["howLong"]),
        ],
        &[555.0],
    ),
    Scale::new(
        "Comorbid",
        &[
            ItemGroup::range(&["pleasure", "depressed"], 1.0, 4.0),
            ItemGroup::range(&["howOften", "numberOfDrinks", "sixOrMore"], 0.0, 4.0),
        ],
        &[555.0],
    ),
    MENTAL_HEALTH_HISTORY,
    DEMOGRAPHICS,
    HELP_SEEKING,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn study_names_round_trip() {
        for study in Study::ALL {
            assert_eq!(Study::parse(study.name()), Some(study));
            assert_eq!(study.to_string(), study.name());
        }
        assert_eq!(Study::parse("TET"), Some(Study::CalmThinking));
        assert_eq!(Study::parse("nope"), None);
        assert_eq!(
            Study::guess_from_server_name("mindtrails"),
            Some(Study::R34)
        );
    }

    #[test]
    fn every_scale_is_well_formed() {
        for study in Study::ALL {
            let scales = scales(study);
            for (i, scale) in scales.iter().enumerate() {
                let here = format!("{study} {}", scale.table);
                let names: Vec<&str> = scales[..i]
                    .iter()
                    .flat_map(|s| std::iter::once(s.table).chain(s.aliases.iter().copied()))
                    .collect();
                for name in std::iter::once(scale.table).chain(scale.aliases.iter().copied()) {
                    assert!(
                        !names.iter().any(|n| n.eq_ignore_ascii_case(name)),
                        "{here}: table {name} twice"
                    );
                }
                let items: Vec<&str> = scale.items().collect();
                assert!(!items.is_empty(), "{here}: no items");
                for (j, item) in items.iter().enumerate() {
                    assert!(
                        !items[..j].iter().any(|o| o.eq_ignore_ascii_case(item)),
                        "{here}: item {item} twice"
                    );
                }
                for group in scale.groups {
                    assert!(!group.items.is_empty(), "{here}: empty group");
                    if let Values::Range { min, max } = group.values {
                        assert!(min <= max, "{here}: min above max");
                        for code in scale.pna_of(group) {
                            assert!(!(min..=max).contains(&code), "{here}: PNA {code} is valid");
                        }
                    } else {
                        assert!(group.extra_pna.is_empty(), "{here}: PNA on text");
                    }
                }
            }
        }
    }

    #[test]
    fn reference_item_counts() {
        let count = |study, table| scale(study, table).unwrap().items().count();
        assert_eq!(count(Study::R34, "BBSIQ"), 42);
        assert_eq!(count(Study::R34, "rr"), 36);
        assert_eq!(count(Study::CalmThinking, "RR"), 36);
        assert_eq!(count(Study::R34, "QOL"), 16);
        assert_eq!(count(Study::Templeton, "ExpectancyBias"), 12);
        assert_eq!(count(Study::Templeton, "MentalHealthHistory"), 38);
        let kinds: Vec<String> = RR_SCENARIOS
            .iter()
            .flat_map(|s| RR_KINDS.iter().map(move |k| format!("{s}_{k}")))
            .collect();
        assert_eq!(kinds, RR_ITEMS);
    }

    #[test]
    fn pna_of_a_group_adds_its_own_codes() {
        let triggers = scale(Study::CalmThinking, "AnxietyTriggers").unwrap();
        let social = triggers.group_of("SOCIAL").unwrap();
        let corona = triggers.group_of("coronavirus").unwrap();
        assert_eq!(triggers.pna_of(social), [555.0]);
        assert_eq!(triggers.pna_of(corona), [555.0, 999.0]);
        assert_eq!(triggers.all_pna(), [555.0, 999.0]);
        assert_eq!(
            triggers.stored_bounds(triggers.group_of("howLong").unwrap()),
            None
        );
        assert_eq!(
            scale(Study::R34, "impact").map(|s| s.table),
            Some("ImpactAnxiousImagery")
        );
    }
}
