"""Schemathesis hooks for scripts/api-fuzz.sh (SR-07: no school B data reaches school A).

Loaded with SCHEMATHESIS_HOOKS=hooks (PYTHONPATH=scripts/api_fuzz). Reads:

  API_FUZZ_ROLE  the role being fuzzed, for messages
  API_FUZZ_IDS   a JSON file {"a": {kind: [ids]}, "b": {kind: [ids]}} of real record ids of
                 school A (so the fuzzer reaches real records) and school B (so it tries every
                 operation on B's records, which must answer as for a missing one)

Adds one check, `no_canary_b`, failing when a response's body or headers hold school B's
canary (`CANARY-B-…`, or `Canaryb…` in names, which take letters only).
"""

import json
import os
import re
import shutil
import subprocess

import schemathesis
from hypothesis import strategies as st

ROLE = os.environ.get("API_FUZZ_ROLE", "?")
# `CANARY-B` anywhere, and the letters-only form used for names; case-insensitive, so that
# upper-cased or title-cased copies count too.
CANARY = re.compile(rb"canary-?b", re.IGNORECASE)

with open(os.environ["API_FUZZ_IDS"], encoding="utf-8") as f:
    IDS = json.load(f)

# Which kind of record the `{id}` of a path names.
KINDS = [
    ("/api/v1/pupils/{id}", "pupil"),
    ("/api/v1/plans/{id}", "plan"),
    ("/api/v1/provisions/{id}", "provision"),
    ("/api/v1/allocations/{id}", "allocation"),
    ("/api/v1/involvements/{id}", "involvement"),
    ("/api/v1/reports/{id}", "report"),
    ("/api/v1/concerns/{id}", "concern"),
    ("/api/v1/agencies/{id}", "agency"),
]


def _kind(path):
    for prefix, kind in KINDS:
        if path.startswith(prefix):
            return kind
    return None


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    """Besides the generated id, try school A's and school B's real ids of the right kind."""
    if not path_parameters or "id" not in path_parameters or ctx.operation is None:
        return st.just(path_parameters)
    kind = _kind(ctx.operation.path)
    real = IDS["a"].get(kind, []) + IDS["b"].get(kind, [])
    if not real:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters["id"], *real]).map(lambda v: {**path_parameters, "id": v})


def _snippet(data, at):
    return data[max(0, at - 120) : at + 120].decode("utf-8", "replace")


PDFTOTEXT = shutil.which("pdftotext")


def _text(body):
    """The body as searched: a PDF's text too, since its content streams are compressed."""
    if body.startswith(b"%PDF") and PDFTOTEXT:
        done = subprocess.run([PDFTOTEXT, "-q", "-", "-"], input=body, capture_output=True, timeout=60)
        return body + b"\n" + done.stdout
    return body


@schemathesis.check
def no_canary_b(ctx, response, case):
    """School B's canary must not appear in any response to a school A principal."""
    body = _text(response.content or b"")
    hit = CANARY.search(body)
    if hit:
        raise AssertionError(
            f"SR-07 LEAK as {ROLE}: {case.method.upper()} {case.formatted_path} answered "
            f"{response.status_code} with school B's canary in the body: …{_snippet(body, hit.start())}…"
        )
    for name, values in response.headers.items():
        for value in values if isinstance(values, list) else [values]:
            if CANARY.search(str(value).encode()):
                raise AssertionError(
                    f"SR-07 LEAK as {ROLE}: {case.method.upper()} {case.formatted_path} answered "
                    f"{response.status_code} with school B's canary in the header {name}: {value}"
                )
