//! `minimal-window`: the floor `make bench` measures the app against. One 1280x800 window
//! showing a static page (`dist/index.html`, no framework, no script), served from inside
//! the binary like the app's UI, with no commands and no plugins.

use std::process::ExitCode;

fn main() -> ExitCode {
    match tauri::Builder::default().run(tauri::generate_context!()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("minimal-window: the window could not be started: {err}");
            ExitCode::FAILURE
        }
    }
}
