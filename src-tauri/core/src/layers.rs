//! The core's floors: each module may use only modules on the floors below its own, so the
//! modules never import each other in a loop, and a domain's SQL stays its own (no module
//! reaches into another's `storage`). This test reads the sources (`crate::` paths outside
//! comments and test code) and fails on any import that points sideways or up, on a
//! module that is on no floor, and on another domain's storage.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// From the ground up. Modules on one floor may not use each other.
const FLOORS: &[&[&str]] = &[
    // What everything uses: errors and the injected clock.
    &["error", "clock"],
    // Typed text, files at rest, SQLite's shared settings.
    &["text", "files", "sqlite"],
    // The audit anchor beside a database, then checked copies of a database.
    &["anchor"],
    &["copy"],
    // Opening, migrating and writing the database.
    &["db"],
    &["settings"],
    &["days", "status"],
    // The append-only log every domain writes to, and the anonymous guests.
    &["audit", "guests"],
    // Roles, permissions, sessions, staff.
    &["auth"],
    // Domains that need only the floors below.
    &["audit_viewer", "backup", "queue", "restrictions"],
    &["referrals", "schedule"],
    // The front desk: visits, the day's end, the desk's search and merges.
    &["visits"],
    // The daily counts over every domain, and demo data (which nothing imports).
    &["reports", "demo"],
    // The TypeScript mirror of the shared types.
    &["bindings"],
];

/// The floor of a module, if it has one.
fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|floor| floor.contains(&module))
}

/// The source without comments and without the test code at its end.
fn code_of(source: &str) -> String {
    let source = source
        .find("#[cfg(test)]\nmod tests {")
        .map_or(source, |at| &source[..at]);
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every non-test source file of the core: its top-level module and its code.
fn sources() -> Vec<(String, String, String)> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<(String, String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("the source folder")
            .map(|entry| entry.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "tests" {
                    walk(&path, root, found);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" && name != "layers.rs" {
                let relative = path.strip_prefix(root).expect("inside src");
                let first = relative
                    .components()
                    .next()
                    .and_then(|c| c.as_os_str().to_str())
                    .unwrap_or("");
                let module = first.trim_end_matches(".rs").to_string();
                let source = fs::read_to_string(&path).expect("a source file");
                found.push((relative.display().to_string(), module, code_of(&source)));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    found
}

/// The top-level modules a piece of code names as `crate::module` or in
/// `crate::{a, b::c}`.
fn used_modules(code: &str) -> Vec<String> {
    let name_at = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut used = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // Top-level names of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        used.push(name_at(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        used.push(name_at(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            used.push(name_at(after));
        }
        rest = after;
    }
    used.retain(|name| !name.is_empty());
    used
}

#[test]
fn every_module_uses_only_the_floors_below_it() {
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (file, module, code) in sources() {
        if module == "lib" {
            continue;
        }
        let Some(own) = floor_of(&module) else {
            wrong.entry(file).or_default().push(format!(
                "the module {module} is on no floor: add it to FLOORS"
            ));
            continue;
        };
        for used in used_modules(&code) {
            if used == module {
                continue;
            }
            match floor_of(&used) {
                Some(floor) if floor < own => {}
                Some(floor) => wrong.entry(file.clone()).or_default().push(format!(
                    "{module} (floor {own}) uses {used} (floor {floor}): only lower floors"
                )),
                None => wrong
                    .entry(file.clone())
                    .or_default()
                    .push(format!("{used} is on no floor")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point sideways or up: {wrong:#?}"
    );
}

#[test]
fn no_module_reaches_into_another_domains_storage() {
    let mut wrong = Vec::new();
    for (file, module, code) in sources() {
        for used in used_modules(&code) {
            if used != module && code.contains(&format!("crate::{used}::storage")) {
                wrong.push(format!("{file} uses crate::{used}::storage"));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "a domain's SQL is its own; call its domain functions: {wrong:#?}"
    );
}

#[test]
fn the_checks_see_an_upward_import_and_a_reach_into_storage() {
    let code = code_of("use crate::visits::storage;\n// crate::reports in a comment\n");
    assert_eq!(used_modules(&code), ["visits"], "comments do not count");
    assert_eq!(
        used_modules("use crate::{days, queue::{self, Priority}, db};"),
        ["days", "queue", "db"],
        "a group names each of its modules"
    );
    assert!(
        floor_of("visits") > floor_of("guests"),
        "visits is above guests"
    );
    assert_eq!(
        floor_of("nowhere"),
        None,
        "an unknown module is on no floor"
    );
}
