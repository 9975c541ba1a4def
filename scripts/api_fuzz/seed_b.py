"""Writes canary strings into school B's records through the API (SR-07, scripts/api-fuzz.sh).

As school B's SENCO (a bearer token), this fills every text field that the API's POST and
PATCH operations accept for school B with a canary: `CANARY-B-<uuid>-<field>`, or, where a
field takes letters only (names), `Canaryb<letters>`. It then reads the records back to
check that each canary was stored, and prints one JSON object:

    {"pupil": ID, ..., "canaries": {field: value, ...}, "not_read_back": [...], "snapshot": TEXT}

`not_read_back` names the canaries that no API read returns, even to school B (they are
stored, and the pages show them). `snapshot` is everything the API returns to school B about
its records; `--verify` reads it again after the fuzzing and fails if anything changed, which
would mean that a school A principal changed or removed school B's data.

Usage: python seed_b.py BASE_URL TOKEN_B SCHOOL_B_URN AGENCY_B_ID RUN_UUID
       python seed_b.py --verify BASE_URL TOKEN_B SEED_JSON
"""

import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

VERIFY = sys.argv[1:2] == ["--verify"]
if VERIFY:
    BASE, TOKEN, SEED_FILE = sys.argv[2:5]
    SEED = json.load(open(SEED_FILE, encoding="utf-8"))
    RUN = "0"
else:
    BASE, TOKEN, URN, AGENCY, RUN = sys.argv[1:6]
# Letters only, for names: the run's hex digits turned into letters.
RUN_SERIAL = str(int(RUN[:8], 16) % 10000).zfill(4)
LETTERS = "".join(chr(ord("a") + int(c, 16) % 26) if c != "-" else "" for c in RUN)[:12]
TODAY = datetime.date.today()
canaries = {}


def canary(field):
    value = f"CANARY-B-{RUN}-{field}"
    canaries[field] = value
    return value


def name_canary(field, suffix=""):
    value = f"Canaryb{LETTERS}{suffix}"
    canaries[field] = value
    return value


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def call(method, path, body=None, headers=None, raw=None, expect=(200, 201)):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    if raw is not None:
        req.add_header("Content-Type", "application/octet-stream")
    elif body is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, etag = r.status, r.read().decode(), r.headers.get("ETag")
    except urllib.error.HTTPError as e:
        status, text, etag = e.code, e.read().decode(), None
    if status not in expect:
        sys.exit(f"seed_b: {method} {path} answered {status}: {text[:800]}")
    return (json.loads(text) if text.startswith(("{", "[")) else text), etag


def upn():
    """A valid permanent UPN of school B's authority (886) that the demo does not use."""
    body = "88633121" + RUN_SERIAL
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[sum(int(d) * w for d, w in zip(body, range(2, 14))) % 23] + body


def readback(ids):
    """Everything the API gives school B about the seeded records, as one text."""
    seen = ""
    for path in [f"/api/v1/pupils/{ids['pupil']}", f"/api/v1/pupils/{ids['pupil']}/chronology",
                 f"/api/v1/plans/{ids['plan']}", f"/api/v1/pupils/{ids['pupil']}/allocations",
                 f"/api/v1/allocations/{ids['allocation']}/sessions", f"/api/v1/provisions/{ids['provision']}",
                 f"/api/v1/pupils/{ids['pupil']}/involvements", f"/api/v1/involvements/{ids['involvement']}"]:
        body, _ = call("GET", path)
        if path.endswith("/allocations") and isinstance(body, dict):
            # An allocation's cost and planned sessions are worked out from the school's
            # calendar, which the installation's administrator keeps for the whole authority
            # (issue 19, point 3): they may change; what school B recorded may not.
            for item in body.get("items", []):
                item.pop("cost_pence", None)
                item.pop("delivery", None)
        seen += json.dumps(body, sort_keys=True) + "\n"
    seen += call("GET", f"/api/v1/reports/{ids['report']}")[0]
    return seen


if VERIFY:
    now = readback(SEED)
    gone = [f for f, v in SEED["canaries"].items() if f not in SEED["not_read_back"] and v not in now]
    if gone or now != SEED["snapshot"]:
        old, new = SEED["snapshot"].splitlines(), now.splitlines()
        changed = [f"- {a[:300]}\n+ {b[:300]}" for a, b in zip(old, new) if a != b]
        sys.exit("seed_b: school B's records changed during the fuzzing (a school A principal must not "
                 f"be able to change them); canaries gone: {gone or 'none'}\n" + "\n".join(changed))
    print(f"seed_b: school B's records are unchanged ({len(SEED['canaries'])} canaries)")
    sys.exit(0)


def seed():
    # The pupil.
    pupil, _ = call("POST", "/api/v1/pupils", {
        "school_urn": URN,
        "legal_forename": name_canary("pupil.legal_forename"),
        "legal_surname": name_canary("pupil.legal_surname", "son"),
        "preferred_forename": name_canary("pupil.preferred_forename", "ie"),
        "date_of_birth": "2018-04-12", "sex": "F", "upn": upn(), "enrolled_on": day(-60),
    })
    pid = pupil["id"]
    # A change to the pupil: the preferred surname (PATCH with If-Match).
    _, etag = call("GET", f"/api/v1/pupils/{pid}")
    call("PATCH", f"/api/v1/pupils/{pid}", {"preferred_surname": name_canary("pupil.preferred_surname", "ley")},
         headers={"If-Match": etag})

    # The graduated response.
    call("POST", f"/api/v1/pupils/{pid}/concerns", {
        "areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
        "tried": canary("concern.tried"), "result": canary("concern.result"),
        "details": canary("concern.details"), "raised_on": day(-20),
    })
    call("POST", f"/api/v1/pupils/{pid}/stage-changes", {
        "stage": "school_action", "effective_on": day(-14), "reason": canary("stage.reason"),
        "decided_with": canary("stage.decided_with"),
        "parents_told_on": day(-13), "parents_told_how": "letter",
    })
    call("POST", f"/api/v1/pupils/{pid}/stage-changes", {
        "stage": "school_action_plus", "effective_on": day(-7), "reason": canary("stage2.reason"),
        "decided_with": canary("stage2.decided_with"), "specialists": canary("stage2.specialists"),
    })

    # A plan with a target and provision, agreed, then reviewed.
    plan, _ = call("POST", f"/api/v1/pupils/{pid}/plans", {
        "starts_on": day(-6), "review_on": day(60),
        "nature": canary("plan.nature"), "consulted": canary("plan.consulted"),
        "help_at_home": canary("plan.help_at_home"), "parent_views": canary("plan.parent_views"),
        "pastoral": canary("plan.pastoral"), "pupil_views": canary("plan.pupil_views"),
        "targets": [{"area": "cognition_and_learning", "target": "Reads " + canary("target.target") + " words",
                     "strategies": canary("target.strategies"),
                     "success_criteria": "Reads 90 of 100 words correctly " + canary("target.success_criteria")}],
        "provision": [{"what": canary("plan_provision.what"), "who": canary("plan_provision.who"),
                       "how_often": canary("plan_provision.how_often")}],
    })
    plan_id = plan["id"]
    _, etag = call("GET", f"/api/v1/plans/{plan_id}")
    call("PATCH", f"/api/v1/plans/{plan_id}", {
        "status": "agreed_with_parents", "agreed_on": day(-5), "agreed_how": canary("plan.agreed_how"),
    }, headers={"If-Match": etag})
    _, etag = call("GET", f"/api/v1/plans/{plan_id}")
    call("PATCH", f"/api/v1/plans/{plan_id}", {"status": "active"}, headers={"If-Match": etag})
    plan, _ = call("GET", f"/api/v1/plans/{plan_id}")
    target_id = plan["targets"][0]["id"]
    call("POST", f"/api/v1/plans/{plan_id}/reviews", {
        "held_on": day(-1), "decision": "continue_same_stage",
        "invited": ["parent", "teacher"], "attended": ["parent", "teacher"],
        "progress": canary("review.progress"), "parent_views": canary("review.parent_views"),
        "pupil_views": canary("review.pupil_views"), "specialists": canary("review.specialists"),
        "outcomes": [{"target_id": target_id, "outcome": "partly_achieved", "evidence": canary("outcome.evidence")}],
        "carry_forward": [target_id],
    })

    # Provision: a catalogue entry, an allocation to it, a cancelled session.
    provision, _ = call("POST", "/api/v1/provisions", {
        "name": canary("provision.name"), "description": canary("provision.description"),
        "staff_role": canary("provision.staff_role"),
        "kind": "small_group", "area": "cognition_and_learning", "group_size": 3,
        "sessions_per_week": 2, "minutes_per_session": 30, "cost_basis": "staff_time", "cost_pence": 1700,
    })
    allocation, _ = call("POST", f"/api/v1/pupils/{pid}/allocations", {
        "provision_id": provision["id"], "from_on": day(-30), "to_on": day(30),
        "measure_name": canary("allocation.measure_name"), "measure_unit": "months",
        "entry_value": 80.0, "entry_on": day(-30),
    })
    # A school day in the allocation: the last weekday before today that takes it.
    for back in range(1, 30):
        on = TODAY - datetime.timedelta(days=back)
        if on.weekday() >= 5:
            continue
        req_body = {"on": on.isoformat(), "status": "cancelled", "reason": canary("session.reason")}
        try:
            call("POST", f"/api/v1/allocations/{allocation['id']}/sessions", req_body)
            break
        except SystemExit:
            canaries.pop("session.reason", None)
    else:
        sys.exit("seed_b: no school day took a session")

    # An outside specialist's involvement (no person named, so no specialist reaches it), a note
    # and a report whose title, file name and content carry canaries.
    inv, _ = call("POST", f"/api/v1/pupils/{pid}/involvements", {
        "agency_id": AGENCY, "referral_on": day(-3), "reason": canary("involvement.reason"),
    })
    _, etag = call("GET", f"/api/v1/involvements/{inv['id']}")
    call("PATCH", f"/api/v1/involvements/{inv['id']}", {
        "consent_on": day(-2), "consent_by": canary("involvement.consent_by"), "status": "accepted",
    }, headers={"If-Match": etag})
    call("POST", f"/api/v1/involvements/{inv['id']}/notes", {
        "kind": "advice", "on": day(-1), "body": canary("note.body"),
    })
    title = canary("report.title")
    file_name = canary("report.file_name") + ".pdf"
    pdf = f"%PDF-1.4\n% {canary('report.content')}\n%%EOF\n".encode()
    query = urllib.parse.urlencode({"title": title, "file_name": file_name})
    report, _ = call("POST", f"/api/v1/involvements/{inv['id']}/reports?{query}", raw=pdf)
    ids = {"pupil": pid, "plan": plan_id, "provision": provision["id"], "allocation": allocation["id"],
           "involvement": inv["id"], "report": report["id"]}
    return ids


ids = seed()
seen = readback(ids)
unseen = [f for f, v in canaries.items() if v not in seen]
print(json.dumps({**ids, "canaries": canaries, "not_read_back": unseen, "snapshot": seen}))
