//! Blueprints for synthetic authorities and schools.
//!
//! A plan fixes the shape of an authority (code, name, country, schools and
//! their classes with target sizes); `school::build_authority` turns a plan
//! into people and pupils using a seeded random stream. The demo uses the
//! hand-written plans below; a large generated dataset can build plans
//! programmatically and reuse the same builder.

use senco_domain::Date;
use senco_domain::school::{Country, FrameworkKey, Phase};
use senco_domain::year_group::YearGroup;

use crate::calendar::ymd;
use crate::names::{ENGLAND_MIX, Origin, WALES_MIX, WELSH_MEDIUM_MIX};

/// Blueprint of a local authority.
#[derive(Debug, Clone)]
pub(crate) struct AuthorityPlan {
    pub code: u16,
    pub name: String,
    pub country: Country,
    /// Domain for LA staff e-mail addresses.
    pub domain: String,
    /// Domain for NHS staff working with the authority.
    pub nhs_domain: String,
    /// Heritage mix for LA staff.
    pub mix: &'static [(Origin, u32)],
    /// Other authorities pupils may have moved from.
    pub other_las: &'static [u16],
    pub schools: Vec<SchoolPlan>,
}

/// Blueprint of a school.
#[derive(Debug, Clone)]
pub(crate) struct SchoolPlan {
    pub urn: u32,
    pub estab: u16,
    pub name: String,
    /// Domain for staff e-mail addresses.
    pub domain: String,
    pub phase: Phase,
    pub maintained: bool,
    pub frameworks: Vec<(FrameworkKey, Date)>,
    /// Heritage mix of pupils and staff.
    pub mix: &'static [(Origin, u32)],
    /// Teaches mainly through the medium of Welsh.
    pub welsh_medium: bool,
    pub groups: Vec<GroupPlan>,
    /// Teachers without a registration group (secondary subject staff).
    pub extra_teachers: usize,
    /// Guarantees the special contacts used to demonstrate access rules.
    pub showcase: bool,
}

/// Blueprint of a registration group.
#[derive(Debug, Clone)]
pub(crate) struct GroupPlan {
    pub year: YearGroup,
    /// Fixed name, or `None` to name it after the teacher (`3B`).
    pub name: Option<String>,
    /// Target number of pupils (varied slightly when built).
    pub size: usize,
}

/// Ordinal of a year group: N1 = 0, N2 = 1, Reception = 2, Year n = n + 2.
pub(crate) fn year_index(year: YearGroup) -> i32 {
    match year {
        YearGroup::Nursery1 => 0,
        YearGroup::Nursery2 => 1,
        YearGroup::Reception => 2,
        YearGroup::Year(n) => i32::from(n) + 2,
    }
}

/// Short code of a year group used in class names: `N1`, `N`, `R`, `3`.
pub(crate) fn year_code(year: YearGroup) -> String {
    match year {
        YearGroup::Nursery1 => "N1".to_owned(),
        YearGroup::Nursery2 => "N".to_owned(),
        YearGroup::Reception => "R".to_owned(),
        YearGroup::Year(n) => n.to_string(),
    }
}

fn primary_years(nursery: bool) -> Vec<YearGroup> {
    let mut years = Vec::new();
    if nursery {
        years.push(YearGroup::Nursery2);
    }
    years.push(YearGroup::Reception);
    years.extend((1..=6).map(YearGroup::Year));
    years
}

/// One class per year named after trees: `Oak (Y3)`, `Hazel (R)`.
fn tree_classes(nursery: bool, size: usize, trees: &[&str]) -> Vec<GroupPlan> {
    named_classes(nursery, size, trees, |year| match year {
        YearGroup::Nursery1 | YearGroup::Nursery2 => "N".to_owned(),
        YearGroup::Reception => "R".to_owned(),
        YearGroup::Year(n) => format!("Y{n}"),
    })
}

/// Welsh-medium classes: `Derwen (Bl 3)`, `Helygen (Derbyn)`.
fn welsh_classes(nursery: bool, size: usize, trees: &[&str]) -> Vec<GroupPlan> {
    named_classes(nursery, size, trees, |year| match year {
        YearGroup::Nursery1 | YearGroup::Nursery2 => "Meithrin".to_owned(),
        YearGroup::Reception => "Derbyn".to_owned(),
        YearGroup::Year(n) => format!("Bl {n}"),
    })
}

/// One class per year named after `trees`, `{tree} ({label})`, the nursery class four
/// smaller.
fn named_classes(
    nursery: bool,
    size: usize,
    trees: &[&str],
    label: impl Fn(YearGroup) -> String,
) -> Vec<GroupPlan> {
    primary_years(nursery)
        .into_iter()
        .zip(trees)
        .map(|(year, tree)| GroupPlan {
            year,
            name: Some(format!("{tree} ({})", label(year))),
            size: if year == YearGroup::Nursery2 {
                size - 4
            } else {
                size
            },
        })
        .collect()
}

/// One class per year named after the teacher's initial: `3B`.
fn initial_classes(nursery: bool, size: usize) -> Vec<GroupPlan> {
    primary_years(nursery)
        .into_iter()
        .map(|year| GroupPlan {
            year,
            name: None,
            size,
        })
        .collect()
}

/// Primary classes `RA`, `RB`, `3A`, ... with `forms` classes per year, Reception to Year 6.
pub(crate) fn lettered_classes(forms: usize, size: usize) -> Vec<GroupPlan> {
    let mut groups = Vec::new();
    for year in primary_years(false) {
        for letter in (b'A'..).take(forms) {
            groups.push(GroupPlan {
                year,
                name: Some(format!("{}{}", year_code(year), char::from(letter))),
                size,
            });
        }
    }
    groups
}

/// Secondary tutor groups `7A`, `7B`, ... with `forms` groups per year in
/// Years 7-11 and `sixth` groups per year in Years 12-13.
pub(crate) fn tutor_groups(
    forms: usize,
    size: usize,
    sixth: usize,
    sixth_size: usize,
) -> Vec<GroupPlan> {
    let mut groups = Vec::new();
    for (years, count, size) in [(7..=11u8, forms, size), (12..=13u8, sixth, sixth_size)] {
        for n in years {
            for letter in (b'A'..).take(count) {
                groups.push(GroupPlan {
                    year: YearGroup::Year(n),
                    name: Some(format!("{n}{}", char::from(letter))),
                    size,
                });
            }
        }
    }
    groups
}

fn england_frameworks() -> Vec<(FrameworkKey, Date)> {
    vec![(FrameworkKey::England2001, ymd(2002, 1, 1))]
}

fn wales_frameworks() -> Vec<(FrameworkKey, Date)> {
    vec![
        (FrameworkKey::Wales2002, ymd(2002, 1, 1)),
        (FrameworkKey::WalesAln2021, ymd(2021, 9, 1)),
    ]
}

const ENGLISH_LAS: &[u16] = &[202, 330, 373, 380, 850, 919, 925, 936, 886];
const WELSH_LAS: &[u16] = &[660, 661, 663, 669, 670, 672, 673, 674, 681];

/// The two authorities of the demo installation.
pub(crate) fn demo_plans() -> Vec<AuthorityPlan> {
    vec![northmoor(), glannau()]
}

fn northmoor() -> AuthorityPlan {
    let frameworks = england_frameworks();
    AuthorityPlan {
        code: 886,
        name: "Northmoor County Council".to_owned(),
        country: Country::England,
        domain: "northmoor-cc.example".to_owned(),
        nhs_domain: "northmoor-nhs.example".to_owned(),
        mix: ENGLAND_MIX,
        other_las: ENGLISH_LAS,
        schools: vec![
            SchoolPlan {
                urn: 118_403,
                estab: 1003,
                name: "Little Acorns Nursery School".to_owned(),
                domain: "little-acorns-nursery.example".to_owned(),
                phase: Phase::Nursery,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: ENGLAND_MIX,
                welsh_medium: false,
                groups: vec![
                    GroupPlan {
                        year: YearGroup::Nursery1,
                        name: Some("Caterpillars (N1)".to_owned()),
                        size: 16,
                    },
                    GroupPlan {
                        year: YearGroup::Nursery2,
                        name: Some("Butterflies (N2)".to_owned()),
                        size: 14,
                    },
                    GroupPlan {
                        year: YearGroup::Nursery2,
                        name: Some("Dragonflies (N2)".to_owned()),
                        size: 14,
                    },
                ],
                extra_teachers: 0,
                showcase: false,
            },
            SchoolPlan {
                urn: 118_722,
                estab: 2148,
                name: "Oakfield Primary School".to_owned(),
                domain: "oakfield-primary.example".to_owned(),
                phase: Phase::Primary,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: ENGLAND_MIX,
                welsh_medium: false,
                groups: tree_classes(
                    true,
                    28,
                    &[
                        "Acorns", "Hazel", "Rowan", "Willow", "Oak", "Ash", "Beech", "Cedar",
                    ],
                ),
                extra_teachers: 0,
                showcase: true,
            },
            SchoolPlan {
                urn: 118_851,
                estab: 3312,
                name: "St Anne's Church of England Primary School".to_owned(),
                domain: "st-annes-primary.example".to_owned(),
                phase: Phase::Primary,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: ENGLAND_MIX,
                welsh_medium: false,
                groups: initial_classes(false, 26),
                extra_teachers: 0,
                showcase: false,
            },
            SchoolPlan {
                urn: 141_276,
                estab: 4007,
                name: "Northmoor Academy".to_owned(),
                domain: "northmoor-academy.example".to_owned(),
                phase: Phase::Secondary,
                maintained: false,
                frameworks,
                mix: ENGLAND_MIX,
                welsh_medium: false,
                groups: tutor_groups(3, 22, 1, 22),
                extra_teachers: 7,
                showcase: false,
            },
        ],
    }
}

fn glannau() -> AuthorityPlan {
    let frameworks = wales_frameworks();
    AuthorityPlan {
        code: 672,
        name: "Cyngor Bro Glannau".to_owned(),
        country: Country::Wales,
        domain: "glannau.example".to_owned(),
        nhs_domain: "glannau-nhs.example".to_owned(),
        mix: WALES_MIX,
        other_las: WELSH_LAS,
        schools: vec![
            SchoolPlan {
                urn: 401_020,
                estab: 1010,
                name: "Ysgol Feithrin Glan yr Afon".to_owned(),
                domain: "glan-yr-afon-nursery.example".to_owned(),
                phase: Phase::Nursery,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: WELSH_MEDIUM_MIX,
                welsh_medium: true,
                groups: vec![
                    GroupPlan {
                        year: YearGroup::Nursery1,
                        name: Some("Cywion (N1)".to_owned()),
                        size: 14,
                    },
                    GroupPlan {
                        year: YearGroup::Nursery2,
                        name: Some("Dreigiau (N2)".to_owned()),
                        size: 18,
                    },
                ],
                extra_teachers: 0,
                showcase: false,
            },
            SchoolPlan {
                urn: 401_188,
                estab: 2217,
                name: "Ysgol Gynradd Bryn Derw".to_owned(),
                domain: "ysgol-bryn-derw.example".to_owned(),
                phase: Phase::Primary,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: WELSH_MEDIUM_MIX,
                welsh_medium: true,
                groups: welsh_classes(
                    true,
                    22,
                    &[
                        "Cennin",
                        "Helygen",
                        "Criafolen",
                        "Bedwen",
                        "Derwen",
                        "Onnen",
                        "Ffawydden",
                        "Celynnen",
                    ],
                ),
                extra_teachers: 0,
                showcase: true,
            },
            SchoolPlan {
                urn: 401_204,
                estab: 2243,
                name: "Ashgrove Primary School".to_owned(),
                domain: "ashgrove-primary.example".to_owned(),
                phase: Phase::Primary,
                maintained: true,
                frameworks: frameworks.clone(),
                mix: WALES_MIX,
                welsh_medium: false,
                groups: initial_classes(false, 26),
                extra_teachers: 0,
                showcase: false,
            },
            SchoolPlan {
                urn: 401_377,
                estab: 4052,
                name: "Ysgol Uwchradd Glannau".to_owned(),
                domain: "ysgol-uwchradd-glannau.example".to_owned(),
                phase: Phase::Secondary,
                maintained: true,
                frameworks,
                mix: WALES_MIX,
                welsh_medium: false,
                groups: tutor_groups(3, 24, 0, 0),
                extra_teachers: 6,
                showcase: false,
            },
        ],
    }
}
