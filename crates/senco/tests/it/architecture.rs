//! Rules about the code that no single file shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn our_dependencies(krate: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut section = String::new();
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        if section == "[dependencies]"
            && let Some(name) = line.split(['=', '.', ' ']).next()
            && name.starts_with("senco_")
        {
            deps.push(name.trim_start_matches("senco_").to_string());
        }
    }
    deps.sort();
    deps
}

/// The allowed dependency direction (ARCHITECTURE.md, "Code map").
#[test]
fn crates_depend_only_in_the_allowed_direction() {
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("store", &["domain"][..]),
        ("interop", &["domain"][..]),
        ("documents", &["domain"][..]),
        ("synth", &["domain"][..]),
        ("web", &["documents", "domain", "interop", "store"][..]),
        (
            "senco",
            &["documents", "domain", "interop", "store", "synth", "web"][..],
        ),
    ]);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(expected) = allowed.get(name.as_str()) else {
            panic!(
                "crate {name} is not in the allowed dependency table: add it there and to ARCHITECTURE.md"
            );
        };
        for dep in our_dependencies(&name) {
            assert!(
                expected.contains(&dep.as_str()),
                "crates/{name} may not depend on senco_{dep}"
            );
        }
        found.push(name);
    }
    assert_eq!(found.len(), allowed.len());
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The domain crate does no I/O and never reads the clock.
#[test]
fn the_domain_crate_has_no_io_and_no_clock() {
    let manifest = std::fs::read_to_string(root().join("crates/domain/Cargo.toml")).unwrap();
    for forbidden in ["tokio", "sqlx", "axum", "reqwest", "std::fs"] {
        assert!(
            !manifest.contains(forbidden),
            "the domain crate depends on {forbidden}"
        );
    }
    let mut files = Vec::new();
    rust_files(&root().join("crates/domain/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "now_utc()",
            "SystemTime::now",
            "std::fs::",
            "std::net::",
            "tokio::",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
}

/// Every module says what it is for, in a `//!` comment at the top.
#[test]
fn every_module_has_a_doc_comment() {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).unwrap() {
        rust_files(&krate.unwrap().path().join("src"), &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} has no //! module comment",
            file.display()
        );
    }
}

/// SR-06: the API's responses are its own per-role wire types (`crates/web/src/api/`), never
/// store structs. The store derives `Serialize` only for the plan types it keeps as JSON
/// (every saved version of a plan); the API names none of them, and no API type is a store
/// type re-exported.
#[test]
fn the_api_serialises_its_own_types_never_the_stores() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/store/src"), &mut files);
    let mut serialized = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("derive(") && line.contains("Serialize") {
                let item = lines[i + 1..]
                    .iter()
                    .find(|l| l.contains("pub struct") || l.contains("pub enum"))
                    .and_then(|l| l.split_whitespace().nth(2))
                    .unwrap_or("?")
                    .to_string();
                serialized.push(item);
            }
        }
    }
    serialized.sort();
    assert_eq!(
        serialized,
        ["PlanFields", "PlanProvision", "PlanTarget"],
        "a store type gained Serialize: give the API its own wire type instead"
    );
    let mut api = Vec::new();
    rust_files(&root().join("crates/web/src/api"), &mut api);
    assert!(api.len() >= 5, "the API modules were not found");
    for file in api {
        let text = std::fs::read_to_string(&file).unwrap();
        for name in &serialized {
            assert!(
                !text.contains(name.as_str()),
                "{} names the store's {name}",
                file.display()
            );
        }
        assert!(
            !text.contains("pub use senco_store"),
            "{} re-exports a store type",
            file.display()
        );
    }
}
