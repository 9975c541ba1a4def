//! The demo's provision and outside specialists: a small catalogue per school, pupils on the
//! register allocated to it with entry (and for last year's, exit) measures, six weeks of
//! delivered sessions with a few cancellations (so some allocations show a shortfall), and
//! the authority's educational psychology and speech and language services with their
//! people. Deterministic: it depends only on the pupils' positions.

use senco_domain::Date;
use senco_domain::calendar::{DateRange, SchoolCalendar};
use senco_domain::census::AreaOfNeed;
use senco_domain::provision::{CostBasis, MeasureUnit, ProvisionKind, SessionStatus};
use senco_domain::school::Country;
use senco_domain::specialist::AgencyKind;
use senco_store::Store;
use senco_store::provision::{Allocation, Measure, NewAllocation, NewSession, ProvisionFields};
use time::{Duration, Weekday};

/// A school's facts the seeding needs.
pub(super) struct ProvisionSeed<'a> {
    pub school_id: &'a str,
    pub country: Country,
    pub terms: &'a [DateRange],
    pub closures: &'a [DateRange],
    /// Who runs the groups (the school's first teaching assistant).
    pub assistant: Option<&'a str>,
    pub senco: Option<&'a str>,
    /// The authority's specialists: (account id, name, email); the first is the
    /// educational psychologist, the second the speech and language therapist.
    pub specialists: &'a [(String, String, String)],
    pub today: Date,
    pub now: time::OffsetDateTime,
}

struct Entry {
    name: &'static str,
    kind: ProvisionKind,
    area: AreaOfNeed,
    group: i64,
    sessions: i64,
    minutes: i64,
    basis: CostBasis,
    pence: i64,
    gain: Option<f64>,
    days: &'static [Weekday],
}

const CATALOGUE: [Entry; 4] = [
    Entry {
        name: "Reading catch-up group",
        kind: ProvisionKind::SmallGroup,
        area: AreaOfNeed::CognitionAndLearning,
        group: 4,
        sessions: 3,
        minutes: 30,
        basis: CostBasis::StaffTime,
        pence: 1650,
        gain: Some(6.0),
        days: &[Weekday::Monday, Weekday::Wednesday, Weekday::Friday],
    },
    Entry {
        name: "Talk Boost language group",
        kind: ProvisionKind::TeachingProgramme,
        area: AreaOfNeed::CommunicationAndInteraction,
        group: 6,
        sessions: 2,
        minutes: 20,
        basis: CostBasis::StaffTime,
        pence: 1650,
        gain: None,
        days: &[Weekday::Tuesday, Weekday::Thursday],
    },
    Entry {
        name: "Sensory circuit",
        kind: ProvisionKind::SmallGroup,
        area: AreaOfNeed::SensoryAndOrPhysical,
        group: 5,
        sessions: 5,
        minutes: 15,
        basis: CostBasis::StaffTime,
        pence: 1650,
        gain: None,
        days: &[
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ],
    },
    Entry {
        name: "Writing slope and pencil grips",
        kind: ProvisionKind::Equipment,
        area: AreaOfNeed::SensoryAndOrPhysical,
        group: 1,
        sessions: 0,
        minutes: 0,
        basis: CostBasis::PerItem,
        pence: 2499,
        gain: None,
        days: &[],
    },
];

/// Seeds the catalogue, allocations for `pupils` (ids of pupils on the register with their
/// positions in the school) and the agencies.
pub(super) async fn seed(
    tx: &mut senco_store::Tx,
    s: &ProvisionSeed<'_>,
    pupils: &[(String, usize)],
) -> anyhow::Result<()> {
    let calendar = SchoolCalendar::new(s.country, s.terms.to_vec(), s.closures.to_vec());
    let mut ids = Vec::new();
    for e in &CATALOGUE {
        let id = Store::insert_provision(
            tx,
            s.school_id,
            &ProvisionFields {
                name: e.name.to_string(),
                kind: e.kind,
                area: e.area,
                description: String::new(),
                staff_role: if e.sessions > 0 {
                    "Teaching assistant".into()
                } else {
                    String::new()
                },
                staff_user_id: (e.sessions > 0)
                    .then(|| s.assistant.map(str::to_string))
                    .flatten(),
                group_size: e.group,
                sessions_per_week: e.sessions,
                minutes_per_session: e.minutes,
                cost_basis: e.basis,
                cost_pence: e.pence,
                expected_gain: e.gain,
                active: true,
            },
            s.now,
        )
        .await?;
        ids.push(id);
    }
    let reading_age = Measure {
        name: "Reading age".into(),
        unit: MeasureUnit::Months,
    };
    for (pupil_id, i) in pupils {
        let which = i % CATALOGUE.len();
        let entry = &CATALOGUE[which];
        // This term's allocation: six weeks in, six to go.
        let from = s.today - Duration::days(42);
        let to = s.today + Duration::days(42);
        let measure = (which == 0).then_some(&reading_age);
        let entry_value = 70.0 + ((i * 7) % 20) as f64;
        let id = Store::insert_allocation(
            tx,
            &NewAllocation {
                provision_id: &ids[which],
                pupil_id,
                school_id: s.school_id,
                from_on: from,
                to_on: to,
                sessions_per_week: entry.sessions,
                targets: &[],
                measure,
                entry: measure.map(|_| (entry_value, from)),
                created_by: s.senco,
            },
            s.now,
        )
        .await?;
        let current = allocation(&id, &ids[which], pupil_id, s.school_id, from, to);
        // Every seventh pupil's sessions were cut short by the school: a shortfall shows.
        let cancel_every = if i % 7 == 0 { 3 } else { 0 };
        record(tx, s, &calendar, &current, entry, cancel_every, *i).await?;
        // Half of the reading group also had it last year, with exit scores.
        if which == 0 && i % 2 == 0 {
            let from = s.today - Duration::days(300);
            let to = s.today - Duration::days(230);
            let gain = 3.0 + ((i * 5) % 8) as f64;
            let id = Store::insert_allocation(
                tx,
                &NewAllocation {
                    provision_id: &ids[0],
                    pupil_id,
                    school_id: s.school_id,
                    from_on: from,
                    to_on: to,
                    sessions_per_week: entry.sessions,
                    targets: &[],
                    measure: Some(&reading_age),
                    entry: Some((entry_value - 8.0, from)),
                    created_by: s.senco,
                },
                s.now,
            )
            .await?;
            Store::update_allocation_end(
                tx,
                &id,
                1,
                to,
                Some((entry_value - 8.0 + gain, to)),
                s.now,
            )
            .await?;
            let old = allocation(&id, &ids[0], pupil_id, s.school_id, from, to);
            record(tx, s, &calendar, &old, entry, 0, *i).await?;
        }
    }
    // The authority's services, with its specialists as their people.
    for (kind, name, specialist) in [
        (
            AgencyKind::EducationalPsychology,
            "Educational Psychology Service",
            s.specialists.first(),
        ),
        (
            AgencyKind::SpeechAndLanguageTherapy,
            "Speech and Language Therapy Service",
            s.specialists.get(1),
        ),
    ] {
        let agency_id =
            Store::insert_agency(tx, s.school_id, kind, name, None, None, s.now).await?;
        if let Some((_, person, email)) = specialist {
            let agency = senco_store::specialists::Agency {
                id: agency_id,
                school_id: s.school_id.to_string(),
                kind,
                name: name.to_string(),
                email: None,
                phone: None,
            };
            let role = match kind {
                AgencyKind::EducationalPsychology => "Educational psychologist",
                _ => "Speech and language therapist",
            };
            Store::insert_person(tx, &agency, person, role, Some(email), s.now).await?;
        }
    }
    Ok(())
}

fn allocation(
    id: &str,
    provision: &str,
    pupil: &str,
    school: &str,
    from: Date,
    to: Date,
) -> Allocation {
    Allocation {
        id: id.to_string(),
        provision_id: provision.to_string(),
        provision_name: String::new(),
        pupil_id: pupil.to_string(),
        pupil_name: String::new(),
        pupil_date_of_birth: from,
        pupil_year_override: None,
        school_id: school.to_string(),
        from_on: from,
        to_on: to,
        sessions_per_week: 0,
        targets: Vec::new(),
        measure: None,
        entry: None,
        exit: None,
        version: 1,
    }
}

/// Records the sessions of an allocation up to yesterday on its days of the week, on
/// school days only: every `cancel_every`-th cancelled by the school, a few missed.
async fn record(
    tx: &mut senco_store::Tx,
    s: &ProvisionSeed<'_>,
    calendar: &SchoolCalendar,
    a: &Allocation,
    entry: &Entry,
    cancel_every: usize,
    i: usize,
) -> anyhow::Result<()> {
    let last = (s.today - Duration::days(1)).min(a.to_on);
    let mut d = a.from_on;
    let mut n = 0usize;
    while d <= last {
        if entry.days.contains(&d.weekday()) && calendar.is_school_day(d) {
            n += 1;
            let (status, minutes, reason) = if cancel_every > 0 && n.is_multiple_of(cancel_every) {
                (
                    SessionStatus::Cancelled,
                    0,
                    Some("Teaching assistant covering a class"),
                )
            } else if (n + i).is_multiple_of(11) {
                (SessionStatus::PupilAbsent, entry.minutes, None)
            } else {
                (SessionStatus::Delivered, entry.minutes, None)
            };
            Store::insert_delivery_session(
                tx,
                &NewSession {
                    allocation: a,
                    on: d,
                    minutes,
                    status,
                    reason,
                    recorded_by: s.assistant,
                },
                s.now,
            )
            .await?;
        }
        d += Duration::days(1);
    }
    Ok(())
}
