//! The school census SEN return as CSV and as XML in Senco's own documented format
//! (`docs/census-return.md`, schema `docs/census-return.xsd`). No official SEN-only census
//! file exists: an MIS imports this and carries the codes into its own census return.

use senco_domain::Date;
use senco_domain::census_return::{PupilReturn, Severity, code_counts};
use senco_domain::school::Country;

use crate::csv_out;
use crate::ctf::esc;

/// The version of the XML format (the `version` attribute of the root element).
pub const XML_VERSION: &str = "1";
/// The XML namespace of the format.
pub const XML_NAMESPACE: &str = "https://senco.example/schema/census-return/1";

/// The school a return is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolRef {
    pub urn: String,
    /// The LA number and establishment number (DfE number) when known.
    pub la_estab: Option<String>,
    pub name: String,
    pub country: Country,
}

/// One pupil of a return: identity for matching in the MIS, and the worked-out codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilLine {
    /// Senco's id of the pupil, for links on the page (not written to the files).
    pub pupil_id: String,
    pub upn: Option<String>,
    pub surname: String,
    pub forename: String,
    pub date_of_birth: Date,
    /// The census year code (N1, N2, R, 1-14), when known.
    pub year: Option<String>,
    pub result: PupilReturn,
}

/// A whole return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CensusReturn {
    pub school: SchoolRef,
    pub census_date: Date,
    /// When it was made (UTC, RFC 3339).
    pub generated_at: String,
    pub pupils: Vec<PupilLine>,
}

impl CensusReturn {
    /// How many pupils have an error, and how many a warning only.
    pub fn problem_counts(&self) -> (usize, usize) {
        let errors = self.pupils.iter().filter(|p| p.result.has_errors()).count();
        let warnings = self
            .pupils
            .iter()
            .filter(|p| !p.result.has_errors() && !p.result.problems.is_empty())
            .count();
        (errors, warnings)
    }

    /// Pupils per provision code.
    pub fn counts(&self) -> Vec<(String, usize)> {
        code_counts(self.pupils.iter().map(|p| &p.result))
    }
}

fn need_at(r: &PupilReturn, rank: i64) -> String {
    r.needs
        .iter()
        .find(|n| n.rank == rank)
        .map(|n| n.code.clone())
        .unwrap_or_default()
}

fn notes(r: &PupilReturn) -> String {
    let mut notes = Vec::new();
    if let Some(p) = &r.provision {
        if let Some(n) = &p.note {
            notes.push(n.clone());
        }
        if p.unconfirmed {
            notes.push(format!(
                "{} is a configured code not yet confirmed from an official list",
                p.code
            ));
        }
    }
    for n in r.needs.iter().filter(|n| n.unconfirmed) {
        notes.push(format!(
            "{} is a configured need code not yet confirmed from an official list",
            n.code
        ));
    }
    notes.join("; ")
}

fn problems(r: &PupilReturn, severity: Severity) -> String {
    r.problems
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The return as CSV: one line per pupil with the primary and secondary need (the census
/// collects those two), then the problems and notes.
pub fn to_csv(ret: &CensusReturn) -> String {
    let mut out = String::new();
    csv_out::line(
        &mut out,
        &[
            "UPN",
            "Surname",
            "Forename",
            "DOB",
            "NCyearActual",
            "SENprovision",
            "PrimaryNeed",
            "SecondaryNeed",
            "Errors",
            "Warnings",
            "Notes",
        ],
    );
    for p in &ret.pupils {
        let r = &p.result;
        csv_out::line(
            &mut out,
            &[
                p.upn.clone().unwrap_or_default(),
                p.surname.clone(),
                p.forename.clone(),
                p.date_of_birth.to_string(),
                p.year.clone().unwrap_or_default(),
                r.provision
                    .as_ref()
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
                need_at(r, 1),
                need_at(r, 2),
                problems(r, Severity::Error),
                problems(r, Severity::Warning),
                notes(r),
            ],
        );
    }
    out
}

/// The return as XML (see `docs/census-return.md`).
pub fn to_xml(ret: &CensusReturn) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let country = match ret.school.country {
        Country::England => "england",
        Country::Wales => "wales",
    };
    x.push_str(&format!(
        "<SENcensusReturn xmlns=\"{XML_NAMESPACE}\" version=\"{XML_VERSION}\" country=\"{country}\" censusDate=\"{}\" generatedAt=\"{}\">\n",
        ret.census_date,
        esc(&ret.generated_at)
    ));
    x.push_str(&format!(
        "  <School URN=\"{}\"{} name=\"{}\"/>\n",
        esc(&ret.school.urn),
        ret.school
            .la_estab
            .as_ref()
            .map(|l| format!(" LAEstab=\"{}\"", esc(l)))
            .unwrap_or_default(),
        esc(&ret.school.name)
    ));
    x.push_str("  <Summary>\n");
    for (code, n) in ret.counts() {
        x.push_str(&format!(
            "    <Count SENprovision=\"{}\" pupils=\"{n}\"/>\n",
            esc(&code)
        ));
    }
    x.push_str("  </Summary>\n  <Pupils>\n");
    for p in &ret.pupils {
        let r = &p.result;
        x.push_str("    <Pupil");
        if let Some(upn) = &p.upn {
            x.push_str(&format!(" UPN=\"{}\"", esc(upn)));
        }
        x.push_str(&format!(
            " surname=\"{}\" forename=\"{}\" DOB=\"{}\"",
            esc(&p.surname),
            esc(&p.forename),
            p.date_of_birth
        ));
        if let Some(y) = &p.year {
            x.push_str(&format!(" NCyearActual=\"{}\"", esc(y)));
        }
        x.push_str(">\n");
        if let Some(c) = &r.provision {
            x.push_str(&format!(
                "      <SENprovision code=\"{}\" unconfirmed=\"{}\"",
                esc(&c.code),
                c.unconfirmed
            ));
            match &c.note {
                Some(n) => x.push_str(&format!(">{}</SENprovision>\n", esc(n))),
                None => x.push_str("/>\n"),
            }
        }
        for n in &r.needs {
            x.push_str(&format!(
                "      <SENneed rank=\"{}\" code=\"{}\" unconfirmed=\"{}\"/>\n",
                n.rank,
                esc(&n.code),
                n.unconfirmed
            ));
        }
        for pr in &r.problems {
            x.push_str(&format!(
                "      <Problem severity=\"{}\" rule=\"{}\">{}</Problem>\n",
                pr.severity.as_str(),
                pr.rule,
                esc(&pr.message)
            ));
        }
        x.push_str("    </Pupil>\n");
    }
    x.push_str("  </Pupils>\n</SENcensusReturn>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use senco_domain::census::CodeSettings;
    use senco_domain::census_return::{RecordedNeed, pupil_return};
    use senco_domain::framework::Stage;
    use senco_domain::history::Entry;
    use senco_domain::school::FrameworkKey;
    use time::macros::date;

    fn sample() -> CensusReturn {
        let s = CodeSettings::default();
        let on = date!(2027 - 01 - 21);
        let k = [Entry {
            id: 1,
            framework: FrameworkKey::England2014,
            stage: Stage::SenSupport,
            effective: date!(2026 - 09 - 10),
            supersedes: None,
        }];
        let needs = [RecordedNeed {
            code: "SPLD".into(),
            rank: 1,
            starts_on: date!(2026 - 09 - 10),
            ends_on: None,
        }];
        CensusReturn {
            school: SchoolRef {
                urn: "118722".into(),
                la_estab: Some("8862001".into()),
                name: "Oakfield & Co <Primary>".into(),
                country: Country::England,
            },
            census_date: on,
            generated_at: "2027-01-20T10:00:00Z".into(),
            pupils: vec![
                PupilLine {
                    pupil_id: "p1".into(),
                    upn: Some("A123456789012".into()),
                    surname: "=Smith".into(),
                    forename: "Amy \"Jo\"".into(),
                    date_of_birth: date!(2017 - 03 - 04),
                    year: Some("4".into()),
                    result: pupil_return(Country::England, &k, &needs, on, &s),
                },
                PupilLine {
                    pupil_id: "p2".into(),
                    upn: None,
                    surname: "Jones".into(),
                    forename: "Ben".into(),
                    date_of_birth: date!(2018 - 05 - 06),
                    year: None,
                    result: pupil_return(Country::England, &k, &[], on, &s),
                },
            ],
        }
    }

    #[test]
    fn csv_has_a_line_per_pupil_with_codes_and_problems() {
        let csv = to_csv(&sample());
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("\"UPN\",\"Surname\""));
        assert!(lines[1].contains("\"'=Smith\""), "{}", lines[1]);
        assert!(lines[1].contains("\"K\",\"SPLD\",\"\""), "{}", lines[1]);
        assert!(lines[2].contains("needs a primary need"), "{}", lines[2]);
    }

    #[test]
    fn xml_is_escaped_and_carries_summary_needs_and_problems() {
        let ret = sample();
        let xml = to_xml(&ret);
        assert!(xml.contains("name=\"Oakfield &amp; Co &lt;Primary&gt;\""));
        assert!(xml.contains("forename=\"Amy &quot;Jo&quot;\""));
        assert!(xml.contains("<Count SENprovision=\"K\" pupils=\"2\"/>"));
        assert!(xml.contains("<SENneed rank=\"1\" code=\"SPLD\" unconfirmed=\"false\"/>"));
        assert!(xml.contains("rule=\"no_primary_need\""));
        assert_eq!(ret.problem_counts(), (1, 0));
        // Well-formed enough for the checks a parser makes first.
        assert_eq!(
            xml.matches("<Pupil ").count(),
            xml.matches("</Pupil>").count()
        );
    }
}
