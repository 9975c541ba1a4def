//! The school census SEN return: for a census date, each pupil's SEN provision code and
//! ranked needs, with the problems a census would reject or query (REFERENCE.md §6.1–6.3).
//!
//! The rules, as pure functions over a pupil's stage history and recorded needs:
//! - the provision code is that of the stage in force on the census date under its
//!   framework ([`provision_code`]); no stage, or "no SEN", is N;
//! - two different stages recorded from the same day leave the return unsure which
//!   provision is open: an error (the DfE allows one open SEN provision at a time);
//! - needs are those in force on the census date (from their start to their end, both
//!   inclusive), in rank order;
//! - whether needs are collected depends on the code and the year: in England none for N,
//!   and, before SEN support (K) began, none for School Action (A), since 2004-2014 types
//!   were recorded only at Action Plus or with a statement; none at all before need types
//!   were first collected (January 2004, `england_need_types_from`); in Wales none for N. Needs
//!   recorded where they are not collected are left out, with a warning;
//! - where needs are collected, a primary need (rank 1) is required, each rank is used
//!   once, and each code must be known and valid on the date ([`need_valid_on`]; in Wales
//!   the configured category codes, flagged while unconfirmed).

use serde::Serialize;
use time::Date;

use crate::census::{
    CodeError, CodeSettings, LongDate, ProvisionCode, need_valid_on, parse_need, parse_wales_need,
    provision_code, wales_need_code,
};
use crate::framework::Stage;
use crate::history::{Entry, current, in_force};
use crate::school::Country;

/// A need as recorded for a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedNeed {
    pub code: String,
    pub rank: i64,
    pub starts_on: Date,
    /// The last day the need applied, if it has ended.
    pub ends_on: Option<Date>,
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The census would reject the pupil's record: fix it before the return.
    Error,
    /// Reported as it stands, but worth a look.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A problem with one pupil's return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// A stable snake_case id of the rule.
    pub rule: &'static str,
    pub message: String,
}

impl Problem {
    fn error(rule: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            rule,
            message: message.into(),
        }
    }

    fn warning(rule: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            rule,
            message: message.into(),
        }
    }

    fn code(e: &CodeError) -> Problem {
        Problem::error(e.rule(), e.to_string())
    }
}

/// A need as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedNeed {
    pub rank: i64,
    pub code: String,
    /// A configured code not confirmed from an official list (Welsh categories).
    pub unconfirmed: bool,
}

/// One pupil's line of the return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PupilReturn {
    /// The provision code, when one could be worked out.
    pub provision: Option<ProvisionCode>,
    /// The stage the code comes from (`None`: never on the register).
    pub stage: Option<Stage>,
    pub needs: Vec<ReportedNeed>,
    pub problems: Vec<Problem>,
}

impl PupilReturn {
    /// Whether anything would stop the census taking this pupil's record.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Whether the census collects needs for provision `code` in `country` on `on`.
pub fn needs_collected(country: Country, code: &str, on: Date, s: &CodeSettings) -> bool {
    match (country, code) {
        (_, "N") => false,
        (Country::England, "A") => on >= s.england_k_from,
        (Country::England, "P" | "S") => on >= s.england_need_types_from,
        _ => true,
    }
}

/// Works out one pupil's return for the census on `on`.
pub fn pupil_return(
    country: Country,
    history: &[Entry],
    needs: &[RecordedNeed],
    on: Date,
    s: &CodeSettings,
) -> PupilReturn {
    let mut problems = Vec::new();
    let entry = in_force(history, on);
    if let Some(e) = entry {
        let rivals: Vec<Stage> = current(history)
            .into_iter()
            .filter(|o| o.effective == e.effective && o.stage != e.stage)
            .map(|o| o.stage)
            .collect();
        if let Some(other) = rivals.first() {
            problems.push(Problem::error(
                "more_than_one_open_provision",
                format!(
                    "Two provision records start on {}: {} and {}. Only one may be open at a time: correct the stage history",
                    LongDate(e.effective),
                    other.label(),
                    e.stage.label()
                ),
            ));
        }
    }
    let stage = entry.map(|e| e.stage);
    let provision = match entry {
        None => Some(ProvisionCode {
            code: "N".into(),
            note: None,
            unconfirmed: false,
        }),
        Some(e) => match provision_code(country, e.framework, e.stage, on, s) {
            Ok(code) => Some(code),
            Err(err) => {
                problems.push(Problem::code(&err));
                None
            }
        },
    };
    let mut in_force_needs: Vec<&RecordedNeed> = needs
        .iter()
        .filter(|n| n.starts_on <= on && n.ends_on.is_none_or(|end| on <= end))
        .collect();
    in_force_needs.sort_by(|a, b| (a.rank, &a.code).cmp(&(b.rank, &b.code)));
    let mut reported = Vec::new();
    if let Some(code) = provision.as_ref().map(|p| p.code.as_str()) {
        if !needs_collected(country, code, on, s) {
            if !in_force_needs.is_empty() {
                let codes: Vec<&str> = in_force_needs.iter().map(|n| n.code.as_str()).collect();
                problems.push(Problem::warning(
                    "needs_not_collected",
                    format!(
                        "The census on {} does not collect needs for provision code {code}; {} left out",
                        LongDate(on),
                        codes.join(", ")
                    ),
                ));
            }
        } else {
            reported = check_needs(country, code, &in_force_needs, on, s, &mut problems);
            if !reported.iter().any(|n| n.rank == 1) {
                problems.push(Problem::error(
                    "no_primary_need",
                    format!(
                        "Provision code {code} needs a primary need recorded on {}",
                        LongDate(on)
                    ),
                ));
            }
        }
    }
    PupilReturn {
        provision,
        stage,
        needs: reported,
        problems,
    }
}

fn check_needs(
    country: Country,
    provision: &str,
    needs: &[&RecordedNeed],
    on: Date,
    s: &CodeSettings,
    problems: &mut Vec<Problem>,
) -> Vec<ReportedNeed> {
    let mut out: Vec<ReportedNeed> = Vec::new();
    for n in needs {
        if out.iter().any(|o| o.rank == n.rank) {
            problems.push(Problem::error(
                "duplicate_rank",
                format!(
                    "Two needs have rank {} on {}: end one of them",
                    n.rank,
                    LongDate(on)
                ),
            ));
            continue;
        }
        let checked = match country {
            Country::England => parse_need(&n.code).and_then(|(need, _)| {
                need_valid_on(need, on, Some(provision), s).map(|()| ReportedNeed {
                    rank: n.rank,
                    code: need.code().to_string(),
                    unconfirmed: false,
                })
            }),
            Country::Wales => parse_wales_need(&n.code, s).map(|need| {
                let c = wales_need_code(need, s);
                ReportedNeed {
                    rank: n.rank,
                    code: c.code,
                    unconfirmed: c.unconfirmed,
                }
            }),
        };
        match checked {
            Ok(r) => out.push(r),
            Err(e) => problems.push(Problem::code(&e)),
        }
    }
    out
}

/// Counts of pupils per provision code, in first-seen order of `codes`.
pub fn code_counts<'a>(returns: impl IntoIterator<Item = &'a PupilReturn>) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for r in returns {
        let code = r
            .provision
            .as_ref()
            .map_or("?".to_string(), |p| p.code.clone());
        match counts.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => counts.push((code, 1)),
        }
    }
    counts.sort();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::school::FrameworkKey;
    use proptest::prelude::*;
    use time::macros::date;

    fn entry(id: u64, framework: FrameworkKey, stage: Stage, effective: Date) -> Entry {
        Entry {
            id,
            framework,
            stage,
            effective,
            supersedes: None,
        }
    }

    fn need(code: &str, rank: i64, starts_on: Date, ends_on: Option<Date>) -> RecordedNeed {
        RecordedNeed {
            code: code.into(),
            rank,
            starts_on,
            ends_on,
        }
    }

    fn rules(r: &PupilReturn) -> Vec<&'static str> {
        r.problems.iter().map(|p| p.rule).collect()
    }

    const CENSUS: Date = date!(2027 - 01 - 21);

    #[test]
    fn a_pupil_never_on_the_register_is_n_with_no_needs() {
        let r = pupil_return(Country::England, &[], &[], CENSUS, &CodeSettings::default());
        assert_eq!(r.provision.unwrap().code, "N");
        assert!(r.needs.is_empty() && r.problems.is_empty());
    }

    #[test]
    fn sen_support_reports_k_with_its_ranked_needs() {
        let h = [entry(
            1,
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2026 - 09 - 10),
        )];
        let n = [
            need("SLCN", 2, date!(2026 - 09 - 10), None),
            need("SPLD", 1, date!(2026 - 09 - 10), None),
            need("MLD", 1, date!(2025 - 01 - 01), Some(date!(2026 - 09 - 09))),
        ];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &CodeSettings::default());
        assert_eq!(r.provision.as_ref().unwrap().code, "K");
        let codes: Vec<(i64, &str)> = r.needs.iter().map(|n| (n.rank, n.code.as_str())).collect();
        assert_eq!(codes, [(1, "SPLD"), (2, "SLCN")]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn k_and_e_need_a_primary_need() {
        let h = [entry(
            1,
            FrameworkKey::England2014,
            Stage::EhcPlan,
            date!(2026 - 09 - 10),
        )];
        let n = [need("HI", 2, date!(2026 - 09 - 10), None)];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &CodeSettings::default());
        assert_eq!(r.provision.as_ref().unwrap().code, "E");
        assert_eq!(rules(&r), ["no_primary_need"]);
        assert!(r.has_errors());
    }

    #[test]
    fn two_stages_from_the_same_day_are_more_than_one_open_provision() {
        let h = [
            entry(
                1,
                FrameworkKey::England2014,
                Stage::SenSupport,
                date!(2026 - 09 - 10),
            ),
            entry(
                2,
                FrameworkKey::England2014,
                Stage::EhcPlan,
                date!(2026 - 09 - 10),
            ),
        ];
        let n = [need("ASD", 1, date!(2026 - 09 - 10), None)];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &CodeSettings::default());
        assert_eq!(rules(&r), ["more_than_one_open_provision"]);
    }

    #[test]
    fn school_action_in_2010_had_no_needs_collected_but_action_plus_did() {
        let s = CodeSettings::default();
        let on = date!(2010 - 01 - 21);
        let sa = [entry(
            1,
            FrameworkKey::England2001,
            Stage::SchoolAction,
            date!(2009 - 09 - 10),
        )];
        let n = [need("MLD", 1, date!(2009 - 09 - 10), None)];
        let r = pupil_return(Country::England, &sa, &n, on, &s);
        assert_eq!(r.provision.as_ref().unwrap().code, "A");
        assert!(r.needs.is_empty());
        assert_eq!(rules(&r), ["needs_not_collected"]);
        assert!(!r.has_errors());
        let sap = [entry(
            1,
            FrameworkKey::England2001,
            Stage::SchoolActionPlus,
            date!(2009 - 09 - 10),
        )];
        let r = pupil_return(Country::England, &sap, &n, on, &s);
        assert_eq!(r.provision.as_ref().unwrap().code, "P");
        assert_eq!(r.needs.len(), 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        // No needs at Action Plus is an error.
        let r = pupil_return(Country::England, &sap, &[], on, &s);
        assert_eq!(rules(&r), ["no_primary_need"]);
    }

    #[test]
    fn need_types_are_not_collected_before_january_2004() {
        let s = CodeSettings::default();
        for (stage, letter) in [(Stage::SchoolActionPlus, "P"), (Stage::Statement, "S")] {
            let h = [entry(
                1,
                FrameworkKey::England2001,
                stage,
                date!(2002 - 09 - 10),
            )];
            // January 2003: no need types were collected, so none is demanded.
            let r = pupil_return(Country::England, &h, &[], date!(2003 - 01 - 16), &s);
            assert_eq!(r.provision.as_ref().unwrap().code, letter);
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            // Needs recorded anyway are left out, with a warning.
            let n = [need("MLD", 1, date!(2002 - 09 - 10), None)];
            let r = pupil_return(Country::England, &h, &n, date!(2003 - 01 - 16), &s);
            assert!(r.needs.is_empty());
            assert_eq!(rules(&r), ["needs_not_collected"]);
            // From January 2004 a primary need is required.
            let r = pupil_return(Country::England, &h, &[], date!(2004 - 01 - 15), &s);
            assert_eq!(rules(&r), ["no_primary_need"]);
        }
        // The first day is a setting.
        let later = CodeSettings {
            england_need_types_from: date!(2004 - 02 - 01),
            ..CodeSettings::default()
        };
        assert!(!needs_collected(
            Country::England,
            "P",
            date!(2004 - 01 - 15),
            &later
        ));
        assert!(needs_collected(
            Country::England,
            "P",
            date!(2004 - 02 - 01),
            &later
        ));
    }

    #[test]
    fn wales_no_sen_is_n_in_a_census_after_the_legacy_cut_over() {
        let h = [
            entry(
                1,
                FrameworkKey::Wales2002,
                Stage::SchoolAction,
                date!(2020 - 09 - 10),
            ),
            entry(
                2,
                FrameworkKey::Wales2002,
                Stage::NoSen,
                date!(2025 - 07 - 01),
            ),
        ];
        let r = pupil_return(Country::Wales, &h, &[], CENSUS, &CodeSettings::default());
        assert_eq!(r.provision.as_ref().unwrap().code, "N");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn a_statement_under_the_2001_code_is_reported_as_e_today() {
        let h = [entry(
            1,
            FrameworkKey::England2001,
            Stage::Statement,
            date!(2026 - 11 - 02),
        )];
        let n = [need("ASD", 1, date!(2026 - 11 - 02), None)];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &CodeSettings::default());
        let p = r.provision.as_ref().unwrap();
        assert_eq!(p.code, "E");
        assert!(p.note.as_deref().unwrap_or("").contains("code S"), "{p:?}");
        assert_eq!(r.needs.len(), 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn a_code_outside_its_dates_is_named() {
        let s = CodeSettings::default();
        // BESD after 2014, NSA without K.
        let h = [entry(
            1,
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2026 - 09 - 10),
        )];
        let n = [need("BESD", 1, date!(2026 - 09 - 10), None)];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &s);
        assert_eq!(rules(&r), ["code_no_longer_valid", "no_primary_need"]);
        assert!(r.problems[0].message.contains("BESD"));
        // A School Action stage still open in 2027 is reported as K, with a note saying so,
        // and then needs a primary need like any K.
        let old = [entry(
            1,
            FrameworkKey::England2001,
            Stage::SchoolAction,
            date!(2013 - 09 - 10),
        )];
        let r = pupil_return(Country::England, &old, &[], CENSUS, &s);
        let p = r.provision.as_ref().unwrap();
        assert_eq!(p.code, "K");
        assert!(p.note.as_deref().unwrap_or("").contains("code A"), "{p:?}");
        assert_eq!(rules(&r), ["no_primary_need"]);
    }

    #[test]
    fn duplicate_ranks_are_refused() {
        let h = [entry(
            1,
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2026 - 09 - 10),
        )];
        let n = [
            need("SPLD", 1, date!(2026 - 09 - 10), None),
            need("MLD", 1, date!(2026 - 10 - 10), None),
        ];
        let r = pupil_return(Country::England, &h, &n, CENSUS, &CodeSettings::default());
        assert_eq!(rules(&r), ["duplicate_rank"]);
        assert_eq!(r.needs.len(), 1);
    }

    #[test]
    fn counts_group_by_code() {
        let s = CodeSettings::default();
        let k = [entry(
            1,
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2026 - 09 - 10),
        )];
        let n = [need("SPLD", 1, date!(2026 - 09 - 10), None)];
        let rs = [
            pupil_return(Country::England, &k, &n, CENSUS, &s),
            pupil_return(Country::England, &[], &[], CENSUS, &s),
            pupil_return(Country::England, &[], &[], CENSUS, &s),
        ];
        assert_eq!(
            code_counts(&rs),
            [("K".to_string(), 1), ("N".to_string(), 2)]
        );
    }

    proptest! {
        /// Whatever is recorded, a return never reports a need twice at one rank, reports
        /// needs only where they are collected, and an error-free collected return has a
        /// primary need.
        #[test]
        fn returns_are_well_formed(
            stage_ix in 0usize..4,
            ranks in proptest::collection::vec((0usize..6, 1i64..4, 0i64..400), 0..5),
            day in 0i64..800,
        ) {
            let s = CodeSettings::default();
            let stages = [Stage::NoSen, Stage::SenSupport, Stage::EhcPlan, Stage::SenSupport];
            let start = date!(2025 - 09 - 01);
            let h = [entry(1, FrameworkKey::England2014, stages[stage_ix], start)];
            let codes = ["SPLD", "MLD", "ASD", "BESD", "NSA", "XYZ"];
            let needs: Vec<RecordedNeed> = ranks
                .iter()
                .map(|(c, r, d)| need(codes[*c], *r, start + time::Duration::days(*d), None))
                .collect();
            let on = start + time::Duration::days(day);
            let r = pupil_return(Country::England, &h, &needs, on, &s);
            let mut seen = std::collections::HashSet::new();
            for n in &r.needs {
                prop_assert!(seen.insert(n.rank));
            }
            if let Some(p) = &r.provision {
                if !needs_collected(Country::England, &p.code, on, &s) {
                    prop_assert!(r.needs.is_empty());
                } else if !r.has_errors() {
                    prop_assert!(r.needs.iter().any(|n| n.rank == 1));
                }
            }
        }
    }
}
