#!/usr/bin/env python3
"""Grows a portable record (`senco export record`) into ten years of records, for
bench/subject-access.sh: the pupil's one plan becomes 30 plans (three a year) each with a
review, their allocations become 20 with a session on three days of every school week, and
ten referrals to an educational psychologist follow, each with five notes and a 100 KB report.
The UPN is removed so the record can be imported beside the original.

Usage: subject-access-record.py IN.json OUT.json
"""

import base64
import copy
import datetime as dt
import hashlib
import json
import sys
import uuid

YEARS = 10


def new_id():
    return str(uuid.uuid4())


def day(d):
    return d.isoformat()


def main():
    src, out = sys.argv[1], sys.argv[2]
    r = json.load(open(src))
    r["pupil"]["upn"] = None
    r["pupil"]["former_upn"] = None
    r["pupil"]["legal_surname"] = r["pupil"]["legal_surname"] + "-Bench"
    r["pupil"]["date_of_birth"] = "2011-10-01"
    for s in r["stage_history"]:
        s["effective_on"] = "2016-09-05"
        s["recorded_at"] = "2016-09-05T09:00:00.000000Z"
        if s.get("parents_told"):
            s["parents_told"]["on"] = "2016-09-06"
    for n in r["needs"]:
        n["starts_on"] = "2016-09-05"
    start = dt.date(2016, 9, 5)
    template = r["plans"][0]
    plans, reviews = [], []
    previous = None
    for n in range(YEARS * 3):
        p = copy.deepcopy(template)
        p["id"] = new_id()
        p["previous_plan"] = previous
        begins = start + dt.timedelta(weeks=13 * n)
        p["starts_on"] = day(begins)
        p["review_on"] = day(begins + dt.timedelta(weeks=12))
        p["status"] = "closed" if n < YEARS * 3 - 1 else "active"
        for t in p["targets"]:
            t["id"] = new_id()
            t["carried_from"] = None
            t["by_when"] = None
        p["contributions"] = []
        for v in p["versions"]:
            v["data"] = copy.deepcopy(v["data"])
        plans.append(p)
        if n < YEARS * 3 - 1:
            reviews.append(
                {
                    "id": new_id(),
                    "plan": p["id"],
                    "held_on": p["review_on"],
                    "invited": "parent,senco",
                    "attended": "parent,senco",
                    "copy_sent_on": None,
                    "progress": "Steady progress with reading; keep the same targets.",
                    "parent_views": "Happier about reading at home.",
                    "pupil_views": "I like the word games.",
                    "decision": "continue_same_stage",
                    "stage_change": None,
                    "next_plan": None,
                    "outcomes": [
                        {
                            "target": t["id"],
                            "outcome": "partly_achieved",
                            "evidence": "Reads most of the words",
                        }
                        for t in p["targets"]
                    ],
                }
            )
        previous = p["id"]
    plans.reverse()
    r["plans"] = plans
    r["reviews"] = reviews

    provision = []
    base = r["provision"]
    for year in range(YEARS):
        for k, a in enumerate(base):
            a = copy.deepcopy(a)
            a["id"] = new_id()
            a["provision"]["name"] = f'{a["provision"]["name"]} ({2016 + year})'
            begins = dt.date(2016 + year, 9, 5)
            ends = dt.date(2017 + year, 7, 14)
            a["from_on"], a["to_on"] = day(begins), day(ends)
            a["targets"] = []
            if a["entry"]:
                a["entry"]["on"] = day(begins)
            a["exit"] = None
            sessions = []
            d = begins
            while d <= ends:
                if d.weekday() in (0, 2, 4) and d.month != 8:
                    sessions.append(
                        {
                            "on": day(d),
                            "minutes": 30,
                            "status": "delivered",
                            "reason": None,
                            "recorded_by": None,
                        }
                    )
                d += dt.timedelta(days=1)
            a["sessions"] = sessions
            provision.append(a)
    r["provision"] = provision

    report = (b"%PDF-1.4\n" + b"0" * (100 * 1024) + b"\n%%EOF\n")
    specialists, documents = [], []
    for n in range(YEARS):
        referral = dt.date(2017 + n, 1, 9)
        inv = {
            "id": new_id(),
            "agency": {
                "name": "Northmoor Educational Psychology Service",
                "kind": "educational_psychology",
                "email": None,
                "phone": None,
            },
            "person": None,
            "specialist_name": None,
            "status": "closed",
            "referral_on": day(referral),
            "reason": "Assessment of reading and working memory",
            "consent_on": day(referral),
            "consent_by": "Pat Parent (mother)",
            "consent_withdrawn_on": None,
            "closed_on": day(referral + dt.timedelta(weeks=20)),
            "created_at": f"{day(referral)}T09:00:00.000000Z",
            "notes": [
                {
                    "kind": "assessment",
                    "on": day(referral + dt.timedelta(weeks=2 * j + 1)),
                    "body": "Working memory below the expected range; reading accuracy improving.",
                    "author": None,
                    "strategy_target": None,
                }
                for j in range(5)
            ],
        }
        specialists.append(inv)
        documents.append(
            {
                "id": new_id(),
                "involvement": inv["id"],
                "title": f"Assessment report {2017 + n}",
                "file_name": "report.pdf",
                "kind": "pdf",
                "sha256": hashlib.sha256(report).hexdigest(),
                "shared_with_parents": True,
                "uploaded_by": None,
                "uploaded_at": f"{day(referral + dt.timedelta(weeks=10))}T09:00:00.000000Z",
                "data": base64.b64encode(report).decode(),
            }
        )
    r["specialists"] = specialists
    r["documents"] = documents
    json.dump(r, open(out, "w"))


if __name__ == "__main__":
    main()
