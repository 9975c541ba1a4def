"""Real record ids for the fuzzer (scripts/api-fuzz.sh): school A's and school B's.

Reads the demo's SQLite database (read-only) and seed_b.py's output; prints
{"a": {kind: [ids]}, "b": {kind: [ids]}} for hooks.py.

Usage: python ids.py DB_FILE SCHOOL_A_URN SEED_B_JSON EMAIL...
  EMAIL: the accounts being fuzzed, so that each finds its own pupils (a parent's child, a
  teacher's class) among school A's ids.
"""

import json
import sqlite3
import sys

db_file, urn_a, seed_b_file, *emails = sys.argv[1:]
db = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
seed_b = json.load(open(seed_b_file, encoding="utf-8"))


def ids(sql, *args):
    return [r[0] for r in db.execute(sql, args)]


school_a = ids("SELECT id FROM schools WHERE urn = ?", urn_a)[0]
marks = ",".join("?" * len(emails))
pupils = ids("SELECT id FROM pupils WHERE school_id = ? ORDER BY id LIMIT 3", school_a)
pupils += ids(
    f"SELECT c.pupil_id FROM contacts c JOIN users u ON u.id = c.user_id WHERE u.email IN ({marks})", *emails
)
pupils += ids(
    f"SELECT t.pupil_id FROM teaching_assignments t JOIN users u ON u.id = t.user_id "
    f"WHERE u.email IN ({marks}) ORDER BY t.pupil_id LIMIT 12",
    *emails,
)
pupils += ids(
    "SELECT pupil_id FROM involvements WHERE school_id = ? AND specialist_user_id IS NOT NULL LIMIT 3", school_a
)
# Records of those pupils first, so that each role reaches some of its own.
pupils = list(dict.fromkeys(pupils))
marks_p = ",".join("?" * len(pupils))
a = {
    "pupil": pupils,
    "plan": ids(f"SELECT id FROM plans WHERE pupil_id IN ({marks_p}) LIMIT 6", *pupils)
    + ids("SELECT id FROM plans WHERE school_id = ? LIMIT 3", school_a),
    "provision": ids("SELECT id FROM provisions WHERE school_id = ? LIMIT 4", school_a),
    "allocation": ids(f"SELECT id FROM allocations WHERE pupil_id IN ({marks_p}) LIMIT 6", *pupils)
    + ids("SELECT id FROM allocations WHERE school_id = ? LIMIT 3", school_a),
    "involvement": ids("SELECT id FROM involvements WHERE school_id = ? LIMIT 4", school_a),
    "report": ids("SELECT id FROM involvement_reports WHERE school_id = ? LIMIT 3", school_a),
    "concern": ids("SELECT id FROM concerns WHERE school_id = ? LIMIT 3", school_a),
    "agency": ids("SELECT id FROM agencies WHERE school_id = ? LIMIT 3", school_a),
}
b = {kind: [seed_b[kind]] for kind in ["pupil", "plan", "provision", "allocation", "involvement", "report"]}
b["concern"] = ids("SELECT id FROM concerns WHERE pupil_id = ? LIMIT 1", seed_b["pupil"])
b["agency"] = ids("SELECT agency_id FROM involvements WHERE id = ?", seed_b["involvement"])
print(json.dumps({"a": {k: list(dict.fromkeys(v)) for k, v in a.items()}, "b": b}))
