//! A whole synthetic local authority for `senco generate`: many schools built with the
//! demo's school builder, and for each pupil on the SEN register a made-up history
//! (stages, needs, a concern, two or three plans with targets and reviews, provision with
//! its delivery log, a specialist's involvement).
//!
//! Pure: everything comes from the options and `today`; the same options give the same
//! dataset (and the same UPNs).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use senco_domain::Date;
use senco_domain::framework::Stage;
use senco_domain::school::{Country, FrameworkKey, Phase};
use time::Duration;

use crate::calendar::ymd;
use crate::names::{ENGLAND_MIX, pick_weighted};
use crate::plan::{AuthorityPlan, GroupPlan, SchoolPlan, lettered_classes, tutor_groups};
use crate::registry::Registry;
use crate::{Dataset, GenerateOptions, PupilSpec, derive_seed, school};

/// Share of pupils on SEN support (the 2014 successor of School Action and Action Plus).
pub const SUPPORT_SHARE: f64 = 0.12;
/// Share of pupils with an EHC plan (the 2014 successor of a statement).
pub const PLAN_SHARE: f64 = 0.03;

/// Primary needs of pupils on SEN support, weighted roughly as in England's published
/// statistics (speech and language and social, emotional and mental health lead).
const SUPPORT_NEEDS: &[(&str, u32)] = &[
    ("SLCN", 24),
    ("SEMH", 20),
    ("MLD", 18),
    ("SPLD", 13),
    ("ASD", 9),
    ("OTH", 4),
    ("PD", 3),
    ("NSA", 2),
    ("HI", 2),
    ("VI", 1),
    ("SLD", 1),
];

/// Primary needs of pupils with an EHC plan (autism leads).
const PLAN_NEEDS: &[(&str, u32)] = &[
    ("ASD", 32),
    ("SLCN", 21),
    ("SEMH", 14),
    ("SLD", 9),
    ("MLD", 7),
    ("PD", 5),
    ("SPLD", 4),
    ("PMLD", 2),
    ("HI", 2),
    ("VI", 1),
    ("MSI", 1),
    ("OTH", 2),
];

/// How a pupil's SEN record was made up.
#[derive(Debug, Clone)]
pub struct SenSpec {
    /// The stage history, oldest first (England 2014: SEN support, then an EHC plan).
    pub stages: Vec<(Stage, Date)>,
    /// Need codes, primary first.
    pub needs: Vec<&'static str>,
    /// The concern that led to the first stage, raised on this date.
    pub concern_on: Date,
    /// Plans, oldest first; all but the last were reviewed and closed.
    pub plans: Vec<PlanSpec>,
    /// Indices into the school's provision catalogue (see `PROVISION_CATALOGUE`), with the
    /// allocation's dates.
    pub allocations: Vec<(usize, Date, Date)>,
    /// A specialist involved: 0 the educational psychologist, 1 the speech and language
    /// therapist.
    pub involvement: Option<usize>,
}

/// A plan of a pupil.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    pub stage: Stage,
    pub starts_on: Date,
    pub review_on: Date,
    /// Indices into the caller's target bank (three or four).
    pub targets: Vec<usize>,
    /// The review that closed it, with an outcome per target (`achieved`, ...).
    pub review: Option<(Date, Vec<&'static str>)>,
}

/// A concern awaiting triage for a pupil not on the register.
#[derive(Debug, Clone, Copy)]
pub struct OpenConcern {
    pub raised_on: Date,
}

/// A generated authority: the dataset, and per school and pupil the SEN facts.
#[derive(Debug, Clone)]
pub struct Authority {
    pub dataset: Dataset,
    /// `sen[school][pupil]`, aligned with the dataset's only authority's schools.
    pub sen: Vec<Vec<Option<SenSpec>>>,
    /// `concerns[school][pupil]`.
    pub concerns: Vec<Vec<Option<OpenConcern>>>,
}

/// Provision every generated school offers: name, kind, area, sessions a week, minutes.
pub const PROVISION_CATALOGUE: &[(&str, &str, &str, i64, i64)] = &[
    (
        "Reading catch-up group",
        "small_group",
        "cognition_and_learning",
        3,
        30,
    ),
    (
        "Talk Boost language group",
        "teaching_programme",
        "communication_and_interaction",
        2,
        20,
    ),
    (
        "Emotional literacy support",
        "one_to_one",
        "social_emotional_mental_health",
        1,
        30,
    ),
    (
        "Precision teaching in number",
        "one_to_one",
        "cognition_and_learning",
        3,
        15,
    ),
];

const TOWNS: &[&str] = &[
    "Ashby",
    "Bramley",
    "Carlton",
    "Denholme",
    "Eastwood",
    "Fairfield",
    "Greenhill",
    "Hatton",
    "Ingleby",
    "Kirkby",
    "Langley",
    "Marston",
    "Newbold",
    "Oakley",
    "Preston",
    "Ravenscar",
    "Stanton",
    "Thornley",
    "Upton",
    "Whitley",
    "Yardley",
    "Allerton",
    "Bishopsgate",
    "Castleford",
];

/// Builds a whole English local authority with `opts.schools` schools (about one in six
/// secondary) and about `opts.pupils` pupils, with SEN records for about 15% of them.
pub fn generate(today: Date, opts: &GenerateOptions) -> Authority {
    let schools = opts.schools.max(1);
    let secondaries = (schools / 6).max(usize::from(schools > 1));
    let primaries = schools - secondaries;
    // Secondaries hold about 45% of the pupils when there are any primaries.
    let secondary_pupils = if primaries == 0 {
        opts.pupils
    } else if secondaries == 0 {
        0
    } else {
        opts.pupils * 45 / 100
    };
    let primary_pupils = opts.pupils - secondary_pupils;
    let frameworks = vec![(FrameworkKey::England2014, ymd(2014, 9, 1))];
    let mut plans = Vec::new();
    for i in 0..schools {
        let secondary = i >= primaries;
        let town = TOWNS[i % TOWNS.len()];
        let round = i / TOWNS.len();
        let (name, groups, extra, phase) = if secondary {
            let per_school = secondary_pupils / secondaries.max(1);
            // Years 7-11 and a smaller sixth form.
            let per_year = (per_school / 6).max(10);
            let forms = per_year.div_ceil(28).max(1);
            let size = (per_year / forms).max(5);
            (
                format!("{town} Academy{}", suffix(round)),
                tutor_groups(forms, size, (forms / 3).max(1), size / 2 + 5),
                forms * 3,
                Phase::Secondary,
            )
        } else {
            let per_school = primary_pupils / primaries.max(1);
            let per_year = (per_school / 7).max(5);
            let forms = per_year.div_ceil(30).max(1);
            let size = (per_year / forms).max(3);
            (
                format!("{town} Primary School{}", suffix(round)),
                lettered_classes(forms, size),
                0,
                Phase::Primary,
            )
        };
        let groups: Vec<GroupPlan> = groups;
        plans.push(SchoolPlan {
            urn: 200_000 + i as u32,
            estab: if secondary { 4000 } else { 2000 } + i as u16,
            name,
            domain: format!("school{i}.generated.example"),
            phase,
            maintained: i % 3 != 0,
            frameworks: frameworks.clone(),
            mix: ENGLAND_MIX,
            welsh_medium: false,
            groups,
            extra_teachers: extra,
            showcase: false,
        });
    }
    // Whole classes round the sizes down: scale every class so the plans hold the total.
    let planned: usize = plans.iter().flat_map(|p| &p.groups).map(|g| g.size).sum();
    if planned > 0 {
        for g in plans.iter_mut().flat_map(|p| p.groups.iter_mut()) {
            g.size = ((g.size * opts.pupils) as f64 / planned as f64)
                .round()
                .max(1.0) as usize;
        }
    }
    let plan = AuthorityPlan {
        code: 886,
        name: "Greater Fernshire Council".to_owned(),
        country: Country::England,
        domain: "fernshire.example".to_owned(),
        nhs_domain: "fernshire-nhs.example".to_owned(),
        mix: ENGLAND_MIX,
        other_las: &[202, 330, 373, 380, 850, 919, 925, 936],
        schools: plans,
    };
    let mut registry = Registry::default();
    let authority = school::build_authority(&plan, today, derive_seed(opts.seed, 0), &mut registry);
    let mut rng = StdRng::seed_from_u64(derive_seed(opts.seed, u64::MAX));
    let admins = vec![school::random_person(
        &mut rng,
        &mut registry,
        ENGLAND_MIX,
        "fernshire.example",
    )];
    let mut sen = Vec::new();
    let mut concerns = Vec::new();
    for (i, s) in authority.schools.iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(derive_seed(opts.seed, 1_000_000 + i as u64));
        let (a, b) = school_sen(&mut rng, today, &s.pupils);
        sen.push(a);
        concerns.push(b);
    }
    Authority {
        dataset: Dataset {
            authorities: vec![authority],
            admins,
        },
        sen,
        concerns,
    }
}

fn suffix(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!(" {}", round + 1)
    }
}

/// Picks about 12% of a school's pupils for SEN support and 3% for an EHC plan, from those
/// who joined long enough ago to have a history, and makes up their records.
fn school_sen(
    rng: &mut StdRng,
    today: Date,
    pupils: &[PupilSpec],
) -> (Vec<Option<SenSpec>>, Vec<Option<OpenConcern>>) {
    let n = pupils.len();
    let mut eligible: Vec<usize> = (0..n)
        .filter(|&p| pupils[p].enrolled_on + Duration::days(200) < today)
        .collect();
    eligible.shuffle(rng);
    let support = ((n as f64) * SUPPORT_SHARE).round() as usize;
    let ehc = ((n as f64) * PLAN_SHARE).round() as usize;
    let mut sen = vec![None; n];
    for (k, &p) in eligible.iter().take(support + ehc).enumerate() {
        sen[p] = Some(pupil_sen(rng, today, &pupils[p], k < ehc));
    }
    let concerns = (0..n)
        .map(|p| {
            (sen[p].is_none() && rng.random_bool(0.02)).then(|| OpenConcern {
                raised_on: (today - Duration::days(rng.random_range(1..40)))
                    .max(pupils[p].enrolled_on),
            })
        })
        .collect();
    (sen, concerns)
}

fn pupil_sen(rng: &mut StdRng, today: Date, pupil: &PupilSpec, ehc: bool) -> SenSpec {
    // Plans last a term (SEN support) or two (EHC plans, reviewed at least yearly).
    let plan_days: i64 = if ehc { 150 } else { 90 };
    let want = rng.random_range(2..=3usize);
    let earliest = pupil.enrolled_on + Duration::days(30);
    let mut count = want;
    let lead = rng.random_range(10..60);
    let mut first_plan = today - Duration::days(plan_days * (count as i64 - 1) + lead);
    while count > 1 && first_plan < earliest + Duration::days(20) {
        count -= 1;
        first_plan = today - Duration::days(plan_days * (count as i64 - 1) + lead);
    }
    let first_plan = first_plan.max(earliest);
    let support_on = (first_plan - Duration::days(rng.random_range(7..28))).max(earliest);
    let concern_on = (support_on - Duration::days(rng.random_range(7..40))).max(pupil.enrolled_on);
    let mut stages = vec![(Stage::SenSupport, support_on)];
    if ehc {
        stages.push((Stage::EhcPlan, first_plan));
    }
    let stage = if ehc {
        Stage::EhcPlan
    } else {
        Stage::SenSupport
    };
    let plans = (0..count)
        .map(|k| {
            let starts_on = first_plan + Duration::days(plan_days * k as i64);
            let review_on = starts_on + Duration::days(plan_days);
            let targets_n = rng.random_range(3..=4usize);
            let mut targets: Vec<usize> = (0..TARGET_BANK_SIZE).collect();
            targets.shuffle(rng);
            targets.truncate(targets_n);
            let review = (k + 1 < count).then(|| {
                let outcomes = (0..targets_n)
                    .map(|_| {
                        pick_weighted(
                            rng,
                            &[
                                ("achieved", 45),
                                ("partly_achieved", 35),
                                ("not_achieved", 15),
                                ("no_longer_relevant", 5),
                            ],
                        )
                    })
                    .collect();
                (review_on, outcomes)
            });
            PlanSpec {
                stage,
                starts_on,
                review_on,
                targets,
                review,
            }
        })
        .collect::<Vec<_>>();
    let mut needs = vec![pick_weighted(
        rng,
        if ehc { PLAN_NEEDS } else { SUPPORT_NEEDS },
    )];
    if rng.random_bool(0.3) {
        let second = pick_weighted(rng, SUPPORT_NEEDS);
        if second != needs[0] {
            needs.push(second);
        }
    }
    let last_start = plans.last().map(|p| p.starts_on).unwrap_or(first_plan);
    let mut allocations = Vec::new();
    let allocs = rng.random_range(1..=2usize);
    let mut picks: Vec<usize> = (0..PROVISION_CATALOGUE.len()).collect();
    picks.shuffle(rng);
    for &p in picks.iter().take(allocs) {
        let from = last_start + Duration::days(rng.random_range(0..7));
        allocations.push((p, from, from + Duration::days(rng.random_range(42..84))));
    }
    let involvement = if ehc || rng.random_bool(0.25) {
        Some(if needs[0] == "SLCN" { 1 } else { 0 })
    } else {
        None
    };
    SenSpec {
        stages,
        needs,
        concern_on,
        plans,
        allocations,
        involvement,
    }
}

/// How many targets the caller's bank must hold (indices in [`PlanSpec::targets`] are below
/// this).
pub const TARGET_BANK_SIZE: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_authority_and_the_shares_hold() {
        let today = ymd(2026, 12, 1);
        let opts = GenerateOptions {
            schools: 4,
            pupils: 3_000,
            seed: 5,
        };
        let a = generate(today, &opts);
        let b = generate(today, &opts);
        let upns = |g: &Authority| -> Vec<String> {
            g.dataset.authorities[0]
                .schools
                .iter()
                .flat_map(|s| &s.pupils)
                .filter_map(|p| p.upn.as_ref().map(|u| u.as_str().to_string()))
                .collect()
        };
        assert_eq!(upns(&a), upns(&b));
        let pupils: usize = a.sen.iter().map(Vec::len).sum();
        assert!((2_700..=3_300).contains(&pupils), "{pupils}");
        let sen: Vec<&SenSpec> = a.sen.iter().flatten().flatten().collect();
        let ehc = sen
            .iter()
            .filter(|s| s.stages.last().map(|x| x.0) == Some(Stage::EhcPlan))
            .count();
        let share = |n: usize| n as f64 / pupils as f64;
        assert!((0.10..=0.14).contains(&share(sen.len() - ehc)));
        assert!((0.02..=0.04).contains(&share(ehc)));
        for s in &sen {
            assert!((1..=3).contains(&s.plans.len()));
            for (k, p) in s.plans.iter().enumerate() {
                assert!((3..=4).contains(&p.targets.len()));
                assert!(p.review_on > p.starts_on && p.starts_on <= today);
                assert_eq!(p.review.is_some(), k + 1 < s.plans.len());
            }
            assert!(s.stages.windows(2).all(|w| w[0].1 <= w[1].1));
            assert!(s.concern_on <= s.stages[0].1);
        }
    }
}
