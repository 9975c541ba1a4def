//! Plan-quality checks as data. Each check has a stable id ([`QUALITY_CHECKS`]) and gives
//! [`QualityWarning`]s that say why the problem matters and how to fix it. Warnings never
//! block saving a plan; [`check_plan`] runs every check on a whole plan.
//!
//! The wording checks are deliberately simple heuristics over words (case-insensitive, on
//! word boundaries), with their word lists as data below: they prompt, they do not judge.

use serde::{Deserialize, Serialize};
use time::Date;

use super::dates::{PolicyBasis, ReviewPolicy, policy_limit};
use super::target::{TargetDraft, TargetOutcome};
use crate::calendar::SchoolCalendar;

/// A problem with a plan's quality: shown as a warning, never an error. It holds codes and
/// values only; the message catalogue (`senco_i18n`) says it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct QualityWarning {
    /// The stable snake_case id of the check ([`QUALITY_CHECKS`]).
    pub check: &'static str,
    /// The field it is about, such as `targets[1].success_criteria`; `None` for the plan as
    /// a whole.
    pub field: Option<String>,
    /// What exactly was found.
    pub detail: QualityDetail,
}

/// What a quality warning found, as values for its message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QualityDetail {
    /// A vague phrase in what the adults will do (strategies, provision).
    VagueProvision { phrase: String },
    /// A vague phrase in what the pupil will do (a target, its success criteria).
    VagueOutcome { phrase: String },
    /// Success criteria with no number, score or date.
    SuccessNotMeasurable,
    /// Provision that does not say how often or for how long.
    ProvisionWithoutFrequency,
    /// A plan with other than three or four targets.
    TargetCount { n: usize },
    /// A target not achieved at the last two reviews.
    CarriedForwardUnmet,
    /// A review date later than the school's policy allows: review by `latest`.
    AfterPolicy { latest: Date, basis: PolicyBasis },
}

/// One plan-quality check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QualityCheck {
    /// Stable snake_case id: the `check` of its warnings.
    pub id: &'static str,
    pub name: &'static str,
    /// Why it matters.
    pub why: &'static str,
}

pub const VAGUE_WORDING: &str = "vague_wording";
pub const SUCCESS_CRITERIA_NOT_MEASURABLE: &str = "success_criteria_not_measurable";
pub const PROVISION_WITHOUT_FREQUENCY: &str = "provision_without_frequency";
pub const REVIEW_AFTER_POLICY: &str = "review_after_policy";
pub const CARRIED_FORWARD_UNMET: &str = "carried_forward_unmet";
pub const TARGET_COUNT: &str = "target_count";

/// Every plan-quality check.
pub const QUALITY_CHECKS: &[QualityCheck] = &[
    QualityCheck {
        id: VAGUE_WORDING,
        name: "Vague wording",
        why: "Words such as \"regularly\" or \"support with\" without a quantity leave staff \
              unsure what to do and make it impossible to check at review",
    },
    QualityCheck {
        id: SUCCESS_CRITERIA_NOT_MEASURABLE,
        name: "Success criteria that cannot be measured",
        why: "Without a number, a score or a date, the review cannot tell whether the target \
              was met",
    },
    QualityCheck {
        id: PROVISION_WITHOUT_FREQUENCY,
        name: "Provision without frequency or duration",
        why: "Without how often and for how long, no one can check that the pupil received \
              the provision",
    },
    QualityCheck {
        id: REVIEW_AFTER_POLICY,
        name: "Review later than the school's policy",
        why: "The school reviews plans more often than the legal limit so that a plan that is \
              not working is changed in time",
    },
    QualityCheck {
        id: CARRIED_FORWARD_UNMET,
        name: "Target not achieved at two reviews in a row",
        why: "A target missed twice suggests the pupil needs specialist advice or more support, \
              not the same plan again",
    },
    QualityCheck {
        id: TARGET_COUNT,
        name: "Number of targets",
        why: "Three or four key targets keep a plan focused and possible to deliver and review",
    },
];

// ---------------------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------------------

/// Vague phrases, acceptable only when the same sentence has a quantity ([`has_quantity`]).
pub const VAGUE_PHRASES: &[&str] = &[
    "regular",
    "regularly",
    "access to",
    "as appropriate",
    "support with",
    "as needed",
    "where possible",
    "when necessary",
    "as required",
    "ongoing",
    "some",
    "improve",
    "improves",
    "improved",
    "improving",
    "improvement",
];

/// Numbers written as words, and other counts.
pub const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "half",
    "quarter",
    "once",
    "twice",
    "percent",
];

/// Units and frequencies that make a quantity even without a number.
pub const UNIT_WORDS: &[&str] = &[
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "hr",
    "hrs",
    "sessions",
    "days",
    "weeks",
    "terms",
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "termly",
    "per",
];

/// Phrases that make a quantity or frequency.
pub const QUANTITY_PHRASES: &[&str] = &[
    "times a",
    "times per",
    "times each",
    "times every",
    "a day",
    "a week",
    "a fortnight",
    "a month",
    "a term",
    "each day",
    "each week",
    "each lesson",
    "every day",
    "every week",
    "every lesson",
    "out of",
];

/// Words that say how often provision happens, besides numbers and [`UNIT_WORDS`].
pub const FREQUENCY_WORDS: &[&str] = &[
    "times",
    "every",
    "each",
    "throughout",
    "always",
    "monday",
    "mondays",
    "tuesday",
    "tuesdays",
    "wednesday",
    "wednesdays",
    "thursday",
    "thursdays",
    "friday",
    "fridays",
];

/// Verbs that describe something a pupil can be seen to do.
pub const MEASURABLE_VERBS: &[&str] = &[
    "will read",
    "will write",
    "will name",
    "will count",
    "will spell",
    "will say",
    "will recall",
    "will identify",
    "will recognise",
    "will answer",
    "will complete",
    "will use",
    "will follow",
    "will match",
    "will sort",
    "will add",
    "will subtract",
    "will attend",
    "will sit",
    "will stay",
    "will ask",
    "will take turns",
    "will join",
    "will copy",
    "will form",
    "will sound out",
    "will blend",
];

/// Words that, with a measurable verb, make a criterion countable ("will name all the
/// colours").
pub const QUANTIFIERS: &[&str] = &[
    "all",
    "every",
    "each",
    "both",
    "independently",
    "unaided",
    "without help",
    "without prompting",
    "without support",
    "without adult",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Words after "by" that make a date: "by the end of term", "by Christmas", "by half term".
const DATE_WORDS: &[&str] = &[
    "end",
    "christmas",
    "easter",
    "half",
    "summer",
    "autumn",
    "spring",
    "next",
    "review",
];

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/// The lowercased words of `s`: runs of letters and digits.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `phrase` (words separated by spaces) occurs in `words` at `at`.
fn phrase_at(words: &[String], at: usize, phrase: &str) -> bool {
    let mut n = 0;
    for (i, p) in phrase.split(' ').enumerate() {
        match words.get(at + i) {
            Some(w) if w == p => n += 1,
            _ => return false,
        }
    }
    n > 0
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    (0..words.len()).any(|at| phrase_at(words, at, phrase))
}

fn contains_any(words: &[String], list: &[&str]) -> bool {
    list.iter().any(|p| contains_phrase(words, p))
}

/// The sentences of `text`: split at line breaks, "!" and "?", and at "." followed by a
/// space and a capital letter (or the end), so "2.5", "e.g. twenty" and "1:1" stay whole.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let ends = match c {
            '\n' | '!' | '?' => true,
            '.' => {
                let rest = &text[i + c.len_utf8()..];
                let next = rest.trim_start();
                next.is_empty()
                    || (next.len() < rest.len()
                        && next.chars().next().is_some_and(char::is_uppercase))
            }
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn has_digit_or_percent(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit() || c == '%')
}

/// Whether `text` has a quantity: a digit, "%", a number word ("three", "twice"), a unit
/// ("minutes", "sessions", "weeks", "daily") or a phrase such as "times a week".
pub fn has_quantity(text: &str) -> bool {
    if has_digit_or_percent(text) {
        return true;
    }
    let w = words(text);
    contains_any(&w, NUMBER_WORDS)
        || contains_any(&w, UNIT_WORDS)
        || contains_any(&w, QUANTITY_PHRASES)
}

/// The first vague phrase ([`VAGUE_PHRASES`]) of `text` in a sentence with no quantity
/// ([`has_quantity`]), as listed (lowercase).
pub fn find_vague_phrase(text: &str) -> Option<&'static str> {
    for sentence in sentences(text) {
        if has_quantity(sentence) {
            continue;
        }
        let w = words(sentence);
        for at in 0..w.len() {
            if let Some(p) = VAGUE_PHRASES.iter().find(|p| phrase_at(&w, at, p)) {
                return Some(p);
            }
        }
    }
    None
}

/// "by" followed by a date: a number, a month, or words such as "the end of term".
fn has_by_date(w: &[String]) -> bool {
    w.iter().enumerate().any(|(i, word)| {
        if word != "by" {
            return false;
        }
        let mut next = w.get(i + 1);
        if next.is_some_and(|n| n == "the") {
            next = w.get(i + 2);
        }
        next.is_some_and(|n| {
            n.chars().all(|c| c.is_ascii_digit())
                || MONTHS.contains(&n.as_str())
                || DATE_WORDS.contains(&n.as_str())
        })
    })
}

/// Whether a success criterion can be measured: it has a number, a percentage or a count
/// (digits or [`NUMBER_WORDS`]), "out of", or "by" and a date; or a measurable verb
/// ([`MEASURABLE_VERBS`], "will read") with a quantity or unit or a word such as "all"
/// ([`QUANTIFIERS`]).
pub fn is_measurable(text: &str) -> bool {
    if has_digit_or_percent(text) {
        return true;
    }
    let w = words(text);
    if contains_any(&w, NUMBER_WORDS) || contains_phrase(&w, "out of") || has_by_date(&w) {
        return true;
    }
    contains_any(&w, MEASURABLE_VERBS) && (has_quantity(text) || contains_any(&w, QUANTIFIERS))
}

/// Whether a provision's "how often" says how often or for how long: a number, a unit
/// ("minutes", "per week", "daily"), or a frequency word ("every", "times", "Mondays").
pub fn has_frequency(how_often: &str) -> bool {
    has_quantity(how_often) || contains_any(&words(how_often), FREQUENCY_WORDS)
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

fn vague_in_provision(field: String, text: &str) -> Option<QualityWarning> {
    find_vague_phrase(text).map(|phrase| QualityWarning {
        check: VAGUE_WORDING,
        field: Some(field),
        detail: QualityDetail::VagueProvision {
            phrase: phrase.to_string(),
        },
    })
}

fn vague_in_outcome(field: String, text: &str) -> Option<QualityWarning> {
    find_vague_phrase(text).map(|phrase| QualityWarning {
        check: VAGUE_WORDING,
        field: Some(field),
        detail: QualityDetail::VagueOutcome {
            phrase: phrase.to_string(),
        },
    })
}

/// A warning unless the plan has three or four targets, the norm (REFERENCE.md §1.5).
pub fn target_count_warning(n: usize) -> Option<QualityWarning> {
    if matches!(n, 3 | 4) {
        return None;
    }
    Some(QualityWarning {
        check: TARGET_COUNT,
        field: Some("targets".to_owned()),
        detail: QualityDetail::TargetCount { n },
    })
}

/// A warning when a target carried forward was not achieved at the last two reviews in a
/// row. `history` is the target's outcome at each review, most recent last; only the last
/// two count, so a target that has since been partly achieved is not flagged.
pub fn carried_forward_warning(history: &[TargetOutcome]) -> Option<QualityWarning> {
    match history {
        [.., TargetOutcome::NotAchieved, TargetOutcome::NotAchieved] => Some(QualityWarning {
            check: CARRIED_FORWARD_UNMET,
            field: None,
            detail: QualityDetail::CarriedForwardUnmet,
        }),
        _ => None,
    }
}

/// Additional or different provision as typed into a form. Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionDraft {
    pub what: String,
    pub who: String,
    pub how_often: String,
    pub group_size: Option<u32>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// A target to check, with its outcomes at earlier reviews if it was carried forward
/// (most recent last; empty for a new target).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetForChecks {
    pub draft: TargetDraft,
    pub history: Vec<TargetOutcome>,
}

/// A whole plan, as far as the quality checks need it. Any part may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanDraftForChecks<'a> {
    pub start: Option<Date>,
    pub review: Option<Date>,
    /// The school's review policy; `None` for none beyond the hard limit.
    pub policy: Option<ReviewPolicy>,
    pub calendar: Option<&'a SchoolCalendar>,
    pub targets: Vec<TargetForChecks>,
    pub provision: Vec<ProvisionDraft>,
}

/// A warning (check `review_after_policy`) when `review` is later than the school's policy
/// expects ([`policy_review_by`](super::dates::policy_review_by)). Never an error: only the
/// hard limit is ([`PlanDates::new`](super::dates::PlanDates::new)).
pub fn policy_warning(
    policy: ReviewPolicy,
    start: Date,
    review: Date,
    calendar: Option<&SchoolCalendar>,
) -> Option<QualityWarning> {
    let (latest, basis) = policy_limit(policy, start, calendar);
    if review <= latest {
        return None;
    }
    Some(QualityWarning {
        check: REVIEW_AFTER_POLICY,
        field: Some("review_date".to_owned()),
        detail: QualityDetail::AfterPolicy { latest, basis },
    })
}

/// Runs every check on `plan`: the number of targets; per target, vague wording (target,
/// strategies, success criteria), measurable success criteria and unmet targets carried
/// forward; per provision, frequency and vague wording; the review date against the
/// school's policy. Empty fields are left to validation. Field names count from 0.
pub fn check_plan(plan: &PlanDraftForChecks<'_>) -> Vec<QualityWarning> {
    let mut out = Vec::new();
    out.extend(target_count_warning(plan.targets.len()));
    for (i, t) in plan.targets.iter().enumerate() {
        let field = |name: &str| format!("targets[{i}].{name}");
        let d = &t.draft;
        out.extend(vague_in_outcome(field("target"), &d.target));
        out.extend(vague_in_provision(field("strategies"), &d.strategies));
        if !d.success_criteria.trim().is_empty() {
            if is_measurable(&d.success_criteria) {
                out.extend(vague_in_outcome(
                    field("success_criteria"),
                    &d.success_criteria,
                ));
            } else {
                out.push(QualityWarning {
                    check: SUCCESS_CRITERIA_NOT_MEASURABLE,
                    field: Some(field("success_criteria")),
                    detail: QualityDetail::SuccessNotMeasurable,
                });
            }
        }
        out.extend(carried_forward_warning(&t.history).map(|w| QualityWarning {
            field: Some(format!("targets[{i}]")),
            ..w
        }));
    }
    for (j, p) in plan.provision.iter().enumerate() {
        let field = |name: &str| format!("provision[{j}].{name}");
        let frequency = has_frequency(&p.how_often);
        // A quantity in "how often" makes the provision as a whole specific.
        if !has_quantity(&p.how_often) {
            out.extend(vague_in_provision(field("what"), &p.what));
        }
        out.extend(vague_in_provision(field("who"), &p.who));
        if frequency {
            out.extend(vague_in_provision(field("how_often"), &p.how_often));
        } else {
            out.push(QualityWarning {
                check: PROVISION_WITHOUT_FREQUENCY,
                field: Some(field("how_often")),
                detail: QualityDetail::ProvisionWithoutFrequency,
            });
        }
    }
    if let (Some(start), Some(review), Some(policy)) = (plan.start, plan.review, plan.policy) {
        out.extend(policy_warning(policy, start, review, plan.calendar));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DateRange;
    use crate::framework::IEP;
    use crate::school::Country;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;

    use super::super::dates::tests::{any_date, calendar_2024_25};
    use super::super::dates::{policy_review_by, review_limit};

    fn target(target: &str, strategies: &str, criteria: &str) -> TargetForChecks {
        TargetForChecks {
            draft: TargetDraft {
                area: None,
                target: target.to_owned(),
                strategies: strategies.to_owned(),
                success_criteria: criteria.to_owned(),
                by_when: None,
            },
            history: Vec::new(),
        }
    }

    fn good_target() -> TargetForChecks {
        target(
            "Read the first 100 high-frequency words",
            "Precision teaching with the TA, 10 minutes daily",
            "Will read 40 of the first 100 words on two occasions",
        )
    }

    fn provision(what: &str, who: &str, how_often: &str) -> ProvisionDraft {
        ProvisionDraft {
            what: what.to_owned(),
            who: who.to_owned(),
            how_often: how_often.to_owned(),
            ..ProvisionDraft::default()
        }
    }

    #[test]
    fn checks_are_consistent_data() {
        for (i, c) in QUALITY_CHECKS.iter().enumerate() {
            assert!(c.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(QUALITY_CHECKS[i + 1..].iter().all(|d| d.id != c.id));
            assert!(!c.name.is_empty() && !c.why.is_empty());
            assert!(!c.why.ends_with('.'));
        }
        for list in [
            VAGUE_PHRASES,
            NUMBER_WORDS,
            UNIT_WORDS,
            QUANTITY_PHRASES,
            FREQUENCY_WORDS,
            MEASURABLE_VERBS,
            QUANTIFIERS,
        ] {
            for p in list {
                // Lowercase words separated by single spaces, as the matcher expects.
                assert_eq!(words(p).join(" "), *p);
            }
        }
    }

    #[test]
    fn vague_phrases_are_found_case_insensitively_on_word_boundaries() {
        assert_eq!(
            find_vague_phrase("Support with reading"),
            Some("support with")
        );
        assert_eq!(
            find_vague_phrase("Reading REGULARLY with an adult"),
            Some("regularly")
        );
        assert_eq!(find_vague_phrase("A regular check-in"), Some("regular"));
        assert_eq!(
            find_vague_phrase("Access to a writing slope"),
            Some("access to")
        );
        assert_eq!(
            find_vague_phrase("Movement breaks as appropriate"),
            Some("as appropriate")
        );
        assert_eq!(find_vague_phrase("Prompts as-needed"), Some("as needed"));
        assert_eq!(
            find_vague_phrase("Use visuals where possible"),
            Some("where possible")
        );
        assert_eq!(
            find_vague_phrase("Time out when necessary"),
            Some("when necessary")
        );
        assert_eq!(
            find_vague_phrase("Adult help as required"),
            Some("as required")
        );
        assert_eq!(find_vague_phrase("Ongoing monitoring"), Some("ongoing"));
        assert_eq!(find_vague_phrase("Some small-group work"), Some("some"));
        assert_eq!(find_vague_phrase("To improve handwriting"), Some("improve"));
        // The first in the text is quoted.
        assert_eq!(
            find_vague_phrase("Ongoing support with spelling"),
            Some("ongoing")
        );
        // Word boundaries: no match inside other words.
        assert_eq!(find_vague_phrase("Someone reads with him"), None);
        assert_eq!(find_vague_phrase("Irregular verbs"), None);
        assert_eq!(find_vague_phrase("Accessible texts"), None);
        assert_eq!(find_vague_phrase("Supported writing with a frame"), None);
        assert_eq!(find_vague_phrase(""), None);
    }

    #[test]
    fn a_quantity_in_the_same_sentence_makes_a_phrase_acceptable() {
        for ok in [
            "Support with reading for 20 minutes",
            "Support with reading three times a week",
            "Regular reading, twice a day",
            "Access to a laptop in 4 lessons",
            "Improve reading age by 6 months",
            "Improve spelling to 80% accuracy",
            "Support with phonics in small-group sessions",
            "Support with maths over six weeks",
            "Reading with an adult daily, as appropriate",
            "Some words out of the list",
        ] {
            assert_eq!(find_vague_phrase(ok), None, "{ok}");
        }
        // A quantity in another sentence does not help.
        assert_eq!(
            find_vague_phrase("Reads with the TA for 10 minutes. Support with spelling"),
            Some("support with")
        );
        assert_eq!(
            find_vague_phrase("10 minutes of reading\nAccess to a reading pen"),
            Some("access to")
        );
        // Decimals and abbreviations do not split a sentence.
        assert_eq!(
            find_vague_phrase("Support with reading, 2.5 hours a week"),
            None
        );
        assert_eq!(
            find_vague_phrase("Support with reading, e.g. twenty minutes"),
            None
        );
    }

    #[test]
    fn quantities() {
        for q in [
            "3",
            "50%",
            "three",
            "twice",
            "half",
            "minutes",
            "sessions",
            "weeks",
            "daily",
            "per week",
            "times a week",
            "every day",
            "out of",
        ] {
            assert!(has_quantity(q), "{q}");
        }
        for q in [
            "",
            "reading",
            "during the day",
            "someone",
            "in lessons",
            "at times",
        ] {
            assert!(!has_quantity(q), "{q}");
        }
    }

    #[test]
    fn measurable_success_criteria() {
        for ok in [
            "Reads 45 of 50 words",
            "Spells with 80% accuracy",
            "Counts to twenty",
            "Gets 8 out of 10 right",
            "Ten out of ten",
            "Reads the list by 20 March",
            "Writes a sentence with a full stop by March",
            "Reads CVC words by the end of term",
            "Will name all the colours",
            "Will read each word on the list",
            "Will write his name independently",
            "Will count objects without help",
            "Will sit on the carpet for five minutes",
        ] {
            assert!(is_measurable(ok), "{ok}");
        }
        for not in [
            "Will be more confident",
            "Improved reading",
            "Will read better",
            "Will try hard",
            "Is happier at playtime",
            "Reads by himself",
            "",
        ] {
            assert!(!is_measurable(not), "{not}");
        }
    }

    #[test]
    fn frequencies() {
        for ok in [
            "3 times a week",
            "20 minutes daily",
            "Weekly",
            "Every morning",
            "Twice per term",
            "On Mondays and Thursdays",
            "Throughout the day",
            "In each lesson",
            "One hour",
        ] {
            assert!(has_frequency(ok), "{ok}");
        }
        for not in [
            "",
            "As needed",
            "Ongoing",
            "Regularly",
            "When he is upset",
            "In class",
        ] {
            assert!(!has_frequency(not), "{not}");
        }
    }

    #[test]
    fn target_count_is_three_or_four() {
        assert_eq!(target_count_warning(3), None);
        assert_eq!(target_count_warning(4), None);
        for n in [0, 1, 2, 5, 9] {
            let w = target_count_warning(n).unwrap();
            assert_eq!(w.check, "target_count");
            assert_eq!(w.field.as_deref(), Some("targets"));
            assert_eq!(w.detail, QualityDetail::TargetCount { n });
        }
    }

    #[test]
    fn two_unmet_reviews_in_a_row() {
        use TargetOutcome::*;
        assert_eq!(carried_forward_warning(&[]), None);
        assert_eq!(carried_forward_warning(&[NotAchieved]), None);
        assert_eq!(
            carried_forward_warning(&[NotAchieved, PartlyAchieved]),
            None
        );
        assert_eq!(
            carried_forward_warning(&[PartlyAchieved, NotAchieved]),
            None
        );
        assert_eq!(
            carried_forward_warning(&[NotAchieved, NotAchieved, PartlyAchieved]),
            None
        );
        let w = carried_forward_warning(&[PartlyAchieved, NotAchieved, NotAchieved]).unwrap();
        assert_eq!(w.check, "carried_forward_unmet");
        assert_eq!(w.field, None);
        assert_eq!(w.detail, QualityDetail::CarriedForwardUnmet);
        assert!(carried_forward_warning(&[NotAchieved, NotAchieved]).is_some());
    }

    #[test]
    fn a_good_plan_has_no_warnings() {
        let plan = PlanDraftForChecks {
            start: Some(date!(2024 - 09 - 16)),
            review: Some(date!(2024 - 12 - 13)),
            policy: Some(ReviewPolicy::Termly),
            calendar: None,
            targets: vec![good_target(), good_target(), good_target()],
            provision: vec![
                provision("Precision teaching", "TA", "10 minutes daily"),
                provision(
                    "Support with handwriting",
                    "Class teacher",
                    "3 times a week",
                ),
            ],
        };
        assert_eq!(check_plan(&plan), []);
    }

    #[test]
    fn check_plan_names_each_field() {
        let mut carried = target(
            "Improve reading",
            "Regular reading with an adult",
            "Will be a more confident reader",
        );
        carried.history = vec![TargetOutcome::NotAchieved, TargetOutcome::NotAchieved];
        let plan = PlanDraftForChecks {
            start: Some(date!(2024 - 09 - 16)),
            review: Some(date!(2025 - 03 - 14)),
            policy: Some(ReviewPolicy::Termly),
            calendar: None,
            targets: vec![
                good_target(),
                carried,
                target("Count to 20", "", "Counts to 20. Needs some help"),
                target("", "", ""),
                good_target(),
            ],
            provision: vec![
                provision("Support with reading", "TA as appropriate", "As needed"),
                provision("Access to a laptop", "", "Throughout the day"),
            ],
        };
        let warnings = check_plan(&plan);
        let got: Vec<(&str, Option<&str>)> = warnings
            .iter()
            .map(|w| (w.check, w.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("target_count", Some("targets")),
                ("vague_wording", Some("targets[1].target")),
                ("vague_wording", Some("targets[1].strategies")),
                (
                    "success_criteria_not_measurable",
                    Some("targets[1].success_criteria")
                ),
                ("carried_forward_unmet", Some("targets[1]")),
                ("vague_wording", Some("targets[2].success_criteria")),
                ("vague_wording", Some("provision[0].what")),
                ("vague_wording", Some("provision[0].who")),
                (
                    "provision_without_frequency",
                    Some("provision[0].how_often")
                ),
                ("vague_wording", Some("provision[1].what")),
                ("review_after_policy", Some("review_date")),
            ]
        );
        assert_eq!(
            warnings[7].detail,
            QualityDetail::VagueProvision {
                phrase: "as appropriate".into()
            }
        );
        assert_eq!(
            warnings[1].detail,
            QualityDetail::VagueOutcome {
                phrase: "improve".into()
            }
        );
        for w in &warnings {
            assert!(QUALITY_CHECKS.iter().any(|c| c.id == w.check));
        }
    }

    #[test]
    fn policy_check_uses_the_calendar() {
        let cal = SchoolCalendar::new(
            Country::England,
            vec![
                DateRange {
                    start: date!(2024 - 09 - 04),
                    end: date!(2024 - 10 - 25),
                },
                DateRange {
                    start: date!(2024 - 11 - 04),
                    end: date!(2024 - 12 - 20),
                },
                DateRange {
                    start: date!(2025 - 01 - 06),
                    end: date!(2025 - 02 - 14),
                },
            ],
            vec![],
        );
        let mut plan = PlanDraftForChecks {
            start: Some(date!(2024 - 09 - 16)),
            review: Some(date!(2025 - 01 - 10)),
            policy: Some(ReviewPolicy::Termly),
            calendar: Some(&cal),
            targets: vec![good_target(); 3],
            provision: vec![],
        };
        let w = check_plan(&plan);
        assert_eq!(w.len(), 1);
        assert_eq!(
            w[0].detail,
            QualityDetail::AfterPolicy {
                latest: date!(2024 - 12 - 20),
                basis: PolicyBasis::TermEnd
            }
        );
        // Without a calendar, four months allows it.
        plan.calendar = None;
        assert_eq!(check_plan(&plan), []);
        // No policy, or no dates: nothing to check.
        plan.calendar = Some(&cal);
        plan.policy = None;
        assert_eq!(check_plan(&plan), []);
        plan.policy = Some(ReviewPolicy::Termly);
        plan.review = None;
        assert_eq!(check_plan(&plan), []);
    }

    #[test]
    fn warnings_serialise() {
        let w = target_count_warning(0).unwrap();
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["check"], "target_count");
        assert_eq!(json["field"], "targets");
    }

    proptest! {
        #[test]
        fn text_checks_never_panic(s in any::<String>()) {
            let _ = find_vague_phrase(&s);
            let _ = is_measurable(&s);
            let _ = has_frequency(&s);
            let _ = sentences(&s).concat() == s;
        }

        #[test]
        fn sentences_cover_the_text(s in "[a-zA-Z0-9 .!?\n]{0,60}") {
            prop_assert_eq!(sentences(&s).concat(), s);
        }

        #[test]
        fn a_digit_in_the_sentence_removes_vague_wording(
            i in 0..VAGUE_PHRASES.len(),
            before in "[a-z ]{0,20}",
            n in 1u32..100,
        ) {
            prop_assume!(!has_quantity(&before));
            let phrase = VAGUE_PHRASES[i];
            let text = format!("{before} {phrase} reading");
            prop_assert!(find_vague_phrase(&text).is_some());
            let with = format!("{before} {phrase} reading for {n} minutes");
            prop_assert_eq!(find_vague_phrase(&with), None);
            prop_assert!(is_measurable(&with));
            prop_assert!(has_frequency(&with));
        }

        #[test]
        fn a_digit_makes_criteria_measurable(s in "[a-zA-Z ]{0,40}", n in 0u32..1000) {
            let text = format!("{s} {n}");
            prop_assert!(is_measurable(&text));
        }

        #[test]
        fn target_count_warns_outside_three_or_four(n in 0usize..50) {
            prop_assert_eq!(target_count_warning(n).is_none(), n == 3 || n == 4);
        }
    }

    #[test]
    fn termly_without_a_calendar_is_four_months() {
        let start = date!(2024 - 10 - 31);
        assert_eq!(
            policy_review_by(ReviewPolicy::Termly, start, None),
            date!(2025 - 02 - 28)
        );
        assert_eq!(
            policy_warning(ReviewPolicy::Termly, start, date!(2025 - 02 - 28), None),
            None
        );
        let w = policy_warning(ReviewPolicy::Termly, start, date!(2025 - 03 - 01), None).unwrap();
        assert_eq!(w.check, "review_after_policy");
        assert_eq!(w.field.as_deref(), Some("review_date"));
        assert_eq!(
            w.detail,
            QualityDetail::AfterPolicy {
                latest: date!(2025 - 02 - 28),
                basis: PolicyBasis::FourMonths
            }
        );
    }

    #[test]
    fn termly_with_a_calendar_is_the_end_of_the_term() {
        let cal = calendar_2024_25();
        let termly = |start| policy_review_by(ReviewPolicy::Termly, start, Some(&cal));
        // Autumn: the October half-term is not the end of the term.
        assert_eq!(termly(date!(2024 - 09 - 09)), date!(2024 - 12 - 20));
        assert_eq!(termly(date!(2024 - 10 - 28)), date!(2024 - 12 - 20));
        assert_eq!(termly(date!(2024 - 12 - 19)), date!(2024 - 12 - 20));
        // On the last day of term, or in the holidays: the next term.
        assert_eq!(termly(date!(2024 - 12 - 20)), date!(2025 - 04 - 04));
        assert_eq!(termly(date!(2024 - 12 - 27)), date!(2025 - 04 - 04));
        // Spring: through February half-term to Easter.
        assert_eq!(termly(date!(2025 - 02 - 17)), date!(2025 - 04 - 04));
        // Summer: through the May half-term to the last known day.
        assert_eq!(termly(date!(2025 - 04 - 10)), date!(2025 - 07 - 22));
        // Past the calendar, or long before it: four months.
        assert_eq!(termly(date!(2024 - 06 - 20)), date!(2024 - 10 - 20));
        assert_eq!(termly(date!(2024 - 07 - 22)), date!(2024 - 12 - 20));
        assert_eq!(termly(date!(2025 - 07 - 22)), date!(2025 - 11 - 22));
        assert_eq!(termly(date!(2025 - 09 - 01)), date!(2026 - 01 - 01));

        let w = policy_warning(
            ReviewPolicy::Termly,
            date!(2024 - 09 - 09),
            date!(2025 - 01 - 10),
            Some(&cal),
        )
        .unwrap();
        assert_eq!(
            w.detail,
            QualityDetail::AfterPolicy {
                latest: date!(2024 - 12 - 20),
                basis: PolicyBasis::TermEnd
            }
        );
        assert_eq!(
            policy_warning(
                ReviewPolicy::Termly,
                date!(2024 - 09 - 09),
                date!(2024 - 12 - 20),
                Some(&cal)
            ),
            None
        );
    }

    #[test]
    fn six_monthly_policy() {
        let start = date!(2024 - 08 - 31);
        assert_eq!(
            policy_review_by(ReviewPolicy::SixMonthly, start, Some(&calendar_2024_25())),
            date!(2025 - 02 - 28)
        );
        // An EHC plan reviewed yearly by law, at a school that reviews every six months.
        let w =
            policy_warning(ReviewPolicy::SixMonthly, start, date!(2025 - 08 - 31), None).unwrap();
        assert_eq!(
            w.detail,
            QualityDetail::AfterPolicy {
                latest: date!(2025 - 02 - 28),
                basis: PolicyBasis::SixMonths
            }
        );
        assert_eq!(
            policy_warning(ReviewPolicy::SixMonthly, start, date!(2025 - 02 - 28), None),
            None
        );
    }

    proptest! {
        #[test]
        fn policy_warning_iff_past_policy_date(
            start in any_date(),
            offset in 0i64..200,
            termly in any::<bool>(),
            with_calendar in any::<bool>(),
        ) {
            let cal = calendar_2024_25();
            let calendar = with_calendar.then_some(&cal);
            let policy = if termly { ReviewPolicy::Termly } else { ReviewPolicy::SixMonthly };
            let review = start + Duration::days(offset);
            let by = policy_review_by(policy, start, calendar);
            prop_assert!(by >= start);
            prop_assert!(by <= review_limit(&IEP, start));
            let w = policy_warning(policy, start, review, calendar);
            prop_assert_eq!(w.is_some(), review > by);
            if let Some(w) = w {
                prop_assert_eq!(w.check, REVIEW_AFTER_POLICY);
            }
            if termly
                && with_calendar
                && let Some(end) = cal.known_until()
                && start < end
                && start >= date!(2024 - 09 - 04)
            {
                prop_assert!(cal.is_school_day(by));
            }
        }
    }
}
