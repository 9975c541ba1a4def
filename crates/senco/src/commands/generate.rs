//! `senco generate`: a synthetic local authority (150 schools, 100,000 pupils by default)
//! for load tests. The data comes from `senco_synth::generate`; it is written with the
//! store's bulk loader (`senco_store::bulk`: multi-row statements in one transaction per
//! phase), with one audit row per record made, chained as usual.
//!
//! The database must be empty, or a demo or generated database with `--force` (as for
//! `senco demo`). Every account shares one passphrase, printed with a few sign-ins.

use std::collections::HashMap;
use std::io::IsTerminal;

use senco_app::credentials::{hash_passphrase, random_token};
use senco_domain::Date;
use senco_domain::calendar::london_date;
use senco_domain::framework::Stage;
use senco_domain::person::Passphrase;
use senco_domain::plan::PlanStatus;
use senco_domain::role::Role;
use senco_store::Store;
use senco_store::audit::AuditEvent;
use senco_store::bulk::{Rows, plan_snapshot, pupil_search_text};
use senco_store::plans::{PlanFields, PlanProvision, PlanTarget};
use senco_store::pupils::PupilFields;
use senco_store::record::Val;
use senco_store::schools::NewSchool;
use senco_store::users::NewUser;
use senco_store::{ds, new_id, ts};
use senco_synth::GenerateOptions;
use senco_synth::generate::{PROVISION_CATALOGUE, generate};
use time::Duration;

use super::demo::{Account, SamplePupil, Summary, account};
use crate::startup::system_clock;

/// One progress bar for a phase, on standard error when it is a terminal.
struct Phase(
    Option<indicatif::ProgressBar>,
    &'static str,
    std::time::Instant,
);

impl Phase {
    fn new(len: u64, name: &'static str) -> Self {
        let started = std::time::Instant::now();
        if !std::io::stderr().is_terminal() {
            return Phase(None, name, started);
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:14} [{bar:30}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name);
        Phase(Some(bar), name, started)
    }
    fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    fn done(self) {
        if let Some(b) = self.0 {
            b.finish();
        }
        eprintln!("{}: {:.1} s", self.1, self.2.elapsed().as_secs_f64());
    }
}

fn t(s: &str) -> Val {
    Val::Text(Some(s.to_string()))
}
fn ot(s: Option<&str>) -> Val {
    Val::Text(s.map(str::to_string))
}
fn d(x: Date) -> Val {
    Val::Text(Some(ds(x)))
}
fn i(x: i64) -> Val {
    Val::Int(Some(x))
}
fn null_text() -> Val {
    Val::Text(None)
}

const USERS: &[&str] = &[
    "id",
    "email",
    "name",
    "role",
    "school_id",
    "la_id",
    "password_hash",
    "must_change_password",
    "created_at",
    "updated_at",
];

fn user_row(
    id: &str,
    email: &str,
    name: &str,
    role: Role,
    school: Option<&str>,
    hash: &str,
    now: &str,
) -> Vec<Val> {
    vec![
        t(id),
        t(email),
        t(name),
        t(role.as_str()),
        ot(school),
        null_text(),
        t(hash),
        i(0),
        t(now),
        t(now),
    ]
}

/// Runs `senco generate`.
pub async fn run(url: &str, opts: &GenerateOptions, force: bool, json: bool) -> anyhow::Result<()> {
    let store = super::demo::fresh_store(url, force).await?;
    let started = std::time::Instant::now();
    let summary = seed(&store, opts, system_clock().now()).await?;
    store.refresh_statistics().await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "Generated {} schools and {} pupils (all made up) in {:.1} s.",
            summary.schools,
            summary.pupils,
            started.elapsed().as_secs_f64()
        );
        println!("Every account uses the passphrase: {}", summary.passphrase);
        println!("Staff two-factor key: {}", summary.totp_secret);
        for a in &summary.accounts {
            println!(
                "  {:<18} {:<46} {}",
                a.role,
                a.email,
                a.school_name.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

const REG_GROUPS: &[&str] = &["id", "school_id", "name", "year_code", "teacher_user_id"];
const PROVISIONS: &[&str] = &[
    "id",
    "school_id",
    "name",
    "kind",
    "area",
    "staff_role",
    "group_size",
    "sessions_per_week",
    "minutes_per_session",
    "cost_basis",
    "cost_pence",
    "active",
    "version",
    "created_at",
    "updated_at",
];
const AGENCIES: &[&str] = &["id", "school_id", "kind", "name", "email", "created_at"];
const AGENCY_PEOPLE: &[&str] = &[
    "id",
    "agency_id",
    "school_id",
    "name",
    "role",
    "email",
    "user_id",
    "created_at",
];
const PUPILS: &[&str] = &[
    "id",
    "school_id",
    "upn",
    "former_upn",
    "legal_forename",
    "legal_surname",
    "preferred_forename",
    "preferred_surname",
    "date_of_birth",
    "sex",
    "reg_group_id",
    "looked_after",
    "eal",
    "fsm",
    "correspondence_language",
    "search_text",
    "version",
    "created_at",
    "updated_at",
];
const ENROLMENTS: &[&str] = &["id", "pupil_id", "school_id", "starts_on", "created_at"];
const TEACHING_ASSIGNMENTS: &[&str] = &["id", "school_id", "user_id", "pupil_id"];
const CONTACTS: &[&str] = &[
    "id",
    "pupil_id",
    "school_id",
    "name",
    "relationship",
    "parental_responsibility",
    "restricted",
    "email",
    "phone",
    "user_id",
    "created_at",
    "updated_at",
];
const CONCERNS: &[&str] = &[
    "id",
    "pupil_id",
    "school_id",
    "raised_by",
    "raised_on",
    "framework",
    "areas",
    "details",
    "triggers",
    "tried",
    "result",
    "status",
    "triaged_by",
    "triaged_at",
    "outcome_reason",
    "stage_change_id",
    "version",
    "recorded_at",
];
const STAGE_CHANGES: &[&str] = &[
    "id",
    "seq",
    "pupil_id",
    "school_id",
    "framework",
    "stage",
    "effective_on",
    "reason",
    "decided_by",
    "decided_with",
    "specialists",
    "imported",
    "recorded_by",
    "recorded_at",
];
const PARENT_NOTIFICATIONS: &[&str] = &[
    "id",
    "stage_change_id",
    "pupil_id",
    "school_id",
    "informed_on",
    "method",
    "recorded_by",
    "recorded_at",
];
const CURRENT_STAGES: &[&str] = &[
    "pupil_id",
    "school_id",
    "framework",
    "stage",
    "since",
    "stage_change_id",
];
const NEEDS: &[&str] = &[
    "id",
    "pupil_id",
    "school_id",
    "code",
    "rank",
    "starts_on",
    "recorded_by",
    "recorded_at",
];
const PLANS: &[&str] = &[
    "id",
    "pupil_id",
    "school_id",
    "framework",
    "stage",
    "status",
    "starts_on",
    "review_on",
    "nature",
    "help_at_home",
    "pastoral",
    "pupil_views",
    "parent_views",
    "consulted",
    "agreed_on",
    "agreed_how",
    "previous_plan_id",
    "version",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];
const PLAN_TARGETS: &[&str] = &[
    "id",
    "plan_id",
    "pupil_id",
    "school_id",
    "position",
    "area",
    "target",
    "strategies",
    "success_criteria",
];
const PLAN_PROVISION: &[&str] = &[
    "id",
    "plan_id",
    "pupil_id",
    "school_id",
    "position",
    "what",
    "who",
    "how_often",
    "group_size",
];
const PLAN_VERSIONS: &[&str] = &[
    "id",
    "plan_id",
    "pupil_id",
    "school_id",
    "version",
    "data",
    "changed_fields",
    "changed_by",
    "changed_at",
];
const REVIEWS: &[&str] = &[
    "id",
    "plan_id",
    "pupil_id",
    "school_id",
    "held_on",
    "invited",
    "attended",
    "copy_sent_on",
    "progress",
    "parent_views",
    "pupil_views",
    "decision",
    "next_plan_id",
    "recorded_by",
    "recorded_at",
];
const TARGET_OUTCOMES: &[&str] = &[
    "id",
    "review_id",
    "target_id",
    "pupil_id",
    "school_id",
    "outcome",
    "evidence",
];
const ALLOCATIONS: &[&str] = &[
    "id",
    "provision_id",
    "pupil_id",
    "school_id",
    "from_on",
    "to_on",
    "sessions_per_week",
    "targets",
    "version",
    "created_by",
    "created_at",
    "updated_at",
];
const DELIVERY_SESSIONS: &[&str] = &[
    "id",
    "allocation_id",
    "provision_id",
    "pupil_id",
    "school_id",
    "on_date",
    "minutes",
    "status",
    "reason",
    "recorded_by",
    "recorded_at",
];
const INVOLVEMENTS: &[&str] = &[
    "id",
    "pupil_id",
    "school_id",
    "agency_id",
    "person_id",
    "specialist_user_id",
    "status",
    "referral_on",
    "reason",
    "consent_recorded_on",
    "consent_by",
    "version",
    "created_by",
    "created_at",
];
const LA_SHARES: &[&str] = &["id", "pupil_id", "school_id", "la_id", "shared_at"];

/// What every phase shares: when the data is made, the one passphrase of every account,
/// and what is gathered for the summary (sign-ins, sample pupils) and the audit trail.
struct Seeding {
    now_t: time::OffsetDateTime,
    /// `now_t` as stored.
    now: String,
    today: Date,
    passphrase: String,
    hash: String,
    accounts: Vec<Account>,
    samples: Vec<SamplePupil>,
    audit: Vec<AuditEvent>,
}

impl Seeding {
    /// The audit event of a record made.
    fn event(
        &self,
        school: &str,
        pupil: Option<&str>,
        record_type: &'static str,
        id: &str,
    ) -> AuditEvent {
        let mut e = super::cli_event(None, record_type, "create")
            .school(school.to_string())
            .pupil(pupil.map(str::to_string))
            .record(id.to_string());
        e.at = self.now_t;
        e
    }

    /// Audits a record made.
    fn audit(&mut self, school: &str, pupil: Option<&str>, record_type: &'static str, id: &str) {
        let e = self.event(school, pupil, record_type, id);
        self.audit.push(e);
    }

    /// Lists a sign-in in the summary.
    fn account(&mut self, role: Role, email: &str, name: &str, school: Option<(u32, String)>) {
        let a = account(role, email, name, &self.passphrase, school);
        self.accounts.push(a);
    }

    fn new_user<'a>(
        &'a self,
        email: &'a str,
        name: &'a str,
        role: Role,
        la_id: Option<&'a str>,
    ) -> NewUser<'a> {
        NewUser {
            email,
            name,
            role,
            school_id: None,
            la_id,
            password_hash: Some(self.hash.as_str()),
            must_change_password: false,
        }
    }
}

/// A specialist's account: (user id, name, email).
type Specialist = (String, String, String);

/// The ids a school's records link to.
struct SchoolIds {
    id: String,
    staff: Vec<String>,
    groups: Vec<String>,
    provisions: Vec<String>,
    agencies: Vec<(String, String)>,
    senco: Option<String>,
}

/// What phase 1 made that the later phases link to.
struct Made {
    la_id: String,
    specialists: Vec<Specialist>,
    schools: Vec<SchoolIds>,
}

/// Writes a generated authority into an empty, migrated database, as made up on `now`.
pub async fn seed(
    store: &Store,
    opts: &GenerateOptions,
    now_t: time::OffsetDateTime,
) -> anyhow::Result<Summary> {
    let today = london_date(now_t);
    let making = std::time::Instant::now();
    let data = generate(today, opts);
    eprintln!("made up: {:.1} s", making.elapsed().as_secs_f64());
    let la = &data.dataset.authorities[0];
    let passphrase = format!("senco-demo-{}", &random_token()[..10]);
    let hash =
        hash_passphrase(&Passphrase::parse(&passphrase).map_err(|e| anyhow::anyhow!("{e}"))?)?;
    let mut s = Seeding {
        now_t,
        now: ts(now_t),
        today,
        passphrase,
        hash,
        accounts: Vec::new(),
        samples: Vec::new(),
        audit: Vec::new(),
    };

    // Phase 1: the authority, its schools, staff, classes and catalogues.
    let bar = Phase::new(la.schools.len() as u64, "schools");
    let mut tx = store.begin().await?;
    Store::set_setting(&mut tx, "demo", "true").await?;
    let (la_id, specialists) = seed_authority(&mut tx, &data, &mut s).await?;
    let schools = seed_schools(&mut tx, la, &la_id, &specialists, &mut s, &bar).await?;
    senco_store::commit(tx).await?;
    bar.done();
    let made = Made {
        la_id,
        specialists,
        schools,
    };

    // Phase 2: pupils, enrolments, teaching links, contacts and parent accounts.
    let pupil_ids = seed_pupils(store, la, &made.schools, &mut s).await?;
    let pupil_count = pupil_ids.iter().map(Vec::len).sum();

    // Phase 3: the SEN register and everything hanging from it.
    seed_sen(store, &data, &made, &pupil_ids, &mut s).await?;

    // Phase 4: two-factor keys and the audit trail of what was made.
    let bar = Phase::new(s.audit.len().div_ceil(10_000) as u64 + 1, "audit");
    let mut tx = store.begin().await?;
    let mut key = [0u8; 20];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let totp_secret = senco_domain::totp::Secret::from_bytes(key).to_base32();
    Store::enrol_staff_two_factor(&mut tx, &totp_secret).await?;
    for a in &mut s.accounts {
        if Role::parse(a.role).is_some_and(Role::is_staff) {
            a.totp_secret = Some(totp_secret.clone());
        }
    }
    let done = super::cli_event(None, "generate", "create").fields(format!("pupils={pupil_count}"));
    s.audit.push(done);
    for chunk in s.audit.chunks(10_000) {
        Store::bulk_audit(&mut tx, chunk).await?;
        bar.inc();
    }
    senco_store::commit(tx).await?;
    bar.done();
    Ok(Summary {
        passphrase: s.passphrase,
        totp_secret,
        authorities: 1,
        schools: la.schools.len(),
        pupils: pupil_count,
        accounts: s.accounts,
        sample_pupils: s.samples,
    })
}

/// Phase 1, first part: the administrators, the authority with its terms, officers and
/// specialists. Returns the authority's id and the specialists' accounts.
async fn seed_authority(
    tx: &mut senco_store::Tx,
    data: &senco_synth::generate::Authority,
    s: &mut Seeding,
) -> anyhow::Result<(String, Vec<Specialist>)> {
    let la = &data.dataset.authorities[0];
    let now_t = s.now_t;
    for admin in &data.dataset.admins {
        Store::insert_user(
            tx,
            &s.new_user(&admin.email, &admin.name, Role::Admin, None),
            now_t,
        )
        .await?;
        s.account(Role::Admin, &admin.email, &admin.name, None);
    }
    let la_id =
        Store::insert_authority(tx, &format!("{:03}", la.code), &la.name, la.country, now_t)
            .await?;
    for term in &la.terms {
        Store::insert_term(tx, &la_id, None, *term).await?;
    }
    for o in &la.officers {
        Store::insert_user(
            tx,
            &s.new_user(&o.email, &o.name, Role::LaOfficer, Some(&la_id)),
            now_t,
        )
        .await?;
        s.account(Role::LaOfficer, &o.email, &o.name, None);
    }
    let mut specialists = Vec::new();
    for sp in &la.specialists {
        let id = Store::insert_user(
            tx,
            &s.new_user(&sp.email, &sp.name, Role::Specialist, None),
            now_t,
        )
        .await?;
        specialists.push((id, sp.name.clone(), sp.email.clone()));
    }
    if let Some((_, name, email)) = specialists.first() {
        s.account(Role::Specialist, email, name, None);
    }
    Ok((la_id, specialists))
}

/// The rows of phase 1's schools.
struct SchoolRows {
    users: Rows,
    groups: Rows,
    provisions: Rows,
    agencies: Rows,
    people: Rows,
}

/// Phase 1, second part: each school with its frameworks and closures, its staff, classes,
/// provision catalogue and the authority's two agencies.
async fn seed_schools(
    tx: &mut senco_store::Tx,
    la: &senco_synth::AuthoritySpec,
    la_id: &str,
    specialists: &[Specialist],
    s: &mut Seeding,
    bar: &Phase,
) -> anyhow::Result<Vec<SchoolIds>> {
    let mut schools = Vec::new();
    let mut rows = SchoolRows {
        users: Rows::new("users", USERS),
        groups: Rows::new("reg_groups", REG_GROUPS),
        provisions: Rows::new("provisions", PROVISIONS),
        agencies: Rows::new("agencies", AGENCIES),
        people: Rows::new("agency_people", AGENCY_PEOPLE),
    };
    for (k, school) in la.schools.iter().enumerate() {
        let school_id = super::demo::insert_school(
            tx,
            &NewSchool {
                la_id,
                urn: &school.urn.to_string(),
                estab_number: &format!("{:04}", school.estab),
                name: &school.name,
                phase: school.phase,
                country: la.country,
                maintained: school.maintained,
            },
            &school.frameworks,
            &school.closures,
            s.now_t,
        )
        .await?;
        let mut staff = Vec::new();
        let mut seen_roles = Vec::new();
        for st in &school.staff {
            let id = new_id();
            rows.users.push(user_row(
                &id,
                &st.person.email,
                &st.person.name,
                st.role,
                Some(&school_id),
                &s.hash,
                &s.now,
            ));
            if k == 0 && !seen_roles.contains(&st.role) {
                seen_roles.push(st.role);
                s.account(
                    st.role,
                    &st.person.email,
                    &st.person.name,
                    Some((school.urn, school.name.clone())),
                );
            }
            staff.push(id);
        }
        let senco = school
            .staff
            .iter()
            .position(|st| st.role == Role::Senco)
            .map(|p| staff[p].clone());
        let mut group_ids = Vec::new();
        for g in &school.reg_groups {
            let id = new_id();
            rows.groups.push(vec![
                t(&id),
                t(&school_id),
                t(&g.name),
                i(i64::from(g.year.code())),
                ot(g.teacher.and_then(|x| staff.get(x)).map(String::as_str)),
            ]);
            group_ids.push(id);
        }
        let provision_ids = rows.catalogue(&school_id, &s.now);
        let agency_ids = rows.agencies(&school_id, specialists, &s.now);
        schools.push(SchoolIds {
            id: school_id,
            staff,
            groups: group_ids,
            provisions: provision_ids,
            agencies: agency_ids,
            senco,
        });
        bar.inc();
    }
    for r in [
        &mut rows.users,
        &mut rows.groups,
        &mut rows.provisions,
        &mut rows.agencies,
        &mut rows.people,
    ] {
        Store::bulk_insert(tx, r).await?;
    }
    Ok(schools)
}

impl SchoolRows {
    /// The school's provision catalogue. Returns the provisions' ids.
    fn catalogue(&mut self, school_id: &str, now: &str) -> Vec<String> {
        let mut provision_ids = Vec::new();
        for (name, kind, area, per_week, minutes) in PROVISION_CATALOGUE {
            let id = new_id();
            self.provisions.push(vec![
                t(&id),
                t(school_id),
                t(name),
                t(kind),
                t(area),
                t("Teaching assistant"),
                i(if *kind == "one_to_one" { 1 } else { 4 }),
                i(*per_week),
                i(*minutes),
                t("staff_time"),
                i(1650),
                i(1),
                i(1),
                t(now),
                t(now),
            ]);
            provision_ids.push(id);
        }
        provision_ids
    }

    /// The authority's two agencies as the school knows them, each with its specialist.
    /// Returns (agency id, person id) of each.
    fn agencies(
        &mut self,
        school_id: &str,
        specialists: &[Specialist],
        now: &str,
    ) -> Vec<(String, String)> {
        let mut agency_ids = Vec::new();
        for (n, (kind, label, role)) in [
            (
                "educational_psychology",
                "Fernshire Educational Psychology Service",
                "Educational psychologist",
            ),
            (
                "speech_and_language_therapy",
                "Fernshire Speech and Language Therapy",
                "Speech and language therapist",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let id = new_id();
            self.agencies.push(vec![
                t(&id),
                t(school_id),
                t(kind),
                t(label),
                null_text(),
                t(now),
            ]);
            let person = new_id();
            let (user_id, name, email) = specialists.get(n).cloned().unwrap_or_default();
            self.people.push(vec![
                t(&person),
                t(&id),
                t(school_id),
                t(&name),
                t(role),
                t(&email),
                ot((!user_id.is_empty()).then_some(user_id.as_str())),
                t(now),
            ]);
            agency_ids.push((id, person));
        }
        agency_ids
    }
}

/// The rows of phase 2, written school by school.
struct PupilRows {
    pupils: Rows,
    enrolments: Rows,
    teaching: Rows,
    contacts: Rows,
    parents: Rows,
    /// Parents' accounts by email, made once however many children they have.
    parent_ids: HashMap<String, String>,
}

/// Phase 2: pupils, enrolments, teaching links, contacts and parent accounts, one
/// transaction. Returns each school's pupils' ids, in the generated order.
async fn seed_pupils(
    store: &Store,
    la: &senco_synth::AuthoritySpec,
    schools: &[SchoolIds],
    s: &mut Seeding,
) -> anyhow::Result<Vec<Vec<String>>> {
    let bar = Phase::new(la.schools.len() as u64, "pupils");
    let mut tx = store.begin().await?;
    let mut rows = PupilRows {
        pupils: Rows::new("pupils", PUPILS),
        enrolments: Rows::new("enrolments", ENROLMENTS),
        teaching: Rows::new("teaching_assignments", TEACHING_ASSIGNMENTS),
        contacts: Rows::new("contacts", CONTACTS),
        parents: Rows::new("users", USERS),
        parent_ids: HashMap::new(),
    };
    let mut pupil_ids: Vec<Vec<String>> = Vec::new();
    for (k, school) in la.schools.iter().enumerate() {
        let ids = &schools[k];
        let mut these = Vec::with_capacity(school.pupils.len());
        for (n, p) in school.pupils.iter().enumerate() {
            let id = new_id();
            let fields = PupilFields {
                upn: p.upn.as_ref().map(|u| u.as_str().to_string()),
                former_upn: p.former_upn.as_ref().map(|u| u.as_str().to_string()),
                legal_forename: p.legal_forename.clone(),
                legal_surname: p.legal_surname.clone(),
                preferred_forename: p.preferred_forename.clone(),
                preferred_surname: p.preferred_surname.clone(),
                date_of_birth: p.dob,
                sex: p.sex,
                year_override: None,
                reg_group_id: p.reg_group.and_then(|g| ids.groups.get(g)).cloned(),
                looked_after: p.looked_after,
                eal: p.eal,
                fsm: p.fsm,
                language: p.language,
            };
            rows.pupil(&id, ids, p, &fields, &s.now);
            for c in &p.contacts {
                rows.contact(&id, ids, c, (k == 0).then_some(school), s);
            }
            s.audit(&ids.id, Some(&id), "pupil", &id);
            if k == 0 && n < 3 {
                s.samples.push(SamplePupil {
                    id: id.clone(),
                    school_urn: school.urn,
                    legal_forename: p.legal_forename.clone(),
                    legal_surname: p.legal_surname.clone(),
                    upn: fields.upn.clone(),
                    date_of_birth: ds(p.dob),
                });
            }
            these.push(id);
        }
        for r in [
            &mut rows.pupils,
            &mut rows.enrolments,
            &mut rows.teaching,
            &mut rows.parents,
            &mut rows.contacts,
        ] {
            Store::bulk_insert(&mut tx, r).await?;
        }
        pupil_ids.push(these);
        bar.inc();
    }
    senco_store::commit(tx).await?;
    bar.done();
    Ok(pupil_ids)
}

impl PupilRows {
    /// A pupil with their enrolment and teaching links.
    fn pupil(
        &mut self,
        id: &str,
        ids: &SchoolIds,
        p: &senco_synth::PupilSpec,
        fields: &PupilFields,
        now: &str,
    ) {
        self.pupils.push(vec![
            t(id),
            t(&ids.id),
            Val::Text(fields.upn.clone()),
            Val::Text(fields.former_upn.clone()),
            t(&fields.legal_forename),
            t(&fields.legal_surname),
            Val::Text(fields.preferred_forename.clone()),
            Val::Text(fields.preferred_surname.clone()),
            d(p.dob),
            t(p.sex.code()),
            Val::Text(fields.reg_group_id.clone()),
            i(p.looked_after.into()),
            i(p.eal.into()),
            i(p.fsm.into()),
            t(p.language.as_str()),
            t(&pupil_search_text(fields)),
            i(1),
            t(now),
            t(now),
        ]);
        self.enrolments.push(vec![
            t(&new_id()),
            t(id),
            t(&ids.id),
            d(p.enrolled_on),
            t(now),
        ]);
        for st in &p.taught_by {
            if let Some(u) = ids.staff.get(*st) {
                self.teaching
                    .push(vec![t(&new_id()), t(&ids.id), t(u), t(id)]);
            }
        }
    }

    /// A contact of a pupil, with a parent's account the first time their email is seen.
    /// `first_school` is the school when it is the first one, whose first parent is listed
    /// in the summary.
    fn contact(
        &mut self,
        pupil_id: &str,
        ids: &SchoolIds,
        c: &senco_synth::ContactSpec,
        first_school: Option<&senco_synth::SchoolSpec>,
        s: &mut Seeding,
    ) {
        let user_id = match (&c.email, c.account) {
            (Some(email), true) => Some(match self.parent_ids.get(email) {
                Some(u) => u.clone(),
                None => {
                    let u = new_id();
                    self.parents.push(user_row(
                        &u,
                        email,
                        &c.name,
                        Role::Parent,
                        None,
                        &s.hash,
                        &s.now,
                    ));
                    if let Some(school) = first_school
                        && !s.accounts.iter().any(|a| a.role == Role::Parent.as_str())
                    {
                        s.account(
                            Role::Parent,
                            email,
                            &c.name,
                            Some((school.urn, school.name.clone())),
                        );
                    }
                    self.parent_ids.insert(email.clone(), u.clone());
                    u
                }
            }),
            _ => None,
        };
        self.contacts.push(vec![
            t(&new_id()),
            t(pupil_id),
            t(&ids.id),
            t(&c.name),
            t(&c.relationship),
            i(c.parental_responsibility.into()),
            i(c.restricted.into()),
            ot(c.email.as_deref()),
            ot(c.phone.as_deref()),
            ot(user_id.as_deref()),
            t(&s.now),
            t(&s.now),
        ]);
    }
}

/// The rows of phase 3, written school by school.
struct SenRows {
    concerns: Rows,
    changes: Rows,
    told: Rows,
    current: Rows,
    needs: Rows,
    plans: Rows,
    targets: Rows,
    plan_provision: Rows,
    versions: Rows,
    reviews: Rows,
    outcomes: Rows,
    allocations: Rows,
    sessions: Rows,
    involvements: Rows,
    shares: Rows,
}

/// The pupil whose SEN records are being written, where and when.
struct SenPupil<'a> {
    /// The pupil's place in their school's list.
    n: usize,
    pid: &'a str,
    sid: &'a str,
    senco: Option<&'a str>,
    today: Date,
    /// The time of writing, as stored.
    now: &'a str,
}

/// The framework every generated record is under.
const FRAMEWORK: &str = "england_2014";

/// Phase 3: the SEN register and everything hanging from it, one transaction.
async fn seed_sen(
    store: &Store,
    data: &senco_synth::generate::Authority,
    made: &Made,
    pupil_ids: &[Vec<String>],
    s: &mut Seeding,
) -> anyhow::Result<()> {
    let la = &data.dataset.authorities[0];
    let bar = Phase::new(la.schools.len() as u64, "SEN records");
    let mut tx = store.begin().await?;
    let mut rows = SenRows::new();
    let now = s.now.clone();
    for (k, school) in la.schools.iter().enumerate() {
        let ids = &made.schools[k];
        let senco = ids.senco.as_deref();
        let calendar: Vec<senco_domain::calendar::DateRange> = la.terms.clone();
        let closed = |x: Date| school.closures.iter().any(|c| c.contains(x));
        let open = |x: Date| calendar.iter().any(|r| r.contains(x)) && !closed(x);
        for (n, p) in school.pupils.iter().enumerate() {
            let at = SenPupil {
                n,
                pid: pupil_ids[k][n].as_str(),
                sid: ids.id.as_str(),
                senco,
                today: s.today,
                now: &now,
            };
            let teacher = p
                .reg_group
                .and_then(|g| school.reg_groups.get(g))
                .and_then(|g| g.teacher)
                .and_then(|x| ids.staff.get(x))
                .map(String::as_str)
                .or(senco);
            if let (Some(c), Some(by)) = (&data.concerns[k][n], teacher) {
                rows.open_concern(&at, by, c.raised_on);
            }
            let Some(sen) = &data.sen[k][n] else { continue };
            rows.history(&at, sen, teacher, &made.la_id, s);
            let plan_ids: Vec<String> = sen.plans.iter().map(|_| new_id()).collect();
            for (m, plan) in sen.plans.iter().enumerate() {
                rows.plan(&at, plan, m, &plan_ids, s)?;
            }
            for (a, allocation) in sen.allocations.iter().enumerate() {
                let prov_id = &ids.provisions[allocation.0];
                rows.allocation(&at, a, allocation, prov_id, &open);
            }
            if let Some(which) = sen.involvement
                && let Some((agency, person)) = ids.agencies.get(which)
            {
                let referral = sen.stages[0].1 + Duration::days(14);
                rows.involvements.push(vec![
                    t(&new_id()),
                    t(at.pid),
                    t(at.sid),
                    t(agency),
                    t(person),
                    ot(made.specialists.get(which).map(|sp| sp.0.as_str())),
                    t("active"),
                    d(referral),
                    t("Advice on next steps"),
                    d(referral),
                    t("Parent"),
                    i(1),
                    ot(senco),
                    t(at.now),
                ]);
            }
        }
        for r in rows.all() {
            Store::bulk_insert(&mut tx, r).await?;
        }
        bar.inc();
    }
    senco_store::commit(tx).await?;
    bar.done();
    Ok(())
}

impl SenRows {
    fn new() -> Self {
        SenRows {
            concerns: Rows::new("concerns", CONCERNS),
            changes: Rows::new("stage_changes", STAGE_CHANGES),
            told: Rows::new("parent_notifications", PARENT_NOTIFICATIONS),
            current: Rows::new("current_stages", CURRENT_STAGES),
            needs: Rows::new("needs", NEEDS),
            plans: Rows::new("plans", PLANS),
            targets: Rows::new("plan_targets", PLAN_TARGETS),
            plan_provision: Rows::new("plan_provision", PLAN_PROVISION),
            versions: Rows::new("plan_versions", PLAN_VERSIONS),
            reviews: Rows::new("reviews", REVIEWS),
            outcomes: Rows::new("target_outcomes", TARGET_OUTCOMES),
            allocations: Rows::new("allocations", ALLOCATIONS),
            sessions: Rows::new("delivery_sessions", DELIVERY_SESSIONS),
            involvements: Rows::new("involvements", INVOLVEMENTS),
            shares: Rows::new("la_shares", LA_SHARES),
        }
    }

    /// Every buffer, in the order they are written (parents before children).
    fn all(&mut self) -> [&mut Rows; 15] {
        [
            &mut self.changes,
            &mut self.told,
            &mut self.current,
            &mut self.concerns,
            &mut self.needs,
            &mut self.plans,
            &mut self.targets,
            &mut self.plan_provision,
            &mut self.versions,
            &mut self.reviews,
            &mut self.outcomes,
            &mut self.allocations,
            &mut self.sessions,
            &mut self.involvements,
            &mut self.shares,
        ]
    }

    /// A concern raised by `by` and not yet triaged.
    fn open_concern(&mut self, at: &SenPupil<'_>, by: &str, raised_on: Date) {
        self.concerns.push(vec![
            t(&new_id()),
            t(at.pid),
            t(at.sid),
            t(by),
            d(raised_on),
            t(FRAMEWORK),
            t("cognition_and_learning"),
            t("Finds it hard to keep up with reading in class"),
            t("little_or_no_progress"),
            t("Extra phonics in a small group, three times a week"),
            t("Reading age has not moved in six weeks"),
            t("awaiting_triage"),
            null_text(),
            null_text(),
            null_text(),
            null_text(),
            i(1),
            t(at.now),
        ]);
    }

    /// A pupil's stage history with the parents told of each change, the concern that
    /// placed them, the share with the authority of an EHC plan, the current stage and
    /// their needs.
    fn history(
        &mut self,
        at: &SenPupil<'_>,
        sen: &senco_synth::generate::SenSpec,
        teacher: Option<&str>,
        la_id: &str,
        s: &mut Seeding,
    ) {
        let (pid, sid, senco, now) = (at.pid, at.sid, at.senco, at.now);
        let mut first_change = None;
        let mut last = None;
        for (seq, (stage, on)) in sen.stages.iter().enumerate() {
            let cid = new_id();
            self.changes.push(vec![
                t(&cid),
                i(seq as i64 + 1),
                t(pid),
                t(sid),
                t(FRAMEWORK),
                t(stage.as_str()),
                d(*on),
                t(if seq == 0 {
                    "Little progress despite teaching targeted at the weaknesses"
                } else {
                    "The local authority issued an EHC plan"
                }),
                ot(senco),
                t("Class teacher"),
                ot((*stage == Stage::EhcPlan).then_some("Educational psychologist")),
                i(0),
                ot(senco),
                t(now),
            ]);
            self.told.push(vec![
                t(&new_id()),
                t(&cid),
                t(pid),
                t(sid),
                d(*on + Duration::days(2)),
                t(["meeting", "letter", "phone"][at.n % 3]),
                ot(senco),
                t(now),
            ]);
            s.audit(sid, Some(pid), "stage_change", &cid);
            first_change.get_or_insert(cid.clone());
            last = Some((cid, *stage, *on));
        }
        if let (Some(first), Some(by)) = (&first_change, teacher) {
            self.concerns.push(vec![
                t(&new_id()),
                t(pid),
                t(sid),
                t(by),
                d(sen.concern_on),
                t(FRAMEWORK),
                t("cognition_and_learning"),
                null_text(),
                t("little_or_no_progress"),
                t("Small-group teaching in class"),
                t("Still well behind classmates"),
                t("placed"),
                ot(senco),
                t(&ts(sen.stages[0].1.midnight().assume_utc())),
                t("Placed on the SEN register"),
                t(first),
                i(1),
                t(now),
            ]);
        }
        // The authority maintains EHC plans: their records are shared with it.
        if sen.stages.iter().any(|(st, _)| *st == Stage::EhcPlan) {
            self.shares
                .push(vec![t(&new_id()), t(pid), t(sid), t(la_id), t(now)]);
        }
        if let Some((cid, stage, since)) = &last {
            self.current.push(vec![
                t(pid),
                t(sid),
                t(FRAMEWORK),
                t(stage.as_str()),
                d(*since),
                t(cid),
            ]);
        }
        let start = sen.stages[0].1;
        for (rank, code) in sen.needs.iter().enumerate() {
            self.needs.push(vec![
                t(&new_id()),
                t(pid),
                t(sid),
                t(code),
                i(rank as i64 + 1),
                d(start),
                ot(senco),
                t(now),
            ]);
        }
    }

    /// The `m`th of a pupil's plans, with its targets, provision, first version and, when
    /// it has been reviewed, the review and the outcome of each target. `plan_ids` are the
    /// ids of all the pupil's plans, which follow on from one another.
    fn plan(
        &mut self,
        at: &SenPupil<'_>,
        plan: &senco_synth::generate::PlanSpec,
        m: usize,
        plan_ids: &[String],
        s: &mut Seeding,
    ) -> anyhow::Result<()> {
        let (pid, sid, senco, now) = (at.pid, at.sid, at.senco, at.now);
        let bank = senco_app::plans::BUILT_IN_TARGETS;
        let plan_id = &plan_ids[m];
        let status = if plan.review.is_some() {
            PlanStatus::Closed
        } else {
            PlanStatus::Active
        };
        let mut fields = PlanFields {
            framework: senco_domain::school::FrameworkKey::England2014,
            stage: plan.stage,
            status,
            starts_on: plan.starts_on,
            review_on: plan.review_on,
            nature: "Progress in reading and writing is well below that of classmates despite targeted teaching.".into(),
            help_at_home: "Share a book for ten minutes each evening.".into(),
            pastoral: String::new(),
            pupil_views: "I like the word games. Reading out loud is hard.".into(),
            parent_views: "We want help with reading at home.".into(),
            consulted: "Parents and class teacher at a meeting".into(),
            agreed_on: Some(plan.starts_on),
            agreed_how: Some("meeting".into()),
            targets: Vec::new(),
            provision: Vec::new(),
        };
        let mut target_ids = Vec::new();
        for (pos, b) in plan.targets.iter().enumerate() {
            let (area, target, strategies, success) = bank[*b % bank.len()];
            let tid = new_id();
            self.targets.push(vec![
                t(&tid),
                t(plan_id),
                t(pid),
                t(sid),
                i(pos as i64),
                t(area),
                t(target),
                t(strategies),
                t(success),
            ]);
            fields.targets.push(PlanTarget {
                id: tid.clone(),
                area: Some(area.into()),
                target: target.into(),
                strategies: strategies.into(),
                success_criteria: success.into(),
                by_when: None,
                carried_from: None,
            });
            target_ids.push(tid);
        }
        let ppid = new_id();
        self.plan_provision.push(vec![
            t(&ppid),
            t(plan_id),
            t(pid),
            t(sid),
            i(0),
            t("Small-group phonics"),
            t("Teaching assistant"),
            t("20 minutes, three times a week"),
            i(4),
        ]);
        fields.provision.push(PlanProvision {
            id: ppid,
            what: "Small-group phonics".into(),
            who: "Teaching assistant".into(),
            how_often: "20 minutes, three times a week".into(),
            group_size: Some(4),
            from_on: None,
            to_on: None,
        });
        self.plans.push(vec![
            t(plan_id),
            t(pid),
            t(sid),
            t(FRAMEWORK),
            t(plan.stage.as_str()),
            t(status.as_str()),
            d(plan.starts_on),
            d(plan.review_on),
            t(&fields.nature),
            t(&fields.help_at_home),
            t(""),
            t(&fields.pupil_views),
            t(&fields.parent_views),
            t(&fields.consulted),
            d(plan.starts_on),
            t("meeting"),
            ot(m.checked_sub(1).map(|x| plan_ids[x].as_str())),
            i(1),
            ot(senco),
            t(now),
            ot(senco),
            t(now),
        ]);
        self.versions.push(vec![
            t(&new_id()),
            t(plan_id),
            t(pid),
            t(sid),
            i(1),
            t(&plan_snapshot(&fields)?),
            t("created"),
            ot(senco),
            t(now),
        ]);
        s.audit(sid, Some(pid), "plan", plan_id);
        if let Some((held, results)) = &plan.review {
            let rid = new_id();
            self.reviews.push(vec![
                t(&rid),
                t(plan_id),
                t(pid),
                t(sid),
                d(*held),
                t("Parents, class teacher, pupil"),
                t("Parents, class teacher, pupil"),
                d(*held + Duration::days(3)),
                t("Steady progress towards most targets."),
                t("Pleased with the progress."),
                t("The games help."),
                t("continue_same_stage"),
                ot(plan_ids.get(m + 1).map(String::as_str)),
                ot(senco),
                t(now),
            ]);
            for (tid, outcome) in target_ids.iter().zip(results) {
                self.outcomes.push(vec![
                    t(&new_id()),
                    t(&rid),
                    t(tid),
                    t(pid),
                    t(sid),
                    t(outcome),
                    t(""),
                ]);
            }
            s.audit(sid, Some(pid), "review", &rid);
        }
        Ok(())
    }

    /// The `a`th of a pupil's allocations to provision (`prov_id`), with a session on each
    /// of its days before today when the school is open (`open`): most delivered, a few
    /// missed.
    fn allocation(
        &mut self,
        at: &SenPupil<'_>,
        a: usize,
        (prov, from, to): &(usize, Date, Date),
        prov_id: &str,
        open: &dyn Fn(Date) -> bool,
    ) {
        let (pid, sid, senco, now) = (at.pid, at.sid, at.senco, at.now);
        let (_, _, _, per_week, minutes) = PROVISION_CATALOGUE[*prov];
        let aid = new_id();
        self.allocations.push(vec![
            t(&aid),
            t(prov_id),
            t(pid),
            t(sid),
            d(*from),
            d(*to),
            i(per_week),
            t(""),
            i(1),
            ot(senco),
            t(now),
            t(now),
        ]);
        let days: &[time::Weekday] = match per_week {
            1 => &[time::Weekday::Wednesday],
            2 => &[time::Weekday::Tuesday, time::Weekday::Thursday],
            _ => &[
                time::Weekday::Monday,
                time::Weekday::Wednesday,
                time::Weekday::Friday,
            ],
        };
        let mut day = *from;
        while day <= *to && day < at.today {
            if days.contains(&day.weekday()) && open(day) {
                let roll = (at.n * 7 + a * 3 + day.ordinal() as usize) % 20;
                let (status, reason) = match roll {
                    0 => ("pupil_absent", None),
                    1 => ("cancelled", Some("Staff absence")),
                    _ => ("delivered", None),
                };
                self.sessions.push(vec![
                    t(&new_id()),
                    t(&aid),
                    t(prov_id),
                    t(pid),
                    t(sid),
                    d(day),
                    i(if status == "delivered" { minutes } else { 0 }),
                    t(status),
                    ot(reason),
                    ot(senco),
                    t(now),
                ]);
            }
            day += Duration::days(1);
        }
    }
}
