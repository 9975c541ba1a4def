//! Deterministic, realistic synthetic data for Senco.
//!
//! [`demo`] builds a small installation (two local authorities, eight
//! schools, about 1,500 pupils) for `senco demo`. Everything is derived from
//! a seed and a `today` date passed in by the caller: the crate performs no
//! I/O and never reads the clock, so the same `(today, seed)` always gives
//! an identical [`Dataset`].
//!
//! The data is fictional: people, schools and authorities are invented,
//! e-mail addresses use the reserved `.example` top-level domain and
//! `example.net`, and telephone numbers come from Ofcom's ranges reserved
//! for drama.

mod calendar;
pub mod generate;
mod names;
mod plan;
mod registry;
mod school;

use rand::SeedableRng;
use rand::rngs::StdRng;
use senco_domain::Date;
use senco_domain::calendar::DateRange;
use senco_domain::person::{CorrespondenceLanguage, Sex};
use senco_domain::role::Role;
use senco_domain::school::{Country, FrameworkKey, Phase};
use senco_domain::upn::Upn;
use senco_domain::year_group::YearGroup;

/// A whole synthetic installation.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The local authorities, each with its schools.
    pub authorities: Vec<AuthoritySpec>,
    /// Installation administrators (role `Admin`).
    pub admins: Vec<PersonSpec>,
}

/// A local authority.
#[derive(Debug, Clone)]
pub struct AuthoritySpec {
    /// DfE / Welsh Government LA code (e.g. 886).
    pub code: u16,
    /// Display name.
    pub name: String,
    /// Nation whose law applies.
    pub country: Country,
    /// Half-terms for the previous, current and next academic years
    /// (relative to `today`), oldest first.
    pub terms: Vec<DateRange>,
    /// LA SEN officers (role `LaOfficer`).
    pub officers: Vec<PersonSpec>,
    /// Specialists (role `Specialist`): in the demo the first is an
    /// educational psychologist and the second a speech and language
    /// therapist.
    pub specialists: Vec<PersonSpec>,
    /// Schools maintained by, or located in, the authority.
    pub schools: Vec<SchoolSpec>,
}

/// A school or early-years setting.
#[derive(Debug, Clone)]
pub struct SchoolSpec {
    /// Unique reference number.
    pub urn: u32,
    /// Establishment number within the authority (the `DfE number` is
    /// `code/estab`).
    pub estab: u16,
    /// Display name.
    pub name: String,
    /// Phase of education.
    pub phase: Phase,
    /// Maintained by the LA (`false` for academies).
    pub maintained: bool,
    /// Dated working frameworks, oldest first.
    pub frameworks: Vec<(FrameworkKey, Date)>,
    /// Whole-school closures in the current academic year (INSET days).
    pub closures: Vec<DateRange>,
    /// Staff with a school role.
    pub staff: Vec<StaffSpec>,
    /// Registration groups (classes, tutor groups).
    pub reg_groups: Vec<RegGroupSpec>,
    /// Pupils on roll.
    pub pupils: Vec<PupilSpec>,
}

/// A person who signs in (staff, officer, specialist, administrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSpec {
    /// Full display name.
    pub name: String,
    /// Sign-in e-mail address, unique across the dataset.
    pub email: String,
}

/// A member of school staff.
#[derive(Debug, Clone)]
pub struct StaffSpec {
    /// The person.
    pub person: PersonSpec,
    /// Their role in this school.
    pub role: Role,
}

/// A registration group (class or tutor group).
#[derive(Debug, Clone)]
pub struct RegGroupSpec {
    /// Name such as `Oak (Y3)`, `3B` or `7A`.
    pub name: String,
    /// National curriculum year of the group.
    pub year: YearGroup,
    /// Index into [`SchoolSpec::staff`] of the group's teacher (role `Teacher`).
    pub teacher: Option<usize>,
}

/// A pupil on roll at a school.
#[derive(Debug, Clone)]
pub struct PupilSpec {
    /// Permanent UPN (optional in early years).
    pub upn: Option<Upn>,
    /// A previous UPN that has been replaced.
    pub former_upn: Option<Upn>,
    /// Legal forename.
    pub legal_forename: String,
    /// Legal surname.
    pub legal_surname: String,
    /// Forename the pupil is known by, if different.
    pub preferred_forename: Option<String>,
    /// Surname the pupil is known by, if different.
    pub preferred_surname: Option<String>,
    /// Date of birth (consistent with the registration group's year).
    pub dob: Date,
    /// Sex as recorded for the school census.
    pub sex: Sex,
    /// Index into [`SchoolSpec::reg_groups`].
    pub reg_group: Option<usize>,
    /// Date the pupil joined this school.
    pub enrolled_on: Date,
    /// Looked after by a local authority.
    pub looked_after: bool,
    /// English as an additional language.
    pub eal: bool,
    /// Eligible for free school meals.
    pub fsm: bool,
    /// Language for letters home.
    pub language: CorrespondenceLanguage,
    /// Parents and carers; siblings share identical contacts.
    pub contacts: Vec<ContactSpec>,
    /// Indices into [`SchoolSpec::staff`] of teachers and teaching
    /// assistants who teach the pupil outside the registration group.
    pub taught_by: Vec<usize>,
}

/// A parent, carer or other contact of a pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSpec {
    /// Full name.
    pub name: String,
    /// Relationship to the pupil: `Mother`, `Father`, `Step-father`,
    /// `Step-mother`, `Grandparent`, `Aunt`, `Carer`, `Foster carer`.
    pub relationship: String,
    /// Holds parental responsibility.
    pub parental_responsibility: bool,
    /// Subject to a court order restricting contact or information.
    pub restricted: bool,
    /// E-mail address (`@example.net`).
    pub email: Option<String>,
    /// Telephone number (from Ofcom's drama ranges).
    pub phone: Option<String>,
    /// Has a parent sign-in account.
    pub account: bool,
}

/// Options for generating a large dataset (`senco generate`).
///
/// See [`generate::generate`].
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of schools.
    pub schools: usize,
    /// Total number of pupils.
    pub pupils: usize,
    /// Random seed.
    pub seed: u64,
}

/// Builds the demo installation: one English authority working under the
/// 2001 SEN Code of Practice (School Action / School Action Plus) and one
/// Welsh authority moving from the 2002 Code to the ALN framework, each with
/// a nursery school, two primaries and a secondary; about 1,500 pupils.
pub fn demo(today: Date, seed: u64) -> Dataset {
    let mut registry = registry::Registry::default();
    let plans = plan::demo_plans();
    let authorities = plans
        .iter()
        .enumerate()
        .map(|(i, la)| {
            school::build_authority(la, today, derive_seed(seed, i as u64), &mut registry)
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(derive_seed(seed, u64::MAX));
    let admins = vec![school::random_person(
        &mut rng,
        &mut registry,
        names::ENGLAND_MIX,
        "senco-demo.example",
    )];
    Dataset {
        authorities,
        admins,
    }
}

/// Mixes a seed with a stream number (SplitMix64 finaliser), so each
/// authority and school draws from its own independent stream.
pub(crate) fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
