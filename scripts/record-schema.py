#!/usr/bin/env python3
"""Writes docs/record.schema.json from the format's serde types in
crates/interop/src/record.rs (their doc comments become descriptions).

Run from the repository root after changing the format: python3 scripts/record-schema.py
The interop test `the_schema_describes_every_field_written` checks the result."""
import json, re

src = open("crates/interop/src/record.rs").read()
src = src[: src.index("impl DocumentEntry")]
structs = {}
order = []
for m in re.finditer(r"((?:\s*///[^\n]*\n)*)(?:#\[[^\n]*\]\n)*pub struct (\w+) \{(.*?)\n\}", src, re.S):
    doc = " ".join(l.strip()[3:].strip() for l in m.group(1).strip().splitlines())
    fields = []
    for f in re.finditer(r"((?:[ ]*///[^\n]*\n)*)[ ]*pub (\w+): ([^,\n]+),", m.group(3)):
        fdoc = " ".join(l.strip()[3:].strip() for l in f.group(1).strip().splitlines())
        fields.append((f.group(2), f.group(3).strip(), fdoc))
    structs[m.group(2)] = (doc, fields)
    order.append(m.group(2))

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TIME = {"type": "string", "format": "date-time"}

def scalar(name, ty):
    if ty == "String":
        if name.endswith("_on") or name in ("on", "date_of_birth", "by_when"):
            return dict(DATE)
        if name.endswith("_at"):
            return dict(TIME)
        return {"type": "string"}
    if ty == "bool":
        return {"type": "boolean"}
    if ty in ("i64", "u32"):
        return {"type": "integer"}
    if ty == "serde_json::Value":
        return {"type": "object", "description": "Opaque: kept as written."}
    if ty in structs:
        return {"$ref": f"#/$defs/{ty}"}
    raise SystemExit(f"unknown type {ty}")

def schema_of(name, ty):
    m = re.fullmatch(r"Option<(.+)>", ty)
    if m:
        inner = schema_of(name, m.group(1))
        if "$ref" in inner:
            return {"anyOf": [inner, {"type": "null"}]}
        inner["type"] = [inner["type"], "null"]
        return inner
    m = re.fullmatch(r"Vec<(.+)>", ty)
    if m:
        return {"type": "array", "items": schema_of(name, m.group(1))}
    return scalar(name, ty)

def obj(name):
    doc, fields = structs[name]
    props = {}
    for fname, ty, fdoc in fields:
        s = schema_of(fname, ty)
        if fdoc:
            s["description"] = fdoc
        props[fname] = s
    out = {"type": "object"}
    if doc:
        out["description"] = doc
    out.update({"properties": props, "required": [f for f, _, _ in fields], "additionalProperties": False})
    return out

root = obj("Record")
root["properties"]["format"]["const"] = "senco-record"
root["properties"]["version"]["const"] = 1
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://senco.example/docs/record.schema.json",
    "title": "Senco portable full record, version 1",
}
schema.update(root)
schema["$defs"] = {n: obj(n) for n in order if n not in ("Record", "Header")}
open("docs/record.schema.json", "w").write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
print(f"wrote docs/record.schema.json ({len(schema['$defs'])} definitions)")

# The field tables of docs/record.md (everything after its "## Fields" heading).
def typ(s):
    if "$ref" in s:
        n = s["$ref"].split("/")[-1]
        return f"[{n}](#{n.lower()})"
    if "anyOf" in s:
        n = s["anyOf"][0]["$ref"].split("/")[-1]
        return f"[{n}](#{n.lower()}) or null"
    t = s.get("type")
    if t == "array":
        return "array of " + typ(s["items"])
    base, null = (t[0], " or null") if isinstance(t, list) else (t, "")
    if "pattern" in s:
        base = "date (YYYY-MM-DD)"
    elif s.get("format") == "date-time":
        base = "time (UTC, RFC 3339)"
    return base + null

def table(title, d):
    out = [f"### {title}\n"]
    if d.get("description"):
        out.append(d["description"] + "\n")
    out.append("| Field | Type | Meaning |\n|---|---|---|")
    for k, v in d["properties"].items():
        desc = v.get("description", "").replace("|", "\\|")
        if "const" in v:
            desc += f" Must be `{json.dumps(v['const'])}`."
        out.append(f"| `{k}` | {typ(v)} | {desc.strip()} |")
    return "\n".join(out) + "\n"

md = open("docs/record.md").read()
head = md[: md.index("## Fields\n") + len("## Fields\n")]
tables = [table("Record (the top level)", schema)] + [table(n, d) for n, d in schema["$defs"].items()]
open("docs/record.md", "w").write(head + "\n" + "\n".join(tables))
print("wrote the field tables of docs/record.md")
