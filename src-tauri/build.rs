// Every command the web view may call is declared here; Tauri generates an `allow-<name>`
// permission for each, and only those granted in capabilities/ are callable.
const COMMANDS: &[&str] = &["app_status"];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|err| panic!("tauri build step failed: {err:#}"));
}
