//! The app shell's security settings, read from the files Tauri builds from: a strict CSP,
//! no global Tauri object, one named window, and only declared commands granted.

#![allow(clippy::expect_used, clippy::unwrap_used)]
use serde_json::Value;
use std::path::PathBuf;

fn read_json(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    let text = std::fs::read_to_string(&path).expect("config file is readable");
    serde_json::from_str(&text).expect("config file is JSON")
}

fn declared_commands() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/build.rs");
    let text = std::fs::read_to_string(path).expect("build.rs is readable");
    let list = text
        .split_once("const COMMANDS: &[&str] = &[")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("build.rs declares COMMANDS");
    list.split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

#[test]
fn the_content_security_policy_is_strict() {
    let config = read_json("src-tauri/tauri.conf.json");
    let csp = config["app"]["security"]["csp"]
        .as_object()
        .expect("csp is set");
    for (directive, sources) in csp {
        let sources = sources.as_str().expect("sources are a string");
        assert!(
            !sources.contains("unsafe-eval"),
            "{directive} allows eval: {sources}"
        );
        assert!(
            !sources.contains("unsafe-inline"),
            "{directive} allows inline code: {sources}"
        );
        assert!(
            !sources.contains('*'),
            "{directive} allows any source: {sources}"
        );
        for source in sources.split_whitespace() {
            let remote = source.starts_with("http") && source != "http://ipc.localhost";
            assert!(!remote, "{directive} names a remote source: {source}");
        }
    }
    assert_eq!(
        csp["default-src"], "'self'",
        "everything defaults to the app's own files"
    );
    assert_eq!(csp["object-src"], "'none'", "no plugins");
}

#[test]
fn the_web_view_gets_no_global_tauri_object_and_one_named_window() {
    let config = read_json("src-tauri/tauri.conf.json");
    assert_eq!(
        config["app"]["withGlobalTauri"], false,
        "window.__TAURI__ is not exposed"
    );
    let windows = config["app"]["windows"].as_array().expect("windows");
    assert_eq!(windows.len(), 1, "one window");
    assert_eq!(windows[0]["label"], "main", "the window is labelled main");
}

#[test]
fn the_main_window_may_call_only_declared_commands() {
    let capability = read_json("src-tauri/capabilities/main.json");
    assert_eq!(
        capability["windows"],
        serde_json::json!(["main"]),
        "granted to the main window only"
    );
    let declared = declared_commands();
    assert!(!declared.is_empty(), "build.rs declares the app's commands");
    let permissions: Vec<&str> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|permission| permission.as_str().expect("plain permission names"))
        .collect();
    for permission in &permissions {
        if let Some(command) = permission.strip_prefix("allow-") {
            let command = command.replace('-', "_");
            assert!(
                declared.contains(&command),
                "{permission} grants an undeclared command"
            );
        } else {
            assert!(
                permission.starts_with("core:event:"),
                "only event listening is granted from Tauri's core, not {permission}"
            );
        }
    }
    for command in &declared {
        let permission = format!("allow-{}", command.replace('_', "-"));
        assert!(
            permissions.contains(&permission.as_str()),
            "{command} is declared but not granted"
        );
    }
}

/// Read a file of the repository as text.
fn read_text(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// The names that follow each `marker` in `text` (an identifier: letters, digits, `_`).
fn names_after(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .map(|(at, _)| {
            text[at + marker.len()..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// One list of commands: the functions marked `#[tauri::command]` in commands.rs are the
/// ones declared in build.rs (and so granted in capabilities/, checked above), served by
/// the handler list in app.rs, and called from ui/src/lib/api.ts — no more, no fewer.
#[test]
fn every_list_of_commands_names_the_same_commands() {
    let commands_rs = read_text("src-tauri/src/commands.rs");
    let defined: Vec<String> = commands_rs
        .split("#[tauri::command")
        .skip(1)
        .filter_map(|after| names_after(after, "pub fn ").into_iter().next())
        .collect();
    assert!(
        defined.len() > 50,
        "commands.rs defines the commands: {defined:?}"
    );
    let defined = sorted(defined);
    assert_eq!(
        sorted(declared_commands()),
        defined,
        "build.rs declares exactly the commands commands.rs defines"
    );
    let app_rs = read_text("src-tauri/src/app.rs");
    let handler = app_rs
        .split("generate_handler![")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("app.rs has a generate_handler! list");
    assert_eq!(
        sorted(names_after(handler, "commands::")),
        defined,
        "app.rs serves exactly the commands commands.rs defines"
    );
    let api = read_text("ui/src/lib/api.ts");
    let mut called: Vec<String> = ["call<", "call("]
        .iter()
        .flat_map(|marker| {
            api.match_indices(marker).filter_map(|(at, _)| {
                let rest = &api[at..];
                let quote = rest.find('\'')?;
                let name: String = rest[quote + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                (!name.is_empty() && rest[..quote].find(')').is_none()).then_some(name)
            })
        })
        .collect();
    called.sort();
    called.dedup();
    assert_eq!(
        called, defined,
        "ui/src/lib/api.ts calls exactly the commands commands.rs defines"
    );
}
