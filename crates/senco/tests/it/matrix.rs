//! SR-02: the permission matrix (`senco_domain::policy::MATRIX`) is what the server enforces.
//!
//! One fully populated pupil (pupil 1 of school A) stands in every relationship the matrix
//! knows: taught by teacher A and supported by TA A, the child of parent P (parental
//! responsibility), referred to specialist S (accepted, with consent), shared with officer 1's
//! authority. Every (resource, action) pair of the matrix has at least one real request in
//! [`PROBES`]; each is sent as every role, and the expected answer comes from evaluating the
//! matrix for the relationship that account has to the record, never from a hand-written
//! table of outcomes. Anonymous requests get the sign-in redirect or 401.

use std::collections::BTreeSet;

use senco_domain::policy::{Action, MATRIX, Relation, Resource, allows, pupil_reach, user_reach};
use senco_domain::role::Role;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

both!(
    sr_02_every_matrix_row_is_enforced_by_a_real_request,
    sr_06_each_role_sees_only_its_fields,
);

/// The records of the populated pupil, made through the API and pages as school A's SENCO.
pub struct World {
    pub pupil: String,
    /// The first entry of the stage history.
    pub stage_change: String,
    pub plan: String,
    pub concern: String,
    pub provision: String,
    pub allocation: String,
    pub agency: String,
    /// Specialist S's involvement (accepted, consented): the one that gives S access.
    pub involvement: String,
    pub report: String,
    pub need: &'static str,
    pub note: &'static str,
}

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn id_of(r: &Resp) -> String {
    assert!(
        matches!(r.status, 200 | 201),
        "expected a created record: {} {}",
        r.status,
        r.body
    );
    r.json()["id"].as_str().expect("an id").to_string()
}

/// The value of the `n`th option of the select with `id` on a page.
fn option(html: &str, select: &str, n: usize) -> String {
    let at = html
        .find(&format!("id=\"{select}\""))
        .unwrap_or_else(|| panic!("no select {select}"));
    html[at..]
        .split("<option value=\"")
        .nth(n)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no option {n} of {select}"))
        .to_string()
}

/// Pupil 1 with everything: stages, a need, a concern, a reviewed plan and a current one,
/// provision with an allocation and a delivered session, a referral to specialist S with
/// consent, a note and a report shared with parents, and a share with authority 1.
pub async fn populate(app: &TestApp) -> World {
    let s = app.signed_in(SENCO_A).await;
    let pupil = app.fx.p1.clone();
    // Authority 1 can read the record.
    let la: (String,) = sqlx::query_as("SELECT la_id FROM schools WHERE id = $1")
        .bind(&app.fx.school_a)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::insert_la_share(&mut tx, &pupil, &app.fx.school_a, &la.0, app.clock.now())
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    let stage_change = id_of(
        &s.post_json(
            &format!("/api/v1/pupils/{pupil}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress with phonics",
                    "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
        )
        .await,
    );
    let need = "SPLD";
    let r = s
        .post_page(
            &format!("/pupils/{pupil}/needs/new"),
            &[
                ("code", need),
                ("rank", "1"),
                ("starts_on_day", "1"),
                ("starts_on_month", "10"),
                ("starts_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let concern = id_of(
        &s.post_json(
            &format!("/api/v1/pupils/{pupil}/concerns"),
            &json!({"areas": ["communication_and_interaction"], "triggers": ["little_or_no_progress"],
                    "tried": "Visual timetable", "result": "Still anxious at transitions"}),
        )
        .await,
    );
    // A plan reviewed (and so closed), then the current one.
    let body = json!({
        "starts_on": "2026-10-05", "review_on": "2026-11-20", "nature": "Finds decoding unfamiliar words hard",
        "help_at_home": "Reading together each night", "pastoral": "Check in at lunchtime",
        "targets": [{"area": "cognition_and_learning", "target": "Read the first 100 high-frequency words",
                     "strategies": "Flash cards 10 minutes a day", "success_criteria": "Reads 90 of 100 words correctly"}],
        "provision": [{"what": "Phonics group", "who": "Teaching assistant", "how_often": "20 minutes, 3 times a week"}]
    });
    let old = s
        .post_json(&format!("/api/v1/pupils/{pupil}/plans"), &body)
        .await;
    let old_plan = id_of(&old);
    let target = old.json()["targets"][0]["id"].clone();
    let path = format!("/api/v1/plans/{old_plan}");
    for change in [
        json!({"status": "agreed_with_parents", "agreed_on": "2026-10-06", "agreed_how": "meeting"}),
        json!({"status": "active"}),
    ] {
        let r = s.patch_json(&path, &change, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = s
        .post_json(
            &format!("{path}/reviews"),
            &json!({"held_on": "2026-11-20", "invited": ["parent", "senco"], "attended": ["parent", "senco"],
                    "outcomes": [{"target_id": target, "outcome": "partly_achieved", "evidence": "61 of 100"}],
                    "decision": "continue_same_stage"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut current = body.clone();
    current["starts_on"] = json!("2026-11-23");
    current["review_on"] = json!("2027-02-26");
    let plan = id_of(
        &s.post_json(&format!("/api/v1/pupils/{pupil}/plans"), &current)
            .await,
    );
    // Provision: a catalogue entry, an allocation and a delivered session.
    let provision = fresh_provision(&s, "Phonics catch-up").await;
    let allocation = allocate(&s, &pupil, &provision).await;
    let r = s
        .post_json(
            &format!("/api/v1/allocations/{allocation}/sessions"),
            &json!({"on": "2026-09-08", "status": "delivered", "minutes": 30}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An agency with specialist S as its person; S's involvement, accepted with consent.
    let r = s
        .post_page(
            "/specialists/agencies",
            &[
                ("kind", "educational_psychology"),
                ("agency_name", "Northmoor Educational Psychology Service"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let agency = option(&s.get("/specialists").await.body, "agency_id", 2);
    let r = s
        .post_page(
            "/specialists/people",
            &[
                ("agency_id", &agency),
                ("person_name", "Dr Sam Ellis"),
                ("person_role", "Educational psychologist"),
                ("person_email", SPECIALIST_S),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let person = option(
        &s.get(&format!("/pupils/{pupil}/involvements/new"))
            .await
            .body,
        "person_id",
        2,
    );
    let involvement = id_of(
        &s.post_json(
            &format!("/api/v1/pupils/{pupil}/involvements"),
            &json!({"agency_id": agency, "person_id": person, "referral_on": "2026-11-09",
                    "reason": "Assessment of reading and working memory",
                    "consent_on": "2026-11-10", "consent_by": "Pat Parent (mother)"}),
        )
        .await,
    );
    let r = s
        .patch_json(
            &format!("/api/v1/involvements/{involvement}"),
            &json!({"status": "accepted"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let note = "Working memory below the expected range";
    let r = s
        .post_json(
            &format!("/api/v1/involvements/{involvement}/notes"),
            &json!({"kind": "assessment", "on": "2026-11-20", "body": note}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let report = fresh_report(&s, &involvement).await;
    let r = s
        .post_page(&format!("/reports/{report}/share"), &[("shared", "yes")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    World {
        pupil,
        stage_change,
        plan,
        concern,
        provision,
        allocation,
        agency,
        involvement,
        report,
        need,
        note,
    }
}

async fn fresh_provision(s: &Client, name: &str) -> String {
    id_of(
        &s.post_json(
            "/api/v1/provisions",
            &json!({"name": name, "kind": "small_group", "area": "cognition_and_learning",
                    "group_size": 3, "sessions_per_week": 2, "minutes_per_session": 30,
                    "cost_basis": "staff_time", "cost_pence": 1700}),
        )
        .await,
    )
}

/// An allocation of a provision of its own (a pupil has a provision once for any dates).
async fn fresh_allocation(s: &Client, pupil: &str, n: usize) -> String {
    let provision = fresh_provision(s, &format!("Reading group {n}")).await;
    allocate(s, pupil, &provision).await
}

async fn allocate(s: &Client, pupil: &str, provision: &str) -> String {
    id_of(
        &s.post_json(
            &format!("/api/v1/pupils/{pupil}/allocations"),
            &json!({"provision_id": provision, "from_on": "2026-09-07", "to_on": "2026-10-16",
                    "measure_name": "Reading age", "measure_unit": "months", "entry_value": 80.0, "entry_on": "2026-09-04"}),
        )
        .await,
    )
}

async fn fresh_report(s: &Client, involvement: &str) -> String {
    id_of(
        &s.send(
            s.raw()
                .post(s.url(&format!(
                    "/api/v1/involvements/{involvement}/reports?title=Assessment%20report&file_name=report.pdf"
                )))
                .header("content-type", "application/octet-stream")
                .body(PDF.to_vec()),
        )
        .await,
    )
}

/// One request of the table, each standing for a (resource, action) pair of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    PupilApiRead,
    PupilPageRead,
    PupilCreate,
    PupilUpdate,
    ContactsRead,
    ContactCreate,
    PlanRead,
    AllocationCreate,
    PlanUpdate,
    NeedsRead,
    AuditRead,
    ConcernRead,
    ConcernCreate,
    ConcernTriage,
    AuthorityFigures,
    RegisterCounts,
    ProvisionRead,
    ProvisionCreate,
    ProvisionUpdate,
    CostsRead,
    SessionCreate,
    ChronologyRead,
    InvolvementRead,
    InvolvementCreate,
    InvolvementUpdate,
    NotesRead,
    NoteCreate,
    ReportRead,
    ReportUpload,
    ReportShare,
    AgenciesRead,
    AgencyCreate,
    ParentViewsCreate,
    UsersRead,
    UserCreate,
    UserDisable,
    SchoolsRead,
    CensusRead,
    ImportStart,
    RetentionRead,
    RetentionUpdate,
    SubjectAccess,
    TransfersRead,
    TransferDecide,
    ApprovalsRead,
    ApprovalDecide,
    // The API's own requests for what the pages do (issue 17, point 12).
    ApiNeedsRead,
    ApiNeedCreate,
    ApiProcessesRead,
    ApiProcessCreate,
    ApiStageHistoryRead,
    ApiParentsTold,
    ApiPlansList,
    ApiConcernList,
    ApiConcernRead,
    ApiConcernTriage,
    ApiCensusRead,
    ApiCensusCsv,
    ApiAgenciesRead,
    ApiAgencyCreate,
    ApiPersonCreate,
    ApiReportShare,
    // Issue 19, point 1: authorities and schools.
    AuthorityCreate,
    SchoolUpdate,
}

use Action::{Create, Export, Read, Update};
use Probe::*;
use Resource::*;

/// Every probe with the matrix pair it exercises. Adding a matrix row with a new pair, or a
/// probe for a pair the matrix does not know, fails the meta-assertion.
const PROBES: &[(Probe, Resource, Action)] = &[
    (PupilApiRead, PupilDetails, Read),
    (PupilPageRead, PupilDetails, Read),
    (PupilCreate, PupilDetails, Create),
    (PupilUpdate, PupilDetails, Update),
    (ContactsRead, PupilContacts, Read),
    (ContactCreate, PupilContacts, Create),
    (PlanRead, PupilSen, Read),
    (AllocationCreate, PupilSen, Create),
    (PlanUpdate, PupilSen, Update),
    (NeedsRead, PupilNeeds, Read),
    (AuditRead, PupilAudit, Read),
    (ConcernRead, Concern, Read),
    (ConcernCreate, Concern, Create),
    (ConcernTriage, Concern, Update),
    (AuthorityFigures, Aggregates, Read),
    (RegisterCounts, Aggregates, Read),
    (ProvisionRead, Provision, Read),
    (ProvisionCreate, Provision, Create),
    (ProvisionUpdate, Provision, Update),
    (CostsRead, ProvisionCosts, Read),
    (SessionCreate, Delivery, Create),
    (ChronologyRead, PupilSenHistory, Read),
    (InvolvementRead, Involvement, Read),
    (InvolvementCreate, Involvement, Create),
    (InvolvementUpdate, Involvement, Update),
    (NotesRead, InvolvementNotes, Read),
    (NoteCreate, InvolvementNotes, Create),
    (ReportRead, SpecialistReports, Read),
    (ReportUpload, SpecialistReports, Create),
    (ReportShare, SpecialistReports, Update),
    (AgenciesRead, Agencies, Read),
    (AgencyCreate, Agencies, Create),
    (ParentViewsCreate, ParentViews, Create),
    (UsersRead, Users, Read),
    (UserCreate, Users, Create),
    (UserDisable, Users, Update),
    (SchoolsRead, Installation, Read),
    (CensusRead, CensusReturn, Read),
    (ImportStart, PupilImport, Create),
    (RetentionRead, Retention, Read),
    (RetentionUpdate, Retention, Update),
    (SubjectAccess, SubjectAccessExport, Export),
    (TransfersRead, PupilTransfers, Read),
    (TransferDecide, PupilTransfers, Update),
    (ApprovalsRead, AccessApprovals, Read),
    (ApprovalDecide, AccessApprovals, Update),
    (ApiNeedsRead, PupilNeeds, Read),
    (ApiNeedCreate, PupilSen, Create),
    (ApiProcessesRead, PupilSenHistory, Read),
    (ApiProcessCreate, PupilSen, Create),
    (ApiStageHistoryRead, PupilSenHistory, Read),
    (ApiParentsTold, PupilSen, Update),
    (ApiPlansList, PupilSen, Read),
    (ApiConcernList, Concern, Read),
    (ApiConcernRead, Concern, Read),
    (ApiConcernTriage, Concern, Update),
    (ApiCensusRead, CensusReturn, Read),
    (ApiCensusCsv, CensusReturn, Read),
    (ApiAgenciesRead, Agencies, Read),
    (ApiAgencyCreate, Agencies, Create),
    (ApiPersonCreate, Agencies, Create),
    (ApiReportShare, SpecialistReports, Update),
    (AuthorityCreate, Installation, Create),
    (SchoolUpdate, Installation, Update),
];

/// What a record is, for working out the caller's relationship to it.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Pupil 1's record (or a record belonging to it).
    Pupil,
    /// A record of school A that belongs to no pupil (the provision catalogue, agencies).
    SchoolA,
    /// The caller's own school's lists and new entries.
    OwnSchool,
    /// The caller's authority's figures.
    Authority,
    /// The SEN register of the pupils the caller reaches by school or by teaching.
    Register,
    /// User accounts of school A, and the installation.
    Accounts,
    /// Transfers between schools: a school's own, or an officer's authority's.
    Transfers,
    /// A transfer request for a pupil of school A: decided by school A, or its authority.
    TransferOfSchoolA,
    /// Access waiting for approval: a school's own, or the installation's.
    Approvals,
    /// An account of no school waiting for approval: another administrator decides.
    AccountOfNoSchool,
}

/// The accounts the table is sent as, with the school they work at.
const ACCOUNTS: &[(&str, Role, Option<&str>)] = &[
    (SENCO_A, Role::Senco, Some("A")),
    (TEACHER_A, Role::Teacher, Some("A")),
    (TA_A, Role::TeachingAssistant, Some("A")),
    (HEAD_A, Role::Head, Some("A")),
    (SCHOOL_ADMIN_A, Role::SchoolAdmin, Some("A")),
    (PARENT_P, Role::Parent, None),
    (SPECIALIST_S, Role::Specialist, None),
    (OFFICER_1, Role::LaOfficer, None),
    (ADMIN, Role::Admin, None),
    // Another school's SENCO: no relationship to anything of school A.
    (SENCO_B, Role::Senco, Some("B")),
];

/// How the account stands to pupil 1 in this fixture: the fact the scope must find.
fn relation_to_pupil(email: &str) -> Option<Relation> {
    match email {
        SENCO_A | HEAD_A | SCHOOL_ADMIN_A => Some(Relation::OwnSchool),
        TEACHER_A | TA_A => Some(Relation::Teaches),
        PARENT_P => Some(Relation::OwnChild),
        SPECIALIST_S => Some(Relation::ReferredTo),
        OFFICER_1 => Some(Relation::SharedWithAuthority),
        _ => None,
    }
}

fn relation(target: Target, email: &str, role: Role, school: Option<&str>) -> Option<Relation> {
    let staff = pupil_reach(role).is_some() && school.is_some();
    match target {
        Target::Pupil => {
            let rel = relation_to_pupil(email);
            // The fixture's facts agree with the role's reach.
            if let Some(r) = rel {
                assert_eq!(pupil_reach(role), Some(r), "{email}");
            }
            rel
        }
        Target::SchoolA => (staff && school == Some("A")).then_some(Relation::OwnSchool),
        Target::OwnSchool => staff.then_some(Relation::OwnSchool),
        Target::Authority => (role == Role::LaOfficer).then_some(Relation::OwnAuthority),
        Target::Register => pupil_reach(role)
            .filter(|r| matches!(r, Relation::OwnSchool | Relation::Teaches))
            .filter(|_| school.is_some()),
        Target::Transfers => match role {
            Role::LaOfficer => Some(Relation::OwnAuthority),
            _ => staff.then_some(Relation::OwnSchool),
        },
        Target::TransferOfSchoolA => match role {
            Role::LaOfficer => Some(Relation::OwnAuthority),
            _ => (staff && school == Some("A")).then_some(Relation::OwnSchool),
        },
        Target::Approvals => match role {
            Role::Admin => Some(Relation::Installation),
            _ => staff.then_some(Relation::OwnSchool),
        },
        Target::AccountOfNoSchool => (role == Role::Admin).then_some(Relation::Installation),
        Target::Accounts => match user_reach(role) {
            Some(Relation::OwnSchool) if school != Some("A") => None,
            r => r,
        },
    }
}

/// What the matrix says for this account.
fn expected(
    resource: Resource,
    action: Action,
    target: Target,
    account: &(&str, Role, Option<&str>),
) -> bool {
    let (email, role, school) = *account;
    relation(target, email, role, school).is_some_and(|rel| allows(role, rel, resource, action))
}

enum Body {
    Empty,
    Form(Vec<(String, String)>),
    Json(Value),
    Bytes(Vec<u8>),
}

/// How success and refusal look for a probe.
enum Check {
    /// Allowed: this status; refused: `denied` (404 for records, as a missing one).
    Status { ok: u16, denied: u16 },
    /// A section of a page or response the caller may or may not see: allowed, 200 with the
    /// marker; refused, the same page without it when the gate pair is allowed (or there is
    /// no gate: every signed-in account has the page), else 404.
    Shows {
        marker: String,
        gate: Option<(Resource, Action, Target)>,
    },
}

struct Req {
    method: &'static str,
    path: String,
    body: Body,
    target: Target,
    check: Check,
}

fn status(ok: u16) -> Check {
    Check::Status { ok, denied: 404 }
}

fn form(fields: &[(&str, &str)]) -> Body {
    Body::Form(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn get(path: String, target: Target, check: Check) -> Req {
    Req {
        method: "GET",
        path,
        body: Body::Empty,
        target,
        check,
    }
}

fn send_json(method: &'static str, path: String, body: Value, target: Target, ok: u16) -> Req {
    Req {
        method,
        path,
        body: Body::Json(body),
        target,
        check: status(ok),
    }
}

fn post_form(path: String, body: Body, target: Target) -> Req {
    Req {
        method: "POST",
        path,
        body,
        target,
        check: status(303),
    }
}

/// The request for a probe; records that a successful request would use up (a concern
/// triaged, a user disabled) are made fresh, as the SENCO or school administrator, each time.
async fn request(app: &TestApp, w: &World, probe: Probe, n: usize) -> Req {
    let p = &w.pupil;
    let senco = || app.signed_in(SENCO_A);
    match probe {
        PupilApiRead => get(format!("/api/v1/pupils/{p}"), Target::Pupil, status(200)),
        PupilPageRead => get(format!("/pupils/{p}"), Target::Pupil, status(200)),
        PupilCreate => Req {
            check: Check::Status {
                ok: 201,
                denied: 422,
            },
            ..send_json(
                "POST",
                "/api/v1/pupils".into(),
                json!({"school_urn": "100001", "legal_forename": "Probe", "legal_surname": format!("Pupil{n}"),
                       "date_of_birth": "2017-04-12", "sex": "M",
                       "upn": senco_domain::upn::Upn::permanent(886, 2001, 26, n as u16).unwrap().as_str()}),
                Target::SchoolA,
                201,
            )
        },
        PupilUpdate => send_json(
            "PATCH",
            format!("/api/v1/pupils/{p}"),
            json!({"preferred_forename": format!("Amy{n}")}),
            Target::Pupil,
            200,
        ),
        ContactsRead => get(
            format!("/pupils/{p}"),
            Target::Pupil,
            Check::Shows {
                marker: "Pat Parent".into(),
                gate: Some((PupilDetails, Read, Target::Pupil)),
            },
        ),
        ContactCreate => post_form(
            format!("/pupils/{p}/contacts/new"),
            form(&[
                ("name", &format!("Grace Gran{n}")),
                ("relationship", "Grandparent"),
                ("parental_responsibility", "no"),
                ("phone", "07700 900123"),
            ]),
            Target::Pupil,
        ),
        PlanRead => get(
            format!("/api/v1/plans/{}", w.plan),
            Target::Pupil,
            status(200),
        ),
        AllocationCreate => {
            let provision = fresh_provision(&senco().await, &format!("Maths group {n}")).await;
            send_json(
                "POST",
                format!("/api/v1/pupils/{p}/allocations"),
                json!({"provision_id": provision, "from_on": "2026-09-07", "to_on": "2026-10-16"}),
                Target::Pupil,
                201,
            )
        }
        PlanUpdate => send_json(
            "PATCH",
            format!("/api/v1/plans/{}", w.plan),
            json!({"pastoral": format!("Check in at lunchtime ({n})")}),
            Target::Pupil,
            200,
        ),
        NeedsRead => get(
            format!("/pupils/{p}"),
            Target::Pupil,
            Check::Shows {
                marker: format!("<strong>{}</strong>", w.need),
                gate: Some((PupilDetails, Read, Target::Pupil)),
            },
        ),
        AuditRead => get(format!("/pupils/{p}/audit"), Target::Pupil, status(200)),
        ConcernRead => get(
            format!("/concerns/{}", w.concern),
            Target::Pupil,
            status(200),
        ),
        ConcernCreate => send_json(
            "POST",
            format!("/api/v1/pupils/{p}/concerns"),
            json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
                   "tried": "Reading group", "result": "No change"}),
            Target::Pupil,
            201,
        ),
        ConcernTriage => {
            let fresh = id_of(
                &senco()
                    .await
                    .post_json(
                        &format!("/api/v1/pupils/{p}/concerns"),
                        &json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
                                "tried": "Reading group", "result": "No change"}),
                    )
                    .await,
            );
            post_form(
                format!("/concerns/{fresh}"),
                form(&[("version", "1"), ("decision", "monitor")]),
                Target::Pupil,
            )
        }
        AuthorityFigures => get(
            "/".into(),
            Target::Authority,
            Check::Shows {
                marker: senco_i18n::EN.dashboard_authority_schools.into(),
                gate: None,
            },
        ),
        RegisterCounts => get(
            "/register".into(),
            Target::Register,
            Check::Shows {
                marker: senco_i18n::EN.reg_counts_caption.into(),
                gate: Some((PupilSen, Read, Target::Register)),
            },
        ),
        ProvisionRead => get(
            format!("/api/v1/provisions/{}", w.provision),
            Target::SchoolA,
            status(200),
        ),
        ProvisionCreate => send_json(
            "POST",
            "/api/v1/provisions".into(),
            json!({"name": format!("Probe group {n}"), "kind": "small_group", "area": "cognition_and_learning",
                   "group_size": 3, "sessions_per_week": 2, "minutes_per_session": 30,
                   "cost_basis": "staff_time", "cost_pence": 1700}),
            Target::OwnSchool,
            201,
        ),
        ProvisionUpdate => send_json(
            "PATCH",
            format!("/api/v1/provisions/{}", w.provision),
            json!({"name": "Phonics catch-up", "kind": "small_group", "area": "cognition_and_learning",
                   "group_size": 3, "sessions_per_week": 2, "minutes_per_session": 30,
                   "cost_basis": "staff_time", "cost_pence": 1700 + n as i64}),
            Target::SchoolA,
            200,
        ),
        CostsRead => get(
            format!("/api/v1/provisions/{}", w.provision),
            Target::SchoolA,
            Check::Shows {
                marker: "\"cost_pence\"".into(),
                gate: Some((Provision, Read, Target::SchoolA)),
            },
        ),
        SessionCreate => {
            let fresh = fresh_allocation(&senco().await, p, n).await;
            send_json(
                "POST",
                format!("/api/v1/allocations/{fresh}/sessions"),
                json!({"on": "2026-09-08", "status": "delivered", "minutes": 30}),
                Target::Pupil,
                201,
            )
        }
        ChronologyRead => get(
            format!("/api/v1/pupils/{p}/chronology"),
            Target::Pupil,
            status(200),
        ),
        InvolvementRead => get(
            format!("/api/v1/involvements/{}", w.involvement),
            Target::Pupil,
            status(200),
        ),
        InvolvementCreate => send_json(
            "POST",
            format!("/api/v1/pupils/{p}/involvements"),
            json!({"agency_id": w.agency, "referral_on": "2026-11-20", "reason": format!("Referral {n}")}),
            Target::Pupil,
            201,
        ),
        InvolvementUpdate => {
            let fresh = id_of(
                &senco()
                    .await
                    .post_json(
                        &format!("/api/v1/pupils/{p}/involvements"),
                        &json!({"agency_id": w.agency, "referral_on": "2026-11-20", "reason": "Fresh referral",
                                "consent_on": "2026-11-20", "consent_by": "Pat Parent (mother)"}),
                    )
                    .await,
            );
            send_json(
                "PATCH",
                format!("/api/v1/involvements/{fresh}"),
                json!({"status": "accepted"}),
                Target::Pupil,
                200,
            )
        }
        NotesRead => get(
            format!("/involvements/{}", w.involvement),
            Target::Pupil,
            Check::Shows {
                marker: w.note.into(),
                gate: Some((Involvement, Read, Target::Pupil)),
            },
        ),
        NoteCreate => send_json(
            "POST",
            format!("/api/v1/involvements/{}/notes", w.involvement),
            json!({"kind": "visit", "on": "2026-11-21", "body": format!("Observed in class ({n})")}),
            Target::Pupil,
            201,
        ),
        ReportRead => get(
            format!("/api/v1/reports/{}", w.report),
            Target::Pupil,
            status(200),
        ),
        ReportUpload => Req {
            method: "POST",
            path: format!(
                "/api/v1/involvements/{}/reports?title=Visit%20notes&file_name=visit.pdf",
                w.involvement
            ),
            body: Body::Bytes(PDF.to_vec()),
            target: Target::Pupil,
            check: status(201),
        },
        ReportShare => {
            let fresh = fresh_report(&senco().await, &w.involvement).await;
            post_form(
                format!("/reports/{fresh}/share"),
                form(&[("shared", "yes")]),
                Target::Pupil,
            )
        }
        AgenciesRead => get("/specialists".into(), Target::OwnSchool, status(200)),
        CensusRead => get(
            "/census?date=2026-10-01".into(),
            Target::OwnSchool,
            status(200),
        ),
        // The upload form is the first step of an import (the file's own steps are tested
        // in imports.rs).
        ImportStart => get("/pupils/import".into(), Target::OwnSchool, status(200)),
        RetentionRead => get("/retention".into(), Target::OwnSchool, status(200)),
        // A fresh pending review of pupil 1 each time, kept with a reason (destruction itself
        // is tested in retention.rs).
        RetentionUpdate => {
            sqlx::query("DELETE FROM retention_reviews WHERE pupil_id = $1")
                .bind(p)
                .execute(app.store.pool())
                .await
                .unwrap();
            let mut tx = app.store.begin().await.unwrap();
            let id = senco_store::Store::insert_retention_review(
                &mut tx,
                p,
                &app.fx.school_a,
                senco_domain::retention::RecordClass::SenFile,
                time::macros::date!(2026 - 11 - 01),
                app.clock.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            post_form(
                format!("/retention/{id}"),
                form(&[
                    ("action", "keep"),
                    ("reason", "A complaint is under way"),
                    ("keep_until_day", "1"),
                    ("keep_until_month", "9"),
                    ("keep_until_year", "2027"),
                ]),
                Target::SchoolA,
            )
        }
        TransfersRead => get("/transfers".into(), Target::Transfers, status(200)),
        // A fresh request from school B for pupil 1 each time, declined (releasing is tested
        // in imports.rs).
        TransferDecide => {
            // Refused attempts leave theirs pending.
            sqlx::query(
                "UPDATE transfer_requests SET status = 'declined' WHERE status = 'pending'",
            )
            .execute(app.store.pool())
            .await
            .unwrap();
            let mut tx = app.store.begin().await.unwrap();
            let id = senco_store::Store::request_transfer(
                &mut tx,
                &senco_store::transfers::NewTransferRequest {
                    pupil_id: p,
                    from_school_id: &app.fx.school_a,
                    to_school_id: &app.fx.school_b,
                    upn: "A801200000001",
                    legal_forename: "Amy",
                    legal_surname: "Thornbury",
                    surname_differs: false,
                    source: "pupil_import",
                    requested_by: None,
                    requested_label: "os:matrix",
                },
                app.clock.now(),
            )
            .await
            .unwrap()
            .expect("no request pending");
            tx.commit().await.unwrap();
            post_form(
                format!("/transfers/{id}"),
                form(&[("action", "decline")]),
                Target::TransferOfSchoolA,
            )
        }
        ApprovalsRead => get("/admin/approvals".into(), Target::Approvals, status(200)),
        // A fresh officer's account asked for by school A's administrator each time,
        // refused (approving is tested in pages.rs).
        ApprovalDecide => {
            let requester = app.store.user_by_email(SCHOOL_ADMIN_A).await.unwrap();
            let la = app.store.school(&app.fx.school_a).await.unwrap().la_id;
            let now = app.clock.now();
            let mut tx = app.store.begin().await.unwrap();
            let email = format!("asked{n}@la1.example");
            let id = senco_store::Store::insert_user(
                &mut tx,
                &senco_store::users::NewUser {
                    email: &email,
                    name: "Asked Officer",
                    role: Role::LaOfficer,
                    school_id: None,
                    la_id: Some(&la),
                    password_hash: None,
                    must_change_password: false,
                },
                now,
            )
            .await
            .unwrap();
            senco_store::Store::hold_for_approval(&mut tx, &id, None, Some(&requester.id), now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            post_form(
                format!("/admin/approvals/accounts/{id}"),
                form(&[("action", "refuse")]),
                Target::AccountOfNoSchool,
            )
        }
        // The bundle's own contents are tested in subject_access.rs.
        SubjectAccess => Req {
            check: status(200),
            ..post_form(
                format!("/pupils/{p}/subject-access"),
                form(&[
                    ("received_on_day", "14"),
                    ("received_on_month", "9"),
                    ("received_on_year", "2026"),
                    ("format", "json"),
                ]),
                Target::Pupil,
            )
        },
        AgencyCreate => post_form(
            "/specialists/agencies".into(),
            form(&[
                ("kind", "speech_and_language_therapy"),
                ("agency_name", &format!("Speech service {n}")),
            ]),
            Target::OwnSchool,
        ),
        ParentViewsCreate => post_form(
            format!("/plans/{}/views", w.plan),
            form(&[
                ("parent_views", "She reads with us every night"),
                ("child_views", "I like the word games"),
            ]),
            Target::Pupil,
        ),
        UsersRead => get("/admin/users".into(), Target::Accounts, status(200)),
        // The answer is the page with the new account's one-time passphrase.
        UserCreate => Req {
            check: status(200),
            ..post_form(
                "/admin/users/new".into(),
                form(&[
                    ("name", "New Teacher"),
                    ("email", &format!("new.teacher{n}@a.example")),
                    ("role", "teacher"),
                    ("school", "100001"),
                ]),
                Target::Accounts,
            )
        },
        UserDisable => {
            let office = app.signed_in(SCHOOL_ADMIN_A).await;
            let email = format!("to.disable{n}@a.example");
            let r = office
                .post_page(
                    "/admin/users/new",
                    &[
                        ("name", "Leaving Clerk"),
                        ("email", &email),
                        // An account without SEN access is live at once (a teacher's waits
                        // for the SENCO's approval, SR-02).
                        ("role", "school_admin"),
                        ("school", "100001"),
                    ],
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body.contains(&email), "{}", r.body);
            let user = app.store.user_by_email(&email).await.unwrap();
            post_form(
                format!("/admin/users/{}/disable", user.id),
                Body::Empty,
                Target::Accounts,
            )
        }
        ApiNeedsRead => get(
            format!("/api/v1/pupils/{p}/needs"),
            Target::Pupil,
            status(200),
        ),
        // Other needs (rank 3 and on) may be many at once.
        ApiNeedCreate => send_json(
            "POST",
            format!("/api/v1/pupils/{p}/needs"),
            json!({"code": "MLD", "rank": 3, "starts_on": "2026-10-01"}),
            Target::Pupil,
            201,
        ),
        ApiProcessesRead => get(
            format!("/api/v1/pupils/{p}/processes"),
            Target::Pupil,
            status(200),
        ),
        ApiProcessCreate => send_json(
            "POST",
            format!("/api/v1/pupils/{p}/processes"),
            json!({"kind": "statutory_assessment", "started_on": "2026-10-01", "notes": format!("Request {n}")}),
            Target::Pupil,
            201,
        ),
        ApiStageHistoryRead => get(
            format!("/api/v1/pupils/{p}/stage-changes"),
            Target::Pupil,
            status(200),
        ),
        ApiParentsTold => send_json(
            "POST",
            format!(
                "/api/v1/pupils/{p}/stage-changes/{}/parents-told",
                w.stage_change
            ),
            json!({"parents_told_on": "2026-10-03", "parents_told_how": "letter"}),
            Target::Pupil,
            204,
        ),
        ApiPlansList => get(
            format!("/api/v1/pupils/{p}/plans"),
            Target::Pupil,
            status(200),
        ),
        ApiConcernList => get("/api/v1/concerns".into(), Target::OwnSchool, status(200)),
        ApiConcernRead => get(
            format!("/api/v1/concerns/{}", w.concern),
            Target::Pupil,
            status(200),
        ),
        ApiConcernTriage => {
            let fresh = id_of(
                &senco()
                    .await
                    .post_json(
                        &format!("/api/v1/pupils/{p}/concerns"),
                        &json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
                                "tried": "Reading group", "result": "No change"}),
                    )
                    .await,
            );
            send_json(
                "POST",
                format!("/api/v1/concerns/{fresh}/triage"),
                json!({"decision": "monitor"}),
                Target::Pupil,
                200,
            )
        }
        ApiCensusRead => get(
            "/api/v1/census?date=2026-10-01".into(),
            Target::OwnSchool,
            status(200),
        ),
        ApiCensusCsv => get(
            "/api/v1/census.csv?date=2026-10-01".into(),
            Target::OwnSchool,
            status(200),
        ),
        ApiAgenciesRead => get("/api/v1/agencies".into(), Target::OwnSchool, status(200)),
        ApiAgencyCreate => send_json(
            "POST",
            "/api/v1/agencies".into(),
            json!({"kind": "occupational_therapy", "name": format!("Therapy service {n}")}),
            Target::OwnSchool,
            201,
        ),
        ApiPersonCreate => send_json(
            "POST",
            format!("/api/v1/agencies/{}/people", w.agency),
            json!({"name": format!("Alex Adviser {n}"), "role": "Adviser"}),
            Target::SchoolA,
            201,
        ),
        ApiReportShare => {
            let fresh = fresh_report(&senco().await, &w.involvement).await;
            send_json(
                "PATCH",
                format!("/api/v1/reports/{fresh}"),
                json!({"shared_with_parents": true}),
                Target::Pupil,
                200,
            )
        }
        AuthorityCreate => send_json(
            "POST",
            "/api/v1/admin/authorities".into(),
            json!({"code": "873", "name": "Fenshire"}),
            Target::Accounts,
            201,
        ),
        SchoolUpdate => send_json(
            "PATCH",
            format!("/api/v1/admin/schools/{}", app.fx.school_a),
            json!({"town": format!("Town {n}")}),
            Target::Accounts,
            200,
        ),
        SchoolsRead => get(
            "/api/v1/schools".into(),
            Target::Accounts,
            Check::Shows {
                marker: "Ysgol W".into(),
                gate: None,
            },
        ),
    }
}

async fn send(c: &Client, req: &Req) -> Resp {
    let url = c.url(&req.path);
    let b = c.raw().request(req.method.parse().unwrap(), url);
    let b = match &req.body {
        Body::Empty if req.method == "POST" => b.form(&[("csrf_token", c.csrf())]),
        Body::Empty => b,
        Body::Form(fields) => {
            let mut fields = fields.clone();
            fields.push(("csrf_token".into(), c.csrf()));
            b.form(&fields)
        }
        Body::Json(v) => b.json(v),
        Body::Bytes(bytes) => b
            .header("content-type", "application/octet-stream")
            .body(bytes.clone()),
    };
    c.send(b).await
}

async fn sr_02_every_matrix_row_is_enforced_by_a_real_request(app: &TestApp) {
    // Meta: the table and the matrix name the same (resource, action) pairs.
    let in_matrix: BTreeSet<String> = MATRIX
        .iter()
        .map(|r| format!("{:?} {:?}", r.resource, r.action))
        .collect();
    let in_table: BTreeSet<String> = PROBES
        .iter()
        .map(|(_, r, a)| format!("{r:?} {a:?}"))
        .collect();
    let untested: Vec<_> = in_matrix.difference(&in_table).collect();
    assert!(
        untested.is_empty(),
        "matrix pairs without a request: {untested:?}"
    );
    let unknown: Vec<_> = in_table.difference(&in_matrix).collect();
    assert!(
        unknown.is_empty(),
        "requests for pairs the matrix does not know: {unknown:?}"
    );
    // Every role of the matrix is sent the table.
    let roles: BTreeSet<String> = ACCOUNTS.iter().map(|a| format!("{:?}", a.1)).collect();
    for r in MATRIX {
        assert!(roles.contains(&format!("{:?}", r.role)), "{:?}", r.role);
    }

    let w = populate(app).await;
    let anonymous = app.client();
    let mut clients = Vec::new();
    for account in ACCOUNTS {
        clients.push(app.signed_in(account.0).await);
    }
    let (mut allowed, mut refused) = (0, 0);
    let mut n = 0;
    for (probe, resource, action) in PROBES {
        for (account, c) in ACCOUNTS.iter().zip(&clients) {
            n += 1;
            let req = request(app, &w, *probe, n).await;
            let allow = expected(*resource, *action, req.target, account);
            let what = format!(
                "{probe:?} ({resource:?} {action:?}) as {} ({:?}): {} {} expected {}",
                account.0,
                account.1,
                req.method,
                req.path,
                if allow { "allowed" } else { "refused" }
            );
            let r = send(c, &req).await;
            match &req.check {
                Check::Status { ok, denied } => {
                    let want = if allow { *ok } else { *denied };
                    assert_eq!(r.status, want, "{what}: {}", r.body);
                    if r.status == 303 {
                        assert_ne!(r.header("location"), Some("/sign-in"), "{what}");
                    }
                }
                Check::Shows { marker, gate } => {
                    let page = (*gate).is_none_or(|(r, a, t)| expected(r, a, t, account));
                    let want = if page || allow { 200 } else { 404 };
                    assert_eq!(r.status, want, "{what}: {}", r.body);
                    assert_eq!(r.body.contains(marker.as_str()), allow, "{what}: {marker}");
                }
            }
            if allow {
                allowed += 1;
            } else {
                refused += 1;
            }
        }
        // Anonymous: never past the door.
        let req = request(app, &w, *probe, 0).await;
        let r = send(&anonymous, &req).await;
        if req.path.starts_with("/api/") {
            assert_eq!(r.status, 401, "{probe:?} anonymous: {}", r.body);
        } else {
            assert_eq!(r.status, 303, "{probe:?} anonymous");
            assert_eq!(r.header("location"), Some("/sign-in"), "{probe:?}");
        }
    }
    assert!(
        allowed > 60 && refused > 150,
        "{allowed} allowed, {refused} refused"
    );
}

/// The API responses about the populated pupil, as (route template, path).
fn api_reads(w: &World, old_plan: &str) -> Vec<(&'static str, String)> {
    let p = &w.pupil;
    vec![
        ("GET /api/v1/pupils/{id}", format!("/api/v1/pupils/{p}")),
        (
            "GET /api/v1/pupils/{id}/chronology",
            format!("/api/v1/pupils/{p}/chronology"),
        ),
        (
            "GET /api/v1/pupils/{id}/allocations",
            format!("/api/v1/pupils/{p}/allocations"),
        ),
        (
            "GET /api/v1/pupils/{id}/involvements",
            format!("/api/v1/pupils/{p}/involvements"),
        ),
        (
            "GET /api/v1/plans/{current}",
            format!("/api/v1/plans/{}", w.plan),
        ),
        (
            "GET /api/v1/plans/{reviewed}",
            format!("/api/v1/plans/{old_plan}"),
        ),
        (
            "GET /api/v1/allocations/{id}",
            format!("/api/v1/allocations/{}", w.allocation),
        ),
        (
            "GET /api/v1/allocations/{id}/sessions",
            format!("/api/v1/allocations/{}/sessions", w.allocation),
        ),
        (
            "GET /api/v1/involvements/{id}",
            format!("/api/v1/involvements/{}", w.involvement),
        ),
        (
            "GET /api/v1/provisions/{id}",
            format!("/api/v1/provisions/{}", w.provision),
        ),
        ("GET /api/v1/register", "/api/v1/register".into()),
        ("GET /api/v1/reviews/due", "/api/v1/reviews/due".into()),
        (
            "GET /api/v1/pupils/{id}/needs",
            format!("/api/v1/pupils/{p}/needs"),
        ),
        (
            "GET /api/v1/pupils/{id}/processes",
            format!("/api/v1/pupils/{p}/processes"),
        ),
        (
            "GET /api/v1/pupils/{id}/stage-changes",
            format!("/api/v1/pupils/{p}/stage-changes"),
        ),
        (
            "GET /api/v1/pupils/{id}/plans",
            format!("/api/v1/pupils/{p}/plans"),
        ),
        ("GET /api/v1/concerns", "/api/v1/concerns".into()),
        (
            "GET /api/v1/concerns/{id}",
            format!("/api/v1/concerns/{}", w.concern),
        ),
        (
            "GET /api/v1/census",
            "/api/v1/census?date=2026-11-02".into(),
        ),
        ("GET /api/v1/agencies", "/api/v1/agencies".into()),
    ]
}

/// The pages about the populated pupil.
fn page_reads(w: &World, old_plan: &str) -> Vec<(&'static str, String)> {
    let p = &w.pupil;
    vec![
        ("/pupils/{id}", format!("/pupils/{p}")),
        ("/pupils/{id}/chronology", format!("/pupils/{p}/chronology")),
        ("/plans/{current}", format!("/plans/{}", w.plan)),
        ("/plans/{reviewed}", format!("/plans/{old_plan}")),
        (
            "/allocations/{id}",
            format!("/allocations/{}", w.allocation),
        ),
        (
            "/involvements/{id}",
            format!("/involvements/{}", w.involvement),
        ),
        ("/register", "/register".into()),
        ("/concerns/{id}", format!("/concerns/{}", w.concern)),
    ]
}

/// Every key path of a JSON value: `.a.b`, arrays as `[]`.
fn key_paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}.{k}");
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// The text of every heading (h1 to h3) and field label (summary-list keys, table headers)
/// of a page.
fn headings(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["h1", "h2", "h3", "dt", "th"] {
        for part in html.split(&format!("<{tag}")).skip(1) {
            let Some(start) = part.find('>') else {
                continue;
            };
            let Some(end) = part.find(&format!("</{tag}>")) else {
                continue;
            };
            let inner = &part[start + 1..end];
            // Tags inside the heading go; the words stay.
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                out.push(format!("{tag} {text}"));
            }
        }
    }
    out
}

/// What a role may not have, whatever the snapshot says: fragments of snapshot lines (key
/// paths, headings, field labels, route answers), and values of the populated pupil that
/// must appear in no response body.
fn denylist(role: Role) -> (&'static [&'static str], &'static [&'static str]) {
    // The pupil's need, the specialist's note and report, a contact, the concern, the
    // provision's catalogue name.
    const NEED: &str = "SPLD";
    const NOTE: &str = "Working memory below the expected range";
    const REPORT: &str = "Assessment report";
    const CONTACT: &str = "Pat Parent";
    const CONCERN: &str = "Still anxious at transitions";
    const COSTS: [&str; 3] = ["cost_pence", "dt Cost", "th Cost"];
    match role {
        // Targets and strategies, never diagnoses (needs), specialists' involvements,
        // reports or notes, contacts, concerns or costs.
        Role::TeachingAssistant => (
            &[
                ".needs",
                "primary_need",
                "other_needs",
                "dt Needs",
                "th Primary need",
                "th Other needs",
                ".reports",
                "h2 Reports",
                "h3 Outside specialists",
                "/involvements/{id} 200",
                "/api/v1/pupils/{id}/involvements 200",
                "/api/v1/pupils/{id}/needs 200",
                "/api/v1/census 200",
                "h2 Parents and carers",
                COSTS[0],
                COSTS[1],
                COSTS[2],
            ],
            &[NEED, NOTE, REPORT, CONTACT, CONCERN],
        ),
        // Teachers: no reports, costs or concerns (they raise them, the SENCO reads them).
        Role::Teacher => (
            &[
                ".reports",
                "h2 Reports",
                "/api/v1/concerns 200",
                "/api/v1/concerns/{id} 200",
                COSTS[0],
                COSTS[1],
                COSTS[2],
            ],
            &[REPORT, CONCERN],
        ),
        // School administrators: details and contacts, no SEN content at all.
        Role::SchoolAdmin => (
            &[
                "h2 Special educational needs",
                "/plans/{current} 200",
                "/api/v1/plans/{current} 200",
                "/api/v1/pupils/{id}/chronology 200",
                "/api/v1/pupils/{id}/involvements 200",
                "/api/v1/pupils/{id}/allocations 200",
                "/api/v1/pupils/{id}/needs 200",
                "/api/v1/pupils/{id}/plans 200",
                "/api/v1/pupils/{id}/stage-changes 200",
                "/api/v1/census 200",
                "/register 200",
                "dt Stage",
            ],
            &[NEED, NOTE, REPORT, CONCERN, "Phonics"],
        ),
        // Parents: no concerns being triaged, contacts, notes or costs.
        Role::Parent => (
            &[
                "h2 Parents and carers",
                "h2 Visits, assessments and advice",
                "/register 200",
                COSTS[0],
                COSTS[1],
                COSTS[2],
            ],
            &[CONCERN, NOTE],
        ),
        // Specialists: identity, needs, the current plan and their own involvement; not the
        // history, provision, contacts, concerns or costs.
        Role::Specialist => (
            &[
                "/api/v1/pupils/{id}/chronology 200",
                "/api/v1/plans/{reviewed} 200",
                "/api/v1/allocations/{id} 200",
                "/api/v1/pupils/{id}/allocations 200",
                "/api/v1/pupils/{id}/stage-changes 200",
                "/api/v1/pupils/{id}/processes 200",
                "/pupils/{id}/chronology 200",
                "/plans/{reviewed} 200",
                "/allocations/{id} 200",
                "h2 Parents and carers",
                "h3 Provision",
                COSTS[0],
                COSTS[1],
                COSTS[2],
            ],
            &[CONCERN, "Phonics catch-up"],
        ),
        // Officers: the shared record, not contacts, concerns or costs.
        Role::LaOfficer => (
            &[
                "h2 Parents and carers",
                "/register 200",
                COSTS[0],
                COSTS[1],
                COSTS[2],
            ],
            &[CONCERN],
        ),
        _ => (&[], &[]),
    }
}

async fn sr_06_each_role_sees_only_its_fields(app: &TestApp) {
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    // The reviewed (closed) plan, from the SENCO's view of the pupil's plans.
    let plans: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM plans WHERE pupil_id = $1 AND status = 'closed' ORDER BY id",
    )
    .bind(&w.pupil)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert_eq!(plans.len(), 1, "one reviewed plan");
    let old_plan = plans[0].0.clone();
    // The SENCO's own view really is fully populated.
    let full = senco.get(&format!("/pupils/{}", w.pupil)).await.body;
    for part in [w.need, "Pat Parent", "Dr Sam Ellis", "Phonics catch-up"] {
        assert!(full.contains(part), "the SENCO's pupil page lacks {part}");
    }
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let mut stale = Vec::new();
    for (email, role) in [
        (SENCO_A, Role::Senco),
        (HEAD_A, Role::Head),
        (TEACHER_A, Role::Teacher),
        (TA_A, Role::TeachingAssistant),
        (SCHOOL_ADMIN_A, Role::SchoolAdmin),
        (PARENT_P, Role::Parent),
        (SPECIALIST_S, Role::Specialist),
        (OFFICER_1, Role::LaOfficer),
    ] {
        let c = app.signed_in(email).await;
        let mut lines = BTreeSet::new();
        let mut bodies = Vec::new();
        for (route, path) in api_reads(&w, &old_plan) {
            let r = c.get(&path).await;
            lines.insert(format!("{route} {}", r.status));
            bodies.push((route, r.body.clone()));
            if r.status == 200 {
                let mut keys = BTreeSet::new();
                key_paths(&r.json(), "", &mut keys);
                for k in keys {
                    lines.insert(format!("{route} {k}"));
                }
            }
        }
        for (route, path) in page_reads(&w, &old_plan) {
            let r = c.get(&path).await;
            lines.insert(format!("{route} {}", r.status));
            bodies.push((route, r.body.clone()));
            if r.status == 200 {
                for h in headings(&r.body) {
                    lines.insert(format!("{route} {h}"));
                }
            }
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let file = dir.join(format!("sr_06_{}.txt", role.as_str()));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &text).unwrap();
        } else {
            let want = std::fs::read_to_string(&file).unwrap_or_default();
            if want != text {
                stale.push(format!(
                    "{} differs from {email}'s responses:\n{text}",
                    file.display()
                ));
            }
        }
        let (keys, values) = denylist(role);
        for banned in keys {
            let hits: Vec<_> = lines.iter().filter(|l| l.contains(banned)).collect();
            assert!(hits.is_empty(), "{email} ({role:?}) has {banned}: {hits:?}");
        }
        for value in values {
            for (route, body) in &bodies {
                assert!(
                    !body.contains(value),
                    "{email} ({role:?}) sees {value} at {route}"
                );
            }
        }
        // The values really are in the SENCO's responses, so their absence means something.
        if role == Role::Senco {
            for (_, values) in Role::ALL.map(denylist) {
                for value in values {
                    assert!(
                        bodies.iter().any(|(_, b)| b.contains(value)),
                        "the SENCO's responses lack {value}"
                    );
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 writes them; review the diff):\n{}",
        stale.join("\n")
    );
}
