//! Invariants of the demo dataset: size, determinism, identifiers, dates of
//! birth, staff roles, registration groups, contacts and e-mail addresses.

use std::collections::{BTreeMap, BTreeSet};

use senco_domain::Date;
use senco_domain::calendar::DateRange;
use senco_domain::person::{CorrespondenceLanguage, Email, PersonName};
use senco_domain::role::Role;
use senco_domain::school::{Country, FrameworkKey, Phase};
use senco_domain::upn::Upn;
use senco_domain::year_group::{YearGroup, academic_year_start, nc_year};
use senco_synth::{Dataset, PupilSpec, SchoolSpec, demo};
use time::macros::date;

const DAYS: [Date; 5] = [
    date!(2025 - 11 - 12),
    date!(2026 - 03 - 02),
    date!(2024 - 09 - 01),
    date!(2025 - 08 - 20),
    date!(2019 - 06 - 30),
];

fn pupils(ds: &Dataset) -> impl Iterator<Item = (&SchoolSpec, &PupilSpec)> {
    ds.authorities
        .iter()
        .flat_map(|a| &a.schools)
        .flat_map(|s| s.pupils.iter().map(move |p| (s, p)))
}

#[test]
fn deterministic() {
    let a = demo(DAYS[0], 42);
    let b = demo(DAYS[0], 42);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let c = demo(DAYS[0], 43);
    assert_ne!(format!("{a:?}"), format!("{c:?}"));
}

#[test]
fn pupil_count_and_proportions() {
    for (i, today) in DAYS.iter().enumerate() {
        let ds = demo(*today, i as u64);
        let n = pupils(&ds).count();
        assert!((1400..=1700).contains(&n), "{n} pupils");
        let frac = |f: &dyn Fn(&PupilSpec) -> bool, country: Option<Country>| {
            let chosen: Vec<_> = ds
                .authorities
                .iter()
                .filter(|a| country.is_none_or(|c| a.country == c))
                .flat_map(|a| &a.schools)
                .flat_map(|s| &s.pupils)
                .collect();
            chosen.iter().filter(|p| f(p)).count() as f64 / chosen.len() as f64
        };
        let eal = frac(&|p| p.eal, Some(Country::England));
        assert!((0.10..=0.21).contains(&eal), "EAL {eal}");
        let fsm = frac(&|p| p.fsm, None);
        assert!((0.20..=0.30).contains(&fsm), "FSM {fsm}");
        let lac = frac(&|p| p.looked_after, None);
        assert!((0.003..=0.025).contains(&lac), "LAC {lac}");
        let welsh = frac(
            &|p| p.language == CorrespondenceLanguage::Welsh,
            Some(Country::Wales),
        );
        assert!((0.14..=0.27).contains(&welsh), "Welsh {welsh}");
        let english_welsh = frac(
            &|p| p.language == CorrespondenceLanguage::Welsh,
            Some(Country::England),
        );
        assert_eq!(english_welsh, 0.0);
        let preferred = frac(&|p| p.preferred_forename.is_some(), None);
        assert!(preferred > 0.01, "preferred {preferred}");
    }
}

#[test]
fn upns_unique_and_valid() {
    for (i, today) in DAYS.iter().enumerate() {
        let ds = demo(*today, 100 + i as u64);
        let mut seen = BTreeSet::new();
        let mut without = 0;
        let mut former = 0;
        for (school, p) in pupils(&ds) {
            match &p.upn {
                Some(upn) => {
                    assert_eq!(Upn::parse(upn.as_str()).as_ref(), Ok(upn));
                    assert!(!upn.is_temporary());
                    assert!(seen.insert(upn.as_str().to_owned()), "duplicate {upn}");
                }
                None => {
                    assert_eq!(school.phase, Phase::Nursery, "only early years lack a UPN");
                    without += 1;
                }
            }
            if let Some(upn) = &p.former_upn {
                assert!(Upn::parse(upn.as_str()).is_ok());
                assert!(seen.insert(upn.as_str().to_owned()), "duplicate {upn}");
                former += 1;
            }
        }
        assert!(without >= 5, "{without} without UPN");
        assert!((2..=30).contains(&former), "{former} former UPNs");
    }
}

#[test]
fn upn_year_of_allocation_is_when_school_started() {
    let ds = demo(DAYS[0], 7);
    let ay = academic_year_start(DAYS[0]);
    for (_, p) in pupils(&ds) {
        let Some(upn) = &p.upn else { continue };
        let year2: i32 = upn.as_str()[8..10].parse().unwrap();
        // Started nursery or reception: between 5 and 3 years after birth cohort.
        let cohort = academic_year_start(p.dob);
        let started = (cohort + 3..=cohort + 5).map(|y| y.rem_euclid(100));
        assert!(started.clone().any(|y| y == year2), "{upn} dob {}", p.dob);
        assert!(cohort + 3 <= ay);
    }
}

#[test]
fn dates_of_birth_match_year_groups() {
    for (i, today) in DAYS.iter().enumerate() {
        let ds = demo(*today, i as u64);
        let ay = academic_year_start(*today);
        for (school, p) in pupils(&ds) {
            let group = &school.reg_groups[p.reg_group.unwrap()];
            assert_eq!(nc_year(p.dob, ay), Some(group.year), "{p:?}");
            assert!(p.enrolled_on <= *today, "enrolled in the future: {p:?}");
            assert!(p.enrolled_on > p.dob);
        }
    }
}

#[test]
fn school_structure() {
    let today = DAYS[0];
    let ds = demo(today, 1);
    let ay = academic_year_start(today);
    assert_eq!(ds.authorities.len(), 2);
    assert_eq!(ds.admins.len(), 1);
    let mut any_moved = false;
    let mut academies = 0;
    let mut sixth_forms = 0;
    for la in &ds.authorities {
        assert_eq!(la.officers.len(), 1);
        assert_eq!(la.specialists.len(), 2);
        assert_eq!(la.terms.len(), 18);
        assert!(la.terms.windows(2).all(|w| w[0].end < w[1].start));
        assert!(la.terms.iter().any(|t| t.start.year() == ay - 1));
        assert!(la.terms.iter().any(|t| t.end.year() == ay + 2));
        let phases: Vec<Phase> = la.schools.iter().map(|s| s.phase).collect();
        assert_eq!(
            phases,
            [
                Phase::Nursery,
                Phase::Primary,
                Phase::Primary,
                Phase::Secondary
            ]
        );
        match la.country {
            Country::England => {
                assert!((201..=938).contains(&la.code));
            }
            Country::Wales => assert!((660..=681).contains(&la.code)),
        }
        for s in &la.schools {
            let expected: Vec<FrameworkKey> = match la.country {
                Country::England => vec![FrameworkKey::England2001],
                Country::Wales => vec![FrameworkKey::Wales2002, FrameworkKey::WalesAln2021],
            };
            let got: Vec<FrameworkKey> = s.frameworks.iter().map(|f| f.0).collect();
            assert_eq!(got, expected);
            assert!(s.frameworks.windows(2).all(|w| w[0].1 < w[1].1));
            assert!((100_000..=999_999).contains(&s.urn));
            if !s.maintained {
                academies += 1;
            }
            for role in [
                Role::Head,
                Role::Senco,
                Role::SchoolAdmin,
                Role::Teacher,
                Role::TeachingAssistant,
            ] {
                assert!(
                    s.staff.iter().any(|st| st.role == role),
                    "{} {role:?}",
                    s.name
                );
            }
            let tas = s
                .staff
                .iter()
                .filter(|st| st.role == Role::TeachingAssistant)
                .count();
            assert!((1..=3).contains(&tas));
            assert!((1..=3).contains(&s.closures.len()));
            for c in &s.closures {
                assert!(
                    la.terms
                        .iter()
                        .any(|t| t.contains(c.start) && t.contains(c.end))
                );
            }
            let names: BTreeSet<&str> = s.reg_groups.iter().map(|g| g.name.as_str()).collect();
            assert_eq!(names.len(), s.reg_groups.len(), "group names unique");
            for g in &s.reg_groups {
                let t = g.teacher.expect("every group has a teacher");
                assert_eq!(s.staff[t].role, Role::Teacher);
                assert!(s.pupils.iter().any(|p| p.reg_group
                    == Some(s.reg_groups.iter().position(|x| x.name == g.name).unwrap())));
            }
            let years: BTreeSet<YearGroup> = s.reg_groups.iter().map(|g| g.year).collect();
            match s.phase {
                Phase::Nursery => {
                    assert!(
                        years
                            .iter()
                            .all(|y| matches!(y, YearGroup::Nursery1 | YearGroup::Nursery2))
                    );
                }
                Phase::Primary => {
                    assert!(years.contains(&YearGroup::Reception));
                    assert!(years.contains(&YearGroup::Year(6)));
                    assert!(!years.contains(&YearGroup::Year(7)));
                }
                Phase::Secondary => {
                    assert!(years.contains(&YearGroup::Year(7)));
                    assert!(years.contains(&YearGroup::Year(11)));
                    if years.contains(&YearGroup::Year(13)) {
                        sixth_forms += 1;
                    }
                }
                _ => unreachable!(),
            }
            for p in &s.pupils {
                for &t in &p.taught_by {
                    assert!(matches!(
                        s.staff[t].role,
                        Role::Teacher | Role::TeachingAssistant
                    ));
                }
                // Joined later than the rest of their year's intake.
                let year = p.reg_group.map(|g| s.reg_groups[g].year);
                let first = s
                    .pupils
                    .iter()
                    .filter(|q| q.reg_group.map(|g| s.reg_groups[g].year) == year)
                    .map(|q| q.enrolled_on)
                    .min()
                    .unwrap();
                if s.phase != Phase::Nursery && p.enrolled_on > first + time::Duration::days(14) {
                    any_moved = true;
                }
                assert!((1..=3).contains(&p.contacts.len()));
            }
            if s.phase == Phase::Secondary {
                let taught = s.pupils.iter().filter(|p| p.taught_by.len() >= 2).count();
                assert!(taught * 10 >= s.pupils.len() * 9);
            }
        }
        let primaries_with_nursery = la
            .schools
            .iter()
            .filter(|s| {
                s.phase == Phase::Primary
                    && s.reg_groups.iter().any(|g| g.year == YearGroup::Nursery2)
            })
            .count();
        assert_eq!(primaries_with_nursery, 1);
    }
    assert_eq!(academies, 1);
    assert_eq!(sixth_forms, 1);
    assert!(any_moved, "some pupils joined part way through");
}

#[test]
fn contacts_and_accounts() {
    for (i, today) in DAYS.iter().enumerate() {
        let ds = demo(*today, 500 + i as u64);
        let mut restricted_account = false;
        let mut no_pr_account = false;
        let mut sibling_account = false;
        let mut restricted = 0;
        for la in &ds.authorities {
            for s in &la.schools {
                // Contacts with accounts, keyed by e-mail, with the pupils they cover.
                let mut accounts: BTreeMap<&str, Vec<&PupilSpec>> = BTreeMap::new();
                for p in &s.pupils {
                    for c in &p.contacts {
                        if c.restricted {
                            restricted += 1;
                        }
                        if c.account {
                            let email = c.email.as_deref().expect("account needs email");
                            accounts.entry(email).or_default().push(p);
                            restricted_account |= c.restricted;
                            no_pr_account |= !c.parental_responsibility;
                        }
                    }
                }
                assert!(
                    (2..=4).contains(&accounts.len()),
                    "{} {}",
                    s.name,
                    accounts.len()
                );
                for kids in accounts.values() {
                    if kids.len() >= 2 {
                        sibling_account = true;
                        assert!(
                            kids.iter()
                                .all(|k| k.legal_surname == kids[0].legal_surname)
                        );
                        assert!(kids.iter().all(|k| k.contacts == kids[0].contacts));
                    }
                }
            }
        }
        assert!(restricted_account && no_pr_account && sibling_account);
        assert!(restricted >= 2);
    }
}

#[test]
fn names_and_emails() {
    let ds = demo(DAYS[0], 9);
    // Every signing-in person has their own e-mail address.
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    let mut claim = |email: &str, name: &str| {
        let parsed = Email::parse(email).unwrap();
        assert_eq!(parsed.as_str(), email, "already normalised");
        assert!(
            email.ends_with(".example") || email.ends_with("@example.net"),
            "{email}"
        );
        PersonName::parse(name).unwrap();
        if let Some(prev) = people.insert(email.to_owned(), name.to_owned()) {
            assert_eq!(prev, name, "{email} shared by different people");
            return false;
        }
        true
    };
    for p in &ds.admins {
        assert!(claim(&p.email, &p.name));
    }
    for la in &ds.authorities {
        for p in la.officers.iter().chain(&la.specialists) {
            assert!(claim(&p.email, &p.name));
        }
        for s in &la.schools {
            for st in &s.staff {
                assert!(
                    claim(&st.person.email, &st.person.name),
                    "{}",
                    st.person.email
                );
            }
        }
    }
    // Contacts: the same address only ever belongs to the same contact (siblings).
    for la in &ds.authorities {
        for s in &la.schools {
            for p in &s.pupils {
                PersonName::parse(&p.legal_forename).unwrap();
                PersonName::parse(&p.legal_surname).unwrap();
                for c in &p.contacts {
                    PersonName::parse(&c.name).unwrap();
                    if let Some(e) = &c.email {
                        claim(e, &c.name);
                    }
                    if let Some(phone) = &c.phone {
                        assert!(
                            phone.starts_with("07700 900")
                                || phone.starts_with("029 2018 0")
                                || phone.contains(" 496 0"),
                            "{phone}"
                        );
                    }
                }
            }
        }
    }
    // Staff e-mails use the school's own domain.
    let oakfield = &ds.authorities[0].schools[1];
    assert!(
        oakfield
            .staff
            .iter()
            .all(|s| s.person.email.ends_with("@oakfield-primary.example"))
    );
}

#[test]
fn welsh_names_more_common_in_wales() {
    let ds = demo(DAYS[0], 3);
    let welsh_names = [
        "Seren", "Cerys", "Ffion", "Osian", "Cai", "Ioan", "Efa", "Alys", "Mali", "Gruffudd",
        "Tomos", "Elis",
    ];
    let count = |la: usize| {
        ds.authorities[la]
            .schools
            .iter()
            .flat_map(|s| &s.pupils)
            .filter(|p| welsh_names.contains(&p.legal_forename.as_str()))
            .count()
    };
    assert!(
        count(1) > 3 * count(0).max(1),
        "{} vs {}",
        count(1),
        count(0)
    );
}

#[test]
fn terms_are_realistic() {
    let ds = demo(date!(2025 - 10 - 01), 0);
    let terms = &ds.authorities[0].terms;
    let this_year: Vec<&DateRange> = terms
        .iter()
        .filter(|t| t.start >= date!(2025 - 09 - 01) && t.end <= date!(2026 - 08 - 31))
        .collect();
    assert_eq!(this_year.len(), 6);
    assert_eq!(this_year[0].start, date!(2025 - 09 - 02));
    assert_eq!(this_year[0].end, date!(2025 - 10 - 24));
    assert_eq!(this_year[1].end, date!(2025 - 12 - 19));
    assert_eq!(this_year[2].start, date!(2026 - 01 - 05));
    assert_eq!(this_year[5].end, date!(2026 - 07 - 22));
}

#[test]
fn invariants_hold_across_dates_and_seeds() {
    let mut today = date!(2018 - 01 - 15);
    for seed in 0..40u64 {
        today += time::Duration::days(83);
        let ds = demo(today, seed.wrapping_mul(0x1234_5678_9abc));
        let ay = academic_year_start(today);
        let n = pupils(&ds).count();
        assert!((1400..=1700).contains(&n), "{today} {seed}: {n} pupils");
        let mut upns = BTreeSet::new();
        let (mut restricted, mut no_pr, mut siblings) = (false, false, false);
        for (school, p) in pupils(&ds) {
            for upn in p.upn.iter().chain(&p.former_upn) {
                assert!(upns.insert(upn.as_str().to_owned()), "{today} {seed} {upn}");
            }
            let year = school.reg_groups[p.reg_group.unwrap()].year;
            assert_eq!(nc_year(p.dob, ay), Some(year), "{today} {seed}");
            assert!(
                p.enrolled_on <= today && p.enrolled_on > p.dob,
                "{today} {seed} {p:?}"
            );
            for c in p.contacts.iter().filter(|c| c.account) {
                restricted |= c.restricted;
                no_pr |= !c.parental_responsibility;
                siblings |= school
                    .pupils
                    .iter()
                    .filter(|q| q.contacts.iter().any(|d| d.account && d.email == c.email))
                    .count()
                    >= 2;
            }
        }
        assert!(restricted && no_pr && siblings, "{today} {seed}");
        for la in &ds.authorities {
            for s in &la.schools {
                for c in &s.closures {
                    assert!(la.terms.iter().any(|t| t.contains(c.start)));
                }
            }
        }
    }
}
