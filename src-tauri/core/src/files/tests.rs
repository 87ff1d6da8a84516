use super::*;

/// The permission bits of `path` (Unix).
#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .expect("the file is there")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn files_and_folders_are_made_for_their_owner_only() {
    let dir = tempfile::tempdir().expect("folder");
    let folder = dir.path().join("data").join("org.example");
    create_private_folder(&folder).expect("the folder is made");
    assert_eq!(mode(&folder), 0o700, "the app's folder is its owner's only");

    let file = folder.join("desk.db");
    create_private_file(&file).expect("the file is made");
    assert_eq!(mode(&file), 0o600, "a new file is its owner's only");

    let exported = folder.join("counts.csv");
    write_private(&exported, b"date,visits\n").expect("written");
    assert_eq!(mode(&exported), 0o600, "a written file is its owner's only");
    write_private(&exported, b"date,visits\n2026-11-28,4\n").expect("replaced");
    assert_eq!(mode(&exported), 0o600, "and stays so when replaced");
}

#[cfg(unix)]
#[test]
fn existing_files_and_folders_are_narrowed_and_keep_their_content() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("folder");
    let folder = dir.path().join("backups");
    fs::create_dir(&folder).expect("an older folder");
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).expect("open to all");
    create_private_folder(&folder).expect("an existing folder is fine");
    assert_eq!(mode(&folder), 0o700, "an existing folder is narrowed");

    let file = folder.join("desk.db");
    fs::write(&file, b"content").expect("an older file");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("readable by all");
    create_private_file(&file).expect("an existing file is fine");
    assert_eq!(mode(&file), 0o600, "an existing file is narrowed");
    assert_eq!(
        fs::read(&file).expect("read"),
        b"content",
        "and its content is left alone"
    );
}

#[test]
fn a_side_file_is_named_after_its_file() {
    assert_eq!(
        sidecar(Path::new("/data/desk.db"), "-wal"),
        Path::new("/data/desk.db-wal"),
        "SQLite's naming"
    );
}
