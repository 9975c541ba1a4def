//! `senco demo`: a database of realistic made-up data (two local authorities, eight schools,
//! about 1,500 pupils), its sign-ins, and the server.
//!
//! Every demo account shares one passphrase, made afresh for each demo database and printed.
//! `--force` replaces only a database that `senco demo` made.

use std::collections::HashMap;

use anyhow::{Context, bail};
use senco_app::credentials::{hash_passphrase, random_token};
use senco_domain::Date;
use senco_domain::calendar::london_date;
use senco_domain::history::StageReason;
use senco_domain::person::Passphrase;
use senco_domain::role::Role;
use senco_domain::school::FrameworkKey;
use senco_store::pupils::{NewContact, PupilFields};
use senco_store::schools::NewSchool;
use senco_store::users::NewUser;
use senco_store::{Store, Tx};
use senco_synth::{AuthoritySpec, PupilSpec, SchoolSpec};
use serde::Serialize;
use time::OffsetDateTime;

use super::{open, serve_until_stopped};
use crate::cli::ServeArgs;
use crate::startup::system_clock;

/// A sign-in printed for people and tests.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub role: &'static str,
    pub email: String,
    pub passphrase: String,
    pub name: String,
    pub school_urn: Option<u32>,
    pub school_name: Option<String>,
    /// The authenticator key (Base32) for two-factor sign-in; parents have none.
    pub totp_secret: Option<String>,
}

/// A pupil to try searching for.
#[derive(Debug, Clone, Serialize)]
pub struct SamplePupil {
    pub id: String,
    pub school_urn: u32,
    pub legal_forename: String,
    pub legal_surname: String,
    pub upn: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
}

/// What `senco demo --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub passphrase: String,
    /// The authenticator key every demo staff account shares.
    pub totp_secret: String,
    pub authorities: usize,
    pub schools: usize,
    pub pupils: usize,
    pub accounts: Vec<Account>,
    pub sample_pupils: Vec<SamplePupil>,
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Opens the database, replacing a previous demo database when `force` is given.
pub(crate) async fn fresh_store(url: &str, force: bool) -> anyhow::Result<Store> {
    let store = open(url).await?;
    store.migrate(system_clock().now()).await?;
    if store.is_empty().await? {
        return Ok(store);
    }
    if !force {
        bail!(
            "the database {} already holds data; use `senco demo --force` to replace a demo database",
            senco_store::redact_url(url)
        );
    }
    if !store.is_demo().await? {
        bail!(
            "the database {} holds data that senco demo did not make; refusing to replace it",
            senco_store::redact_url(url)
        );
    }
    match sqlite_path(url) {
        Some(path) => {
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("could not remove {}", p.to_string_lossy()));
                    }
                }
            }
        }
        None => store.reset_demo_schema().await?,
    }
    let store = open(url).await?;
    store.migrate(system_clock().now()).await?;
    Ok(store)
}

/// Runs `senco demo`.
pub async fn run(
    url: &str,
    serve: &ServeArgs,
    force: bool,
    no_serve: bool,
    json: bool,
    seed: u64,
) -> anyhow::Result<()> {
    let store = fresh_store(url, force).await?;
    let summary = seed_demo(&store, seed).await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
    }
    if no_serve {
        return Ok(());
    }
    serve_until_stopped(url, serve, None).await
}

fn print_summary(s: &Summary) {
    println!(
        "Demo data is ready: {} local authorities, {} schools, {} pupils (all made up).",
        s.authorities, s.schools, s.pupils
    );
    println!();
    println!("Every demo account uses the passphrase: {}", s.passphrase);
    println!(
        "Staff accounts also ask for a code from an authenticator app set up with this key: {}",
        s.totp_secret
    );
    println!("Sign in as one of these (one of each role; `senco user list` shows them all):");
    let mut seen = Vec::new();
    for a in &s.accounts {
        if seen.contains(&a.role) {
            continue;
        }
        seen.push(a.role);
        let role = Role::parse(a.role).map(|r| r.label()).unwrap_or(a.role);
        println!(
            "  {:<26} {:<46} {}",
            role,
            a.email,
            a.school_name.as_deref().unwrap_or("")
        );
    }
    println!();
}

/// Fills an empty, migrated database with the demo dataset.
pub async fn seed_demo(store: &Store, seed: u64) -> anyhow::Result<Summary> {
    let now = system_clock().now();
    let today = london_date(now);
    let data = senco_synth::demo(today, seed);
    let passphrase = format!("senco-demo-{}", &random_token()[..10]);
    let hash =
        hash_passphrase(&Passphrase::parse(&passphrase).map_err(|e| anyhow::anyhow!("{e}"))?)?;
    let mut demo = DemoWriter {
        passphrase,
        hash,
        today,
        now,
        accounts: Vec::new(),
        samples: Vec::new(),
        pupil_count: 0,
        school_count: 0,
        parent_ids: HashMap::new(),
    };

    let mut tx = store.begin().await?;
    Store::set_setting(&mut tx, "demo", "true").await?;
    for admin in &data.admins {
        Store::insert_user(
            &mut tx,
            &user(
                &admin.email,
                &admin.name,
                Role::Admin,
                None,
                None,
                &demo.hash,
            ),
            now,
        )
        .await?;
        demo.accounts.push(account(
            Role::Admin,
            &admin.email,
            &admin.name,
            &demo.passphrase,
            None,
        ));
    }
    for la in &data.authorities {
        demo.authority(&mut tx, la).await?;
    }
    let DemoWriter {
        passphrase,
        mut accounts,
        samples: sample_pupils,
        pupil_count,
        school_count,
        ..
    } = demo;
    // Staff, specialists and officers must use two-factor sign-in: enrol every demo staff
    // account with one authenticator key, printed like the passphrase.
    let mut key = [0u8; 20];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let totp_secret = senco_domain::totp::Secret::from_bytes(key).to_base32();
    Store::enrol_staff_two_factor(&mut tx, &totp_secret).await?;
    for a in &mut accounts {
        if Role::parse(a.role).is_some_and(Role::is_staff) {
            a.totp_secret = Some(totp_secret.clone());
        }
    }
    let audit = super::cli_event(None, "demo", "create").fields(format!("pupils={pupil_count}"));
    Store::audit_in(&mut tx, &audit).await?;
    senco_store::commit(tx).await?;
    Ok(Summary {
        passphrase,
        totp_secret,
        authorities: data.authorities.len(),
        schools: school_count,
        pupils: pupil_count,
        accounts,
        sample_pupils,
    })
}

/// The demo dataset being written: the passphrase every account shares, and what the
/// summary reports.
struct DemoWriter {
    passphrase: String,
    hash: String,
    today: Date,
    now: OffsetDateTime,
    accounts: Vec<Account>,
    samples: Vec<SamplePupil>,
    pupil_count: usize,
    school_count: usize,
    /// Parents' accounts by email: a parent of two pupils has one.
    parent_ids: HashMap<String, String>,
}

/// An authority written, with what its schools need of it.
struct DemoAuthority<'a> {
    la: &'a AuthoritySpec,
    la_id: String,
    specialist_ids: Vec<String>,
    /// (id, name, email) of each specialist.
    specialists: Vec<(String, String, String)>,
}

/// A school written, with what its pupils need of it.
struct DemoSchool<'a> {
    authority: &'a DemoAuthority<'a>,
    school_index: usize,
    school: &'a SchoolSpec,
    school_id: String,
    where_: Option<(u32, String)>,
    staff_ids: Vec<String>,
    group_ids: Vec<String>,
}

impl DemoWriter {
    /// An authority with its terms, officers and specialists, then its schools.
    async fn authority(&mut self, tx: &mut Tx, la: &AuthoritySpec) -> anyhow::Result<()> {
        let now = self.now;
        let code = format!("{:03}", la.code);
        let la_id = Store::insert_authority(tx, &code, &la.name, la.country, now).await?;
        for term in &la.terms {
            Store::insert_term(tx, &la_id, None, *term).await?;
        }
        for officer in &la.officers {
            Store::insert_user(
                tx,
                &user(
                    &officer.email,
                    &officer.name,
                    Role::LaOfficer,
                    None,
                    Some(&la_id),
                    &self.hash,
                ),
                now,
            )
            .await?;
            self.accounts.push(account(
                Role::LaOfficer,
                &officer.email,
                &officer.name,
                &self.passphrase,
                None,
            ));
        }
        let mut specialist_ids = Vec::new();
        let mut specialists = Vec::new();
        for sp in &la.specialists {
            let id = Store::insert_user(
                tx,
                &user(
                    &sp.email,
                    &sp.name,
                    Role::Specialist,
                    None,
                    None,
                    &self.hash,
                ),
                now,
            )
            .await?;
            self.accounts.push(account(
                Role::Specialist,
                &sp.email,
                &sp.name,
                &self.passphrase,
                None,
            ));
            specialists.push((id.clone(), sp.name.clone(), sp.email.clone()));
            specialist_ids.push(id);
        }
        let authority = DemoAuthority {
            la,
            la_id,
            specialist_ids,
            specialists,
        };
        for (school_index, school) in la.schools.iter().enumerate() {
            self.school(tx, &authority, school_index, school).await?;
        }
        Ok(())
    }

    /// A school with its staff and registration groups, its pupils, and the provision of
    /// the pupils on its register.
    async fn school(
        &mut self,
        tx: &mut Tx,
        authority: &DemoAuthority<'_>,
        school_index: usize,
        school: &SchoolSpec,
    ) -> anyhow::Result<()> {
        let (now, today) = (self.now, self.today);
        let DemoAuthority {
            la,
            ref la_id,
            ref specialists,
            ..
        } = *authority;
        self.school_count += 1;
        let urn = school.urn.to_string();
        let estab = format!("{:04}", school.estab);
        let school_id = insert_school(
            tx,
            &NewSchool {
                la_id,
                urn: &urn,
                estab_number: &estab,
                name: &school.name,
                phase: school.phase,
                country: la.country,
                maintained: school.maintained,
            },
            &school.frameworks,
            &school.closures,
            now,
        )
        .await?;
        let where_ = Some((school.urn, school.name.clone()));
        let mut staff_ids = Vec::new();
        for staff in &school.staff {
            let id = Store::insert_user(
                tx,
                &user(
                    &staff.person.email,
                    &staff.person.name,
                    staff.role,
                    Some(&school_id),
                    None,
                    &self.hash,
                ),
                now,
            )
            .await?;
            self.accounts.push(account(
                staff.role,
                &staff.person.email,
                &staff.person.name,
                &self.passphrase,
                where_.clone(),
            ));
            staff_ids.push(id);
        }
        let mut group_ids = Vec::new();
        for group in &school.reg_groups {
            let teacher = group
                .teacher
                .and_then(|i| staff_ids.get(i))
                .map(String::as_str);
            let id = Store::insert_reg_group(
                tx,
                &school_id,
                &group.name,
                Some(i64::from(group.year.code())),
                teacher,
            )
            .await?;
            group_ids.push(id);
        }
        let s = DemoSchool {
            authority,
            school_index,
            school,
            school_id,
            where_,
            staff_ids,
            group_ids,
        };
        let mut on_register = Vec::new();
        for (pupil_index, pupil) in school.pupils.iter().enumerate() {
            self.pupil(tx, &s, pupil_index, pupil, &mut on_register)
                .await?;
        }
        let DemoSchool {
            school_id,
            staff_ids,
            ..
        } = s;
        let staff_with = |role: Role| {
            school
                .staff
                .iter()
                .position(|st| st.role == role)
                .and_then(|i| staff_ids.get(i))
                .map(String::as_str)
        };
        super::demo_provision::seed(
            tx,
            &super::demo_provision::ProvisionSeed {
                school_id: &school_id,
                country: la.country,
                terms: &la.terms,
                closures: &school.closures,
                assistant: staff_with(Role::TeachingAssistant),
                senco: staff_with(Role::Senco),
                specialists,
                today,
                now,
            },
            &on_register,
        )
        .await?;
        Ok(())
    }
    /// A pupil with their teachers, contacts, a few specialists' and the authority's
    /// records, and their SEN history; one placed on the register is added to
    /// `on_register`, with their index.
    async fn pupil(
        &mut self,
        tx: &mut Tx,
        s: &DemoSchool<'_>,
        pupil_index: usize,
        pupil: &PupilSpec,
        on_register: &mut Vec<(String, usize)>,
    ) -> anyhow::Result<()> {
        let (now, today) = (self.now, self.today);
        let DemoSchool {
            authority,
            school_index,
            school,
            ref school_id,
            ref staff_ids,
            ref group_ids,
            ..
        } = *s;
        let DemoAuthority {
            ref la_id,
            ref specialist_ids,
            ..
        } = *authority;
        self.pupil_count += 1;
        let fields = PupilFields {
            upn: pupil.upn.as_ref().map(|u| u.as_str().to_string()),
            former_upn: pupil.former_upn.as_ref().map(|u| u.as_str().to_string()),
            legal_forename: pupil.legal_forename.clone(),
            legal_surname: pupil.legal_surname.clone(),
            preferred_forename: pupil.preferred_forename.clone(),
            preferred_surname: pupil.preferred_surname.clone(),
            date_of_birth: pupil.dob,
            sex: pupil.sex,
            year_override: None,
            reg_group_id: pupil.reg_group.and_then(|i| group_ids.get(i)).cloned(),
            looked_after: pupil.looked_after,
            eal: pupil.eal,
            fsm: pupil.fsm,
            language: pupil.language,
        };
        let pupil_id = Store::insert_pupil(tx, school_id, &fields, pupil.enrolled_on, now).await?;
        for staff_index in &pupil.taught_by {
            if let Some(user_id) = staff_ids.get(*staff_index) {
                Store::insert_teaching_assignment(tx, school_id, user_id, &pupil_id).await?;
            }
        }
        self.contacts(tx, s, &pupil_id, pupil).await?;
        // A few records to show the specialists' and the authority's access.
        if school_index == 1 && pupil_index < 3 {
            if let Some(ep) = specialist_ids.first() {
                Store::insert_involvement(tx, &pupil_id, school_id, ep, "active", Some(today), now)
                    .await?;
            }
            if pupil_index == 0 {
                Store::insert_la_share(tx, &pupil_id, school_id, la_id, now).await?;
            }
        }
        if school_index == 1
            && pupil_index == 3
            && let Some(salt) = specialist_ids.get(1)
        {
            Store::insert_involvement(tx, &pupil_id, school_id, salt, "requested", None, now)
                .await?;
        }
        let teacher = pupil
            .reg_group
            .and_then(|g| school.reg_groups.get(g))
            .and_then(|g| g.teacher)
            .and_then(|t| staff_ids.get(t))
            .map(String::as_str);
        let seed = SenSeed {
            school_id,
            frameworks: &school.frameworks,
            early_years: school.phase.is_early_years(),
            senco: school
                .staff
                .iter()
                .position(|s| s.role == Role::Senco)
                .and_then(|i| staff_ids.get(i))
                .map(String::as_str),
            teacher,
            today,
            now,
        };
        if seed_sen(tx, &seed, pupil_index, &pupil_id, pupil).await? {
            on_register.push((pupil_id.clone(), pupil_index));
        }
        if pupil_index < 3 {
            self.samples.push(SamplePupil {
                id: pupil_id,
                school_urn: school.urn,
                legal_forename: pupil.legal_forename.clone(),
                legal_surname: pupil.legal_surname.clone(),
                upn: pupil.upn.as_ref().map(|u| u.as_str().to_string()),
                date_of_birth: senco_store::ds(pupil.dob),
            });
        }
        Ok(())
    }

    /// A pupil's contacts, with an account for each parent who has one (one a parent, by
    /// email).
    async fn contacts(
        &mut self,
        tx: &mut Tx,
        s: &DemoSchool<'_>,
        pupil_id: &str,
        pupil: &PupilSpec,
    ) -> anyhow::Result<()> {
        let now = self.now;
        let DemoSchool {
            ref school_id,
            ref where_,
            ..
        } = *s;
        for contact in &pupil.contacts {
            let user_id = match (&contact.email, contact.account) {
                (Some(email), true) => match self.parent_ids.get(email) {
                    Some(id) => Some(id.clone()),
                    None => {
                        let id = Store::insert_user(
                            tx,
                            &user(email, &contact.name, Role::Parent, None, None, &self.hash),
                            now,
                        )
                        .await?;
                        self.accounts.push(account(
                            Role::Parent,
                            email,
                            &contact.name,
                            &self.passphrase,
                            where_.clone(),
                        ));
                        self.parent_ids.insert(email.clone(), id.clone());
                        Some(id)
                    }
                },
                _ => None,
            };
            Store::insert_contact(
                tx,
                pupil_id,
                school_id,
                &NewContact {
                    name: &contact.name,
                    relationship: &contact.relationship,
                    parental_responsibility: contact.parental_responsibility,
                    restricted: contact.restricted,
                    email: contact.email.as_deref(),
                    phone: contact.phone.as_deref(),
                    user_id: user_id.as_deref(),
                },
                now,
            )
            .await?;
        }
        Ok(())
    }
}

fn user<'a>(
    email: &'a str,
    name: &'a str,
    role: Role,
    school_id: Option<&'a str>,
    la_id: Option<&'a str>,
    hash: &'a str,
) -> NewUser<'a> {
    NewUser {
        email,
        name,
        role,
        school_id,
        la_id,
        password_hash: Some(hash),
        must_change_password: false,
    }
}

/// A sign-in as `senco demo --json` and `senco generate --json` print it.
pub(crate) fn account(
    role: Role,
    email: &str,
    name: &str,
    passphrase: &str,
    school: Option<(u32, String)>,
) -> Account {
    Account {
        role: role.as_str(),
        email: email.to_string(),
        passphrase: passphrase.to_string(),
        name: name.to_string(),
        school_urn: school.as_ref().map(|(urn, _)| *urn),
        school_name: school.map(|(_, name)| name),
        totp_secret: None,
    }
}

/// Where a pupil's made-up SEN history is written.
struct SenSeed<'a> {
    school_id: &'a str,
    frameworks: &'a [(FrameworkKey, senco_domain::Date)],
    early_years: bool,
    senco: Option<&'a str>,
    teacher: Option<&'a str>,
    today: senco_domain::Date,
    now: time::OffsetDateTime,
}

/// Gives about one pupil in eight a stage history (School Action, School Action Plus, or a
/// Welsh IDP), with needs, parents told (a few not yet), and a few concerns awaiting triage.
/// Deterministic: it depends only on the pupil's position in the school.
async fn seed_sen(
    tx: &mut senco_store::Tx,
    s: &SenSeed<'_>,
    i: usize,
    pupil_id: &str,
    pupil: &senco_synth::PupilSpec,
) -> anyhow::Result<bool> {
    use senco_domain::framework::Stage;
    use senco_store::sen::{
        CurrentStage, NewConcern, NewNeed, NewParentNotification, NewStageChange,
    };
    let h = (i * 37 + 11) % 100;
    let in_force: Vec<FrameworkKey> = s
        .frameworks
        .iter()
        .filter(|(_, since)| *since <= s.today)
        .map(|(k, _)| *k)
        .collect();
    let welsh_aln = in_force.contains(&FrameworkKey::WalesAln2021) && h.is_multiple_of(2);
    let framework = if welsh_aln {
        FrameworkKey::WalesAln2021
    } else {
        *in_force
            .iter()
            .find(|k| **k != FrameworkKey::WalesAln2021)
            .unwrap_or(&FrameworkKey::England2001)
    };
    let early = s.early_years
        || matches!(
            senco_domain::year_group::nc_year(
                pupil.dob,
                senco_domain::year_group::academic_year_start(s.today)
            ),
            Some(
                senco_domain::year_group::YearGroup::Nursery1
                    | senco_domain::year_group::YearGroup::Nursery2
            )
        );
    let ladder: &[Stage] = match (welsh_aln, early, h) {
        (true, _, 0..9) => &[Stage::SchoolIdp],
        (true, _, 9..11) => &[Stage::SchoolIdp, Stage::LaIdp],
        (false, true, 0..8) => &[Stage::EarlyYearsAction],
        (false, true, 8..11) => &[Stage::EarlyYearsAction, Stage::EarlyYearsActionPlus],
        (false, false, 0..9) => &[Stage::SchoolAction],
        (false, false, 9..12) => &[Stage::SchoolAction, Stage::SchoolActionPlus],
        _ => &[],
    };
    if (95..97).contains(&h)
        && !early
        && let Some(teacher) = s.teacher
    {
        let raised = s.today - time::Duration::days((h as i64 - 90) * 3);
        Store::insert_concern(
            tx,
            pupil_id,
            s.school_id,
            &NewConcern {
                raised_by: teacher,
                raised_on: raised.max(pupil.enrolled_on),
                framework,
                areas: "cognition_and_learning",
                details: Some("Finds it hard to keep up with reading in class"),
                triggers: "little_or_no_progress,literacy_or_mathematics",
                tried: "Extra phonics in a small group, three times a week",
                result: "Reading age has not moved in six weeks",
            },
            s.now,
        )
        .await?;
    }
    // Welsh pupils still on the legacy ladder were placed before its census codes ended
    // (31 August 2025 by default): they are the ones not yet moved to the ALN system.
    let (window_start, window_end) = if framework == FrameworkKey::Wales2002 {
        (
            time::macros::date!(2024 - 09 - 15),
            time::macros::date!(2025 - 07 - 15).min(s.today - time::Duration::days(20)),
        )
    } else {
        (
            s.today - time::Duration::days(400),
            s.today - time::Duration::days(20),
        )
    };
    let start = (pupil.enrolled_on + time::Duration::days(30)).max(window_start);
    let last = window_end;
    if ladder.is_empty() || start >= last {
        return Ok(false);
    }
    let step = (last - start).whole_days() / ladder.len() as i64;
    let mut current = None;
    for (n, stage) in ladder.iter().enumerate() {
        let on = start + time::Duration::days(step * n as i64);
        let id = Store::insert_stage_change(
            tx,
            pupil_id,
            s.school_id,
            &NewStageChange {
                framework,
                stage: *stage,
                effective_on: on,
                reason: &StageReason::Given(
                    if n == 0 {
                        "Little progress despite teaching targeted at the weaknesses"
                    } else {
                        "Still little progress after a term of extra help"
                    }
                    .to_string(),
                ),
                decided_by: s.senco,
                decided_with: Some("Class teacher"),
                specialists: matches!(stage, Stage::SchoolActionPlus | Stage::EarlyYearsActionPlus)
                    .then_some("Educational psychologist"),
                supersedes: None,
                imported: false,
                recorded_by: s.senco,
            },
            s.now,
        )
        .await?;
        let untold = n + 1 == ladder.len() && i.is_multiple_of(7);
        if !untold {
            let how = ["meeting", "letter", "phone"][i % 3];
            Store::insert_parent_notification(
                tx,
                pupil_id,
                s.school_id,
                &NewParentNotification {
                    stage_change_id: &id,
                    informed_on: on + time::Duration::days(2),
                    method: how,
                    recorded_by: s.senco,
                },
                s.now,
            )
            .await?;
        }
        current = Some(CurrentStage {
            framework,
            stage: *stage,
            since: on,
            stage_change_id: id,
        });
    }
    Store::set_current_stage(tx, pupil_id, s.school_id, current.as_ref()).await?;
    if let Some(c) = &current {
        seed_plan(tx, s, i, pupil_id, c).await?;
    }
    let welsh = framework.country() == senco_domain::school::Country::Wales;
    let codes: &[&str] = if welsh {
        &["MLD", "DYSL", "SLCD", "ASD", "BESD", "ADHD"]
    } else {
        &["SPLD", "MLD", "SLCN", "SEMH", "ASD", "HI", "VI", "PD"]
    };
    let primary = codes[(i / 3) % codes.len()];
    let need = |code, rank| NewNeed {
        code,
        rank,
        starts_on: start,
        recorded_by: s.senco,
    };
    Store::insert_need(tx, pupil_id, s.school_id, &need(primary, 1), s.now).await?;
    if ladder.len() > 1 {
        let secondary = codes[(i / 3 + 2) % codes.len()];
        Store::insert_need(tx, pupil_id, s.school_id, &need(secondary, 2), s.now).await?;
    }
    Ok(true)
}

/// An active plan for a pupil on a stage, with three targets from the built-in bank and a
/// review date spread over the coming months (a few fall due soon).
async fn seed_plan(
    tx: &mut senco_store::Tx,
    s: &SenSeed<'_>,
    i: usize,
    pupil_id: &str,
    current: &senco_store::sen::CurrentStage,
) -> anyhow::Result<()> {
    use senco_store::plans::{PlanFields, PlanProvision, PlanTarget};
    let Some(plan_type) = senco_domain::framework::framework(current.framework).plan(current.stage)
    else {
        return Ok(());
    };
    let start = current
        .since
        .max(s.today - time::Duration::days(30 + ((i * 7) % 140) as i64));
    let review =
        (start + time::Duration::days(150)).min(senco_domain::plan::review_limit(plan_type, start));
    let bank = senco_app::plans::BUILT_IN_TARGETS;
    let targets = [i % bank.len(), (i + 3) % bank.len(), (i + 6) % bank.len()]
        .into_iter()
        .map(|k| {
            let (area, target, strategies, success) = bank[k];
            PlanTarget {
                id: String::new(),
                area: Some(area.to_string()),
                target: target.to_string(),
                strategies: strategies.to_string(),
                success_criteria: success.to_string(),
                by_when: None,
                carried_from: None,
            }
        })
        .collect();
    let mut fields = PlanFields {
        framework: current.framework,
        stage: current.stage,
        status: senco_domain::plan::PlanStatus::Active,
        starts_on: start,
        review_on: review,
        nature: "Progress in reading and writing is well below that of classmates despite targeted teaching.".into(),
        help_at_home: "Share a book for ten minutes each evening and play the word games sent home.".into(),
        pastoral: String::new(),
        pupil_views: "I like the word games. Reading out loud is hard.".into(),
        parent_views: "We want help with reading at home.".into(),
        consulted: "Parents and class teacher at a meeting".into(),
        agreed_on: Some(start),
        agreed_how: Some("meeting".into()),
        targets,
        provision: vec![PlanProvision {
            id: String::new(),
            what: "Small-group phonics".into(),
            who: "Teaching assistant".into(),
            how_often: "20 minutes, three times a week".into(),
            group_size: Some(4),
            from_on: None,
            to_on: None,
        }],
    };
    let plan = senco_store::plans::NewPlan {
        pupil_id,
        school_id: s.school_id,
        previous_plan_id: None,
        created_by: s.senco,
    };
    Store::insert_plan(tx, &plan, &mut fields, s.now).await?;
    Ok(())
}

/// A made-up school with its frameworks and its INSET days (closures), for `demo` and
/// `generate` alike. Returns the school's id.
pub(crate) async fn insert_school(
    tx: &mut senco_store::Tx,
    school: &NewSchool<'_>,
    frameworks: &[(FrameworkKey, senco_domain::Date)],
    closures: &[senco_domain::calendar::DateRange],
    now: time::OffsetDateTime,
) -> anyhow::Result<String> {
    let school_id = Store::insert_school(tx, school, now).await?;
    for (framework, since) in frameworks {
        Store::insert_school_framework(tx, &school_id, *framework, *since).await?;
    }
    for closure in closures {
        Store::insert_closure(tx, school.la_id, Some(&school_id), *closure, "INSET day").await?;
    }
    Ok(school_id)
}
