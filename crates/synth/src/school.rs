//! Turns authority and school plans into people: staff, registration
//! groups, pupils with UPNs and dates of birth matching their year group,
//! households of contacts (shared by siblings), parent accounts, teaching
//! links and INSET closures.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng};
use senco_domain::Date;
use senco_domain::calendar::DateRange;
use senco_domain::person::{CorrespondenceLanguage, Sex};
use senco_domain::role::Role;
use senco_domain::school::{Country, Phase};
use senco_domain::upn::Upn;
use senco_domain::year_group::{YearGroup, academic_year_start, nc_year};

use crate::calendar::{self, academic_year_terms, add_days, first_day_of_year, ymd};
use crate::names::{self, Origin, pick, pick_weighted, slug};
use crate::plan::{AuthorityPlan, SchoolPlan, year_code, year_index};
use crate::registry::Registry;
use crate::{
    AuthoritySpec, ContactSpec, PersonSpec, PupilSpec, RegGroupSpec, SchoolSpec, StaffSpec,
    derive_seed,
};

/// Builds one authority and all its schools from `plan`.
pub(crate) fn build_authority(
    plan: &AuthorityPlan,
    today: Date,
    seed: u64,
    registry: &mut Registry,
) -> AuthoritySpec {
    let year = academic_year_start(today);
    let terms = (year - 1..=year + 1)
        .flat_map(|y| academic_year_terms(plan.country, y))
        .collect();

    let mut rng = StdRng::seed_from_u64(derive_seed(seed, u64::MAX));
    let officers = vec![random_person(&mut rng, registry, plan.mix, &plan.domain)];
    let specialists = vec![
        // Educational psychologist, employed by the authority.
        random_person(&mut rng, registry, plan.mix, &plan.domain),
        // Speech and language therapist, employed by the NHS.
        random_person(&mut rng, registry, plan.mix, &plan.nhs_domain),
    ];

    let schools = plan
        .schools
        .iter()
        .enumerate()
        .map(|(i, school)| {
            let mut builder = SchoolBuilder {
                rng: StdRng::seed_from_u64(derive_seed(seed, i as u64)),
                registry: &mut *registry,
                authority: plan,
                plan: school,
                today,
                year,
            };
            builder.build()
        })
        .collect();

    AuthoritySpec {
        code: plan.code,
        name: plan.name.clone(),
        country: plan.country,
        terms,
        officers,
        specialists,
        schools,
    }
}

/// A named adult with an e-mail address `f.surname@domain`.
pub(crate) fn random_person<R: Rng + ?Sized>(
    rng: &mut R,
    registry: &mut Registry,
    mix: &[(Origin, u32)],
    domain: &str,
) -> PersonSpec {
    let sex = names::random_sex(rng);
    person_of_sex(rng, registry, mix, domain, sex)
}

fn person_of_sex<R: Rng + ?Sized>(
    rng: &mut R,
    registry: &mut Registry,
    mix: &[(Origin, u32)],
    domain: &str,
    sex: Sex,
) -> PersonSpec {
    let origin = pick_weighted(rng, mix);
    let forename = names::adult_forename(rng, origin, sex);
    let base = names::surname(rng, origin);
    let surname = names::gendered_surname(&base, origin, sex);
    let initial: String = slug(&forename, '-').chars().take(1).collect();
    let local = format!("{initial}.{}", slug(&surname, '-'));
    PersonSpec {
        name: format!("{forename} {surname}"),
        email: registry.email(&local, domain),
    }
}

/// The contacts of one household; siblings point at the same household.
#[derive(Debug, Clone)]
struct Household {
    contacts: Vec<ContactSpec>,
    members: usize,
    looked_after: bool,
}

/// A pupil being built, with the extra facts needed while building.
struct Draft {
    pupil: PupilSpec,
    origin: Origin,
    household: usize,
    year_index: i32,
}

struct SchoolBuilder<'a> {
    rng: StdRng,
    registry: &'a mut Registry,
    authority: &'a AuthorityPlan,
    plan: &'a SchoolPlan,
    today: Date,
    /// Start year of the academic year containing `today`.
    year: i32,
}

impl SchoolBuilder<'_> {
    fn build(&mut self) -> SchoolSpec {
        let plan = self.plan;
        let mut staff = Vec::new();
        let mut add_staff = |b: &mut Self, role: Role, female: f64| {
            let sex = if b.rng.random_bool(female) {
                Sex::Female
            } else {
                Sex::Male
            };
            let person = person_of_sex(&mut b.rng, b.registry, plan.mix, &plan.domain, sex);
            staff.push(StaffSpec { person, role });
            staff.len() - 1
        };
        add_staff(self, Role::Head, 0.65);
        add_staff(self, Role::Senco, 0.85);
        add_staff(self, Role::SchoolAdmin, 0.85);

        let group_teachers: Vec<usize> = plan
            .groups
            .iter()
            .map(|_| add_staff(self, Role::Teacher, 0.75))
            .collect();
        let extra_teachers: Vec<usize> = (0..plan.extra_teachers)
            .map(|_| add_staff(self, Role::Teacher, 0.6))
            .collect();
        let ta_count = self.rng.random_range(1..=3);
        let tas: Vec<usize> = (0..ta_count)
            .map(|_| add_staff(self, Role::TeachingAssistant, 0.9))
            .collect();

        let reg_groups: Vec<RegGroupSpec> = plan
            .groups
            .iter()
            .zip(&group_teachers)
            .map(|(group, &teacher)| {
                let name = group.name.clone().unwrap_or_else(|| {
                    let surname = staff[teacher].person.name.rsplit(' ').next().unwrap_or("X");
                    let initial = slug(surname, '-')
                        .chars()
                        .next()
                        .unwrap_or('x')
                        .to_ascii_uppercase();
                    format!("{}{initial}", year_code(group.year))
                });
                RegGroupSpec {
                    name,
                    year: group.year,
                    teacher: Some(teacher),
                }
            })
            .collect();

        let mut households = Vec::new();
        let mut drafts = Vec::new();
        for (g, group) in plan.groups.iter().enumerate() {
            let size = (group.size as i64 + self.rng.random_range(-3..=2)).max(1) as usize;
            for _ in 0..size {
                let draft = self.pupil(group.year, g, &mut households);
                drafts.push(draft);
            }
        }

        self.pair_siblings(&mut drafts, &mut households);
        self.assign_accounts(&mut drafts, &mut households);
        self.assign_teaching(
            &mut drafts,
            &reg_groups,
            &group_teachers,
            &extra_teachers,
            &tas,
        );

        let pupils = drafts
            .into_iter()
            .map(|mut d| {
                d.pupil.contacts = households[d.household].contacts.clone();
                d.pupil
            })
            .collect();

        SchoolSpec {
            urn: plan.urn,
            estab: plan.estab,
            name: plan.name.clone(),
            phase: plan.phase,
            maintained: plan.maintained,
            frameworks: plan.frameworks.clone(),
            closures: self.closures(),
            staff,
            reg_groups,
            pupils,
        }
    }

    fn closures(&mut self) -> Vec<DateRange> {
        let mut candidates = calendar::inset_candidates(self.authority.country, self.year);
        candidates.shuffle(&mut self.rng);
        let count = self.rng.random_range(1..=3);
        let mut days: Vec<Date> = candidates.into_iter().take(count).collect();
        days.sort();
        days.into_iter()
            .map(|d| DateRange { start: d, end: d })
            .collect()
    }

    /// The lowest year group the school admits into.
    fn entry_index(&self) -> i32 {
        self.plan
            .groups
            .iter()
            .map(|g| year_index(g.year))
            .min()
            .unwrap_or(2)
    }

    fn pupil(&mut self, year: YearGroup, group: usize, households: &mut Vec<Household>) -> Draft {
        let plan = self.plan;
        let origin = pick_weighted(&mut self.rng, plan.mix);
        let sex = names::random_sex(&mut self.rng);
        let legal_forename = names::child_forename(&mut self.rng, origin, sex);
        let base_surname = names::surname(&mut self.rng, origin);
        let legal_surname = names::gendered_surname(&base_surname, origin, sex);
        let dob = self.dob(year);
        let looked_after = self.rng.random_bool(0.012);
        let eal = self.rng.random_bool(origin.eal_probability());
        let fsm = self.rng.random_bool(if looked_after { 0.6 } else { 0.24 });
        let language = self.language(origin);

        let mut preferred_forename = None;
        let known_as = names::preferred_forename(&mut self.rng, &legal_forename, origin, sex);
        if known_as.is_some() && self.rng.random_bool(0.35) {
            preferred_forename = known_as;
        } else if self.rng.random_bool(0.004) {
            let other = if sex == Sex::Female {
                Sex::Male
            } else {
                Sex::Female
            };
            preferred_forename = Some(names::child_forename(&mut self.rng, origin, other));
        }
        let mut preferred_surname = None;
        if self.rng.random_bool(0.015) {
            let other = names::surname(&mut self.rng, origin);
            let other = names::gendered_surname(&other, origin, sex);
            if other != legal_surname {
                preferred_surname = Some(other);
            }
        }

        let (upn, former_upn, enrolled_on) = self.admission(year, dob);

        let contacts = self.household_contacts(origin, &base_surname, looked_after);
        households.push(Household {
            contacts,
            members: 1,
            looked_after,
        });

        Draft {
            pupil: PupilSpec {
                upn,
                former_upn,
                legal_forename,
                legal_surname,
                preferred_forename,
                preferred_surname,
                dob,
                sex,
                reg_group: Some(group),
                enrolled_on,
                looked_after,
                eal,
                fsm,
                language,
                contacts: Vec::new(),
                taught_by: Vec::new(),
            },
            origin,
            household: households.len() - 1,
            year_index: year_index(year),
        }
    }

    fn language(&mut self, origin: Origin) -> CorrespondenceLanguage {
        if self.authority.country != Country::Wales {
            return CorrespondenceLanguage::English;
        }
        let p = match (origin == Origin::Welsh, self.plan.welsh_medium) {
            (true, true) => 0.4,
            (false, true) => 0.08,
            (true, false) => 0.3,
            (false, false) => 0.04,
        };
        if self.rng.random_bool(p) {
            CorrespondenceLanguage::Welsh
        } else {
            CorrespondenceLanguage::English
        }
    }

    /// A date of birth placing the pupil in `year` for the current
    /// academic year, as judged by `nc_year`.
    fn dob(&mut self, year: YearGroup) -> Date {
        let ay = self.year;
        // Find the birth cohort (1 Sept to 31 Aug) that `nc_year` maps to `year`.
        let offset = (1..=25)
            .find(|k| nc_year(ymd(ay - k, 12, 1), ay) == Some(year))
            .unwrap_or(year_index(year) + 3);
        let start = ymd(ay - offset, 9, 1);
        let days = (ymd(ay - offset + 1, 9, 1) - start).whole_days();
        let mut dob = start;
        for _ in 0..8 {
            dob = add_days(start, self.rng.random_range(0..days));
            if nc_year(dob, ay) == Some(year) {
                break;
            }
        }
        dob
    }

    /// UPN, former UPN and enrolment date for a new pupil in `year`.
    fn admission(&mut self, year: YearGroup, dob: Date) -> (Option<Upn>, Option<Upn>, Date) {
        let la = self.authority.code;
        let estab = self.plan.estab;
        let idx = year_index(year);
        let entry_idx = self.entry_index();
        let entry_year = self.year - (idx - entry_idx).max(0);
        // Academic year in which the pupil started Reception.
        let reception_year = self.year - (idx - 2);

        let (upn, enrolled_on) = match self.plan.phase {
            Phase::Nursery => {
                let started = if idx > entry_idx || self.rng.random_bool(0.3) {
                    entry_year
                } else {
                    self.year
                };
                let started = started.min(self.year);
                let enrolled = self.nursery_start(started, dob);
                let upn = if self.rng.random_bool(0.4) {
                    None
                } else {
                    self.registry.upn(la, estab, started)
                };
                (upn, enrolled)
            }
            Phase::Primary | Phase::Special | Phase::AllThrough => {
                let normal = first_day_of_year(entry_year).min(self.today);
                if idx > entry_idx && self.rng.random_bool(0.08) {
                    if let Some(moved) = self.move_date(normal) {
                        let upn = self.upn_elsewhere(reception_year);
                        (upn, moved)
                    } else {
                        (self.registry.upn(la, estab, entry_year), normal)
                    }
                } else {
                    (self.registry.upn(la, estab, entry_year), normal)
                }
            }
            Phase::Secondary => {
                let normal = first_day_of_year(entry_year).min(self.today);
                let sixth_form_joiner =
                    idx >= year_index(YearGroup::Year(12)) && self.rng.random_bool(0.2);
                let enrolled = if sixth_form_joiner {
                    let joined = self.year - (idx - year_index(YearGroup::Year(12)));
                    first_day_of_year(joined).min(self.today)
                } else if idx > entry_idx && self.rng.random_bool(0.06) {
                    self.move_date(normal).unwrap_or(normal)
                } else {
                    normal
                };
                (self.upn_elsewhere(reception_year), enrolled)
            }
        };

        let former = if upn.is_some() && self.rng.random_bool(0.006) {
            self.upn_other_la(reception_year.min(self.year))
        } else {
            None
        };
        (upn, former, enrolled_on)
    }

    /// First day of the term after the child's third birthday within the
    /// academic year `started`, never later than today.
    fn nursery_start(&self, started: i32, dob: Date) -> Date {
        let terms = academic_year_terms(self.authority.country, started);
        let term_starts = [terms[0].start, terms[2].start, terms[4].start];
        let third = ymd(dob.year() + 3, u8::from(dob.month()), dob.day().min(28));
        let preferred = term_starts
            .iter()
            .copied()
            .find(|d| *d >= third)
            .unwrap_or(term_starts[0]);
        if preferred <= self.today {
            preferred
        } else {
            term_starts
                .iter()
                .copied()
                .filter(|d| *d <= self.today)
                .max()
                .unwrap_or(self.today)
        }
    }

    /// A weekday after `normal` (by at least three weeks) and not after
    /// today, for a pupil who joined part way through.
    fn move_date(&mut self, normal: Date) -> Option<Date> {
        let earliest = add_days(normal, 21);
        let span = (self.today - earliest).whole_days();
        if span <= 0 {
            return None;
        }
        let date = add_days(earliest, self.rng.random_range(0..=span));
        let date = calendar::weekday_on_or_before(date);
        (date > normal && date <= self.today).then_some(date)
    }

    /// A UPN allocated by a primary school: usually one in this authority
    /// (a demo school or another local primary), sometimes elsewhere.
    fn upn_elsewhere(&mut self, reception_year: i32) -> Option<Upn> {
        if self.rng.random_bool(0.07) {
            return self.upn_other_la(reception_year);
        }
        let la = self.authority.code;
        let local: Vec<u16> = self
            .authority
            .schools
            .iter()
            .filter(|s| s.phase == Phase::Primary && s.estab != self.plan.estab)
            .map(|s| s.estab)
            .collect();
        let estab = if !local.is_empty() && self.rng.random_bool(0.5) {
            *pick(&mut self.rng, &local)
        } else {
            loop {
                let e = self.rng.random_range(2001..=3499);
                if !self.authority.schools.iter().any(|s| s.estab == e) {
                    break e;
                }
            }
        };
        self.registry
            .upn(la, estab, reception_year)
            .or_else(|| self.upn_other_la(reception_year))
    }

    /// A UPN allocated by a school in a different authority.
    fn upn_other_la(&mut self, year: i32) -> Option<Upn> {
        let la = loop {
            let la = *pick(&mut self.rng, self.authority.other_las);
            if la != self.authority.code {
                break la;
            }
        };
        let estab = self.rng.random_range(2001..=3499);
        self.registry.upn(la, estab, year)
    }

    fn household_contacts(
        &mut self,
        origin: Origin,
        base_surname: &str,
        looked_after: bool,
    ) -> Vec<ContactSpec> {
        if looked_after {
            let carer_origin = pick_weighted(&mut self.rng, self.authority.mix);
            let carer_sex = if self.rng.random_bool(0.8) {
                Sex::Female
            } else {
                Sex::Male
            };
            let mut contacts =
                vec![self.contact(carer_origin, None, carer_sex, "Foster carer", false, 0.9)];
            if self.rng.random_bool(0.5) {
                let mut mother =
                    self.contact(origin, Some(base_surname), Sex::Female, "Mother", true, 0.4);
                mother.restricted = self.rng.random_bool(0.4);
                contacts.push(mother);
            }
            return contacts;
        }

        let mother_surname = if self.rng.random_bool(0.75) {
            Some(base_surname)
        } else {
            None
        };
        let kind = pick_weighted(
            &mut self.rng,
            &[
                ("two-parents", 52),
                ("mother", 22),
                ("father", 4),
                ("stepfather", 6),
                ("stepmother", 1),
                ("grandparent", 6),
                ("special-guardians", 2),
                ("aunt", 1),
                ("father-no-pr", 2),
                ("two-mothers", 1),
            ],
        );
        let mut contacts = Vec::new();
        match kind {
            "two-parents" | "father-no-pr" => {
                contacts.push(self.contact(
                    origin,
                    mother_surname,
                    Sex::Female,
                    "Mother",
                    true,
                    0.85,
                ));
                let mut father =
                    self.contact(origin, Some(base_surname), Sex::Male, "Father", true, 0.55);
                if kind == "father-no-pr" {
                    father.parental_responsibility = false;
                } else if self.rng.random_bool(0.025) {
                    father.restricted = true;
                }
                if self.rng.random_bool(0.3) {
                    contacts.insert(0, father);
                } else {
                    contacts.push(father);
                }
            }
            "mother" => {
                contacts.push(self.contact(
                    origin,
                    mother_surname,
                    Sex::Female,
                    "Mother",
                    true,
                    0.85,
                ));
            }
            "father" => {
                contacts.push(self.contact(
                    origin,
                    Some(base_surname),
                    Sex::Male,
                    "Father",
                    true,
                    0.8,
                ));
            }
            "stepfather" => {
                contacts.push(self.contact(
                    origin,
                    mother_surname,
                    Sex::Female,
                    "Mother",
                    true,
                    0.85,
                ));
                contacts.push(self.contact(origin, None, Sex::Male, "Step-father", false, 0.5));
            }
            "stepmother" => {
                contacts.push(self.contact(
                    origin,
                    Some(base_surname),
                    Sex::Male,
                    "Father",
                    true,
                    0.8,
                ));
                contacts.push(self.contact(origin, None, Sex::Female, "Step-mother", false, 0.5));
            }
            "grandparent" => {
                contacts.push(self.contact(
                    origin,
                    mother_surname,
                    Sex::Female,
                    "Mother",
                    true,
                    0.85,
                ));
                let sex = names::random_sex(&mut self.rng);
                contacts.push(self.contact(
                    origin,
                    Some(base_surname),
                    sex,
                    "Grandparent",
                    false,
                    0.4,
                ));
            }
            "special-guardians" => {
                contacts.push(self.contact(
                    origin,
                    Some(base_surname),
                    Sex::Female,
                    "Grandparent",
                    true,
                    0.7,
                ));
                if self.rng.random_bool(0.6) {
                    contacts.push(self.contact(
                        origin,
                        Some(base_surname),
                        Sex::Male,
                        "Grandparent",
                        true,
                        0.4,
                    ));
                }
            }
            "aunt" => {
                contacts.push(self.contact(origin, None, Sex::Female, "Aunt", true, 0.8));
            }
            _ => {
                contacts.push(self.contact(
                    origin,
                    mother_surname,
                    Sex::Female,
                    "Mother",
                    true,
                    0.85,
                ));
                contacts.push(self.contact(origin, None, Sex::Female, "Mother", true, 0.6));
            }
        }
        if contacts.len() == 2 && self.rng.random_bool(0.005) {
            contacts[0].restricted = true;
        }
        contacts
    }

    /// One contact. `surname` is the base (masculine) form to use, or
    /// `None` for a surname of their own.
    fn contact(
        &mut self,
        origin: Origin,
        surname: Option<&str>,
        sex: Sex,
        relationship: &str,
        parental_responsibility: bool,
        email_probability: f64,
    ) -> ContactSpec {
        let forename = names::adult_forename(&mut self.rng, origin, sex);
        let base = surname
            .map(str::to_owned)
            .unwrap_or_else(|| names::surname(&mut self.rng, origin));
        let surname = names::gendered_surname(&base, origin, sex);
        let name = format!("{forename} {surname}");
        let email = self
            .rng
            .random_bool(email_probability)
            .then(|| self.contact_email(&forename, &surname));
        let phone = self.rng.random_bool(0.95).then(|| self.phone());
        ContactSpec {
            name,
            relationship: relationship.to_owned(),
            parental_responsibility,
            restricted: false,
            email,
            phone,
            account: false,
        }
    }

    fn contact_email(&mut self, forename: &str, surname: &str) -> String {
        let first = slug(forename, '-');
        let last = slug(surname, '-');
        let local = match self.rng.random_range(0..4) {
            0 => format!("{first}.{last}"),
            1 => format!("{first}{last}"),
            2 => format!("{first}.{last}{}", self.rng.random_range(1..100)),
            _ => format!(
                "{}{last}{}",
                first.chars().next().unwrap_or('x'),
                self.rng.random_range(70..100)
            ),
        };
        self.registry.email(&local, "example.net")
    }

    /// A telephone number from Ofcom's ranges reserved for drama.
    fn phone(&mut self) -> String {
        let n = self.rng.random_range(0..1000);
        if self.rng.random_bool(0.65) {
            return format!("07700 900{n:03}");
        }
        match self.authority.country {
            Country::Wales => format!("029 2018 0{n:03}"),
            Country::England => {
                let prefix = *pick(
                    &mut self.rng,
                    &[
                        "0113 496 0",
                        "0114 496 0",
                        "0115 496 0",
                        "0116 496 0",
                        "0117 496 0",
                    ],
                );
                format!("{prefix}{n:03}")
            }
        }
    }

    /// Links pupils of the same heritage in different years into one
    /// household: same surname, same contacts, same FSM and language.
    fn pair_siblings(&mut self, drafts: &mut [Draft], households: &mut [Household]) {
        let rate = match self.plan.phase {
            Phase::Nursery => 0.0,
            Phase::Secondary => 0.2,
            _ => 0.35,
        };
        let mut buckets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, d) in drafts.iter().enumerate() {
            if !d.pupil.looked_after {
                buckets.entry(d.origin as usize).or_default().push(i);
            }
        }
        for (_, mut members) in buckets {
            members.shuffle(&mut self.rng);
            for pair in members.chunks_exact(2) {
                let (a, b) = (pair[0], pair[1]);
                let compatible = drafts[a].year_index != drafts[b].year_index
                    && (!drafts[a].origin.gendered_surnames()
                        || drafts[a].pupil.sex == drafts[b].pupil.sex);
                if compatible && self.rng.random_bool(rate) {
                    make_sibling(drafts, households, a, b);
                }
            }
        }
    }

    /// Marks a few contacts per school as having a parent account. Showcase
    /// schools get a parent with two children here, a restricted contact and
    /// a contact without parental responsibility, all with accounts.
    fn assign_accounts(&mut self, drafts: &mut [Draft], households: &mut [Household]) {
        if self.plan.showcase {
            // A parent of siblings.
            let family = match households.iter().position(|h| h.members >= 2) {
                Some(h) => h,
                None => {
                    let (a, b) = (0, drafts.len() - 1);
                    make_sibling(drafts, households, a, b);
                    drafts[a].household
                }
            };
            self.open_account(households, family, |c| {
                c.parental_responsibility && !c.restricted
            });

            // A restricted contact (court order).
            let restricted = households.iter().position(|h| {
                h.members == 1
                    && h.contacts
                        .iter()
                        .any(|c| c.restricted && c.parental_responsibility)
            });
            let restricted = restricted.unwrap_or_else(|| {
                let h = households
                    .iter()
                    .position(|h| {
                        h.members == 1
                            && !h.looked_after
                            && h.contacts.len() == 2
                            && h.contacts[1].parental_responsibility
                    })
                    .unwrap_or(0);
                let last = households[h].contacts.len() - 1;
                households[h].contacts[last].restricted = true;
                households[h].contacts[last].parental_responsibility = true;
                h
            });
            self.open_account(households, restricted, |c| {
                c.restricted && c.parental_responsibility
            });

            // A contact without parental responsibility.
            let no_pr = households.iter().position(|h| {
                h.members == 1
                    && !h.looked_after
                    && h.contacts
                        .iter()
                        .any(|c| !c.parental_responsibility && !c.restricted && !c.account)
            });
            let no_pr = no_pr.unwrap_or_else(|| {
                let h = households
                    .iter()
                    .position(|h| {
                        h.members == 1 && !h.looked_after && !h.contacts.iter().any(|c| c.account)
                    })
                    .unwrap_or(0);
                let origin = drafts
                    .iter()
                    .find(|d| d.household == h)
                    .map(|d| d.origin)
                    .unwrap_or(Origin::English);
                let grandparent =
                    self.contact(origin, None, Sex::Female, "Grandparent", false, 1.0);
                households[h].contacts.push(grandparent);
                h
            });
            self.open_account(households, no_pr, |c| {
                !c.parental_responsibility && !c.restricted
            });
        } else {
            let wanted = self.rng.random_range(2..=3);
            let mut opened = 0;
            let mut order: Vec<usize> = (0..households.len()).collect();
            order.shuffle(&mut self.rng);
            for h in order {
                if opened == wanted {
                    break;
                }
                if households[h].members > 0 && !households[h].looked_after {
                    self.open_account(households, h, |c| {
                        c.parental_responsibility && !c.restricted
                    });
                    opened += 1;
                }
            }
        }

        // Ensure at least one former UPN in showcase schools.
        if self.plan.showcase && !drafts.iter().any(|d| d.pupil.former_upn.is_some()) {
            let year = self.year - 5;
            if let Some(d) = drafts.iter_mut().find(|d| d.pupil.upn.is_some()) {
                let la = loop {
                    let la = *pick(&mut self.rng, self.authority.other_las);
                    if la != self.authority.code {
                        break la;
                    }
                };
                d.pupil.former_upn = self.registry.upn(la, 2999, year);
            }
        }
    }

    /// Gives the first contact of household `h` matching `which` an account
    /// (and an e-mail address if it has none).
    fn open_account(
        &mut self,
        households: &mut [Household],
        h: usize,
        which: impl Fn(&ContactSpec) -> bool,
    ) {
        let Some(i) = households[h]
            .contacts
            .iter()
            .position(|c| which(c) && !c.account)
        else {
            return;
        };
        if households[h].contacts[i].email.is_none() {
            let name = households[h].contacts[i].name.clone();
            let (first, last) = name.split_once(' ').unwrap_or((&name, "parent"));
            let email = self.contact_email(first, last);
            households[h].contacts[i].email = Some(email);
        }
        households[h].contacts[i].account = true;
    }

    /// Fills `taught_by`: secondary pupils are taught by several subject
    /// teachers; in primary and nursery a few pupils work with a TA or
    /// another teacher in intervention groups.
    fn assign_teaching(
        &mut self,
        drafts: &mut [Draft],
        groups: &[RegGroupSpec],
        group_teachers: &[usize],
        extra_teachers: &[usize],
        tas: &[usize],
    ) {
        let all_teachers: Vec<usize> = group_teachers
            .iter()
            .chain(extra_teachers)
            .copied()
            .collect();
        let secondary = self.plan.phase == Phase::Secondary;
        // Each secondary tutor group shares a set of subject teachers.
        let group_sets: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                if !secondary {
                    return Vec::new();
                }
                let mut pool: Vec<usize> = all_teachers
                    .iter()
                    .copied()
                    .filter(|&t| Some(t) != g.teacher)
                    .collect();
                pool.shuffle(&mut self.rng);
                let n = self.rng.random_range(3..=5).min(pool.len());
                pool.truncate(n);
                pool
            })
            .collect();

        for d in drafts.iter_mut() {
            let g = d.pupil.reg_group.unwrap_or(0);
            let own = groups.get(g).and_then(|g| g.teacher);
            let mut taught = group_sets.get(g).cloned().unwrap_or_default();
            if secondary {
                if self.rng.random_bool(0.5) {
                    taught.push(*pick(&mut self.rng, &all_teachers));
                }
                if self.rng.random_bool(0.1) {
                    taught.push(*pick(&mut self.rng, tas));
                }
            } else {
                if self.rng.random_bool(0.07) {
                    taught.push(*pick(&mut self.rng, tas));
                }
                if self.rng.random_bool(0.03) && all_teachers.len() > 1 {
                    taught.push(*pick(&mut self.rng, &all_teachers));
                }
            }
            taught.retain(|&t| Some(t) != own);
            taught.sort_unstable();
            taught.dedup();
            d.pupil.taught_by = taught;
        }
    }
}

/// Moves pupil `b` into pupil `a`'s household as a sibling.
fn make_sibling(drafts: &mut [Draft], households: &mut [Household], a: usize, b: usize) {
    let old = drafts[b].household;
    let family = drafts[a].household;
    if old == family {
        return;
    }
    households[old].members -= 1;
    households[family].members += 1;
    let surname = drafts[a].pupil.legal_surname.clone();
    let preferred = drafts[a].pupil.preferred_surname.clone();
    let (fsm, eal, language) = (
        drafts[a].pupil.fsm,
        drafts[a].pupil.eal,
        drafts[a].pupil.language,
    );
    let sibling = &mut drafts[b].pupil;
    sibling.legal_surname = surname;
    sibling.preferred_surname = preferred;
    sibling.fsm = fsm;
    sibling.eal = eal;
    sibling.language = language;
    drafts[b].household = family;
}
