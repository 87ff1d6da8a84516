//! Files at rest: everything Engagement Desk writes that holds guests' data (the database
//! and its `-wal`, `-shm` and `.lock` files, backups, the copies made before a migration or
//! a restore, exports, the audit anchor) is readable by its owner only.
//!
//! On Linux and macOS files are created `0600` and the folders the app makes for them
//! `0700`, whatever the umask; SQLite gives a database's `-wal`, `-shm` and `-journal`
//! files the permissions of the database file itself, so creating that one `0600` before
//! SQLite opens it carries over. On Windows a file takes the permissions of its folder
//! (the user's own profile by default), so nothing is set here.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{AppError, ErrorCode, Result};

/// The permissions of every file the app writes (owner read and write).
#[cfg(unix)]
pub const FILE_MODE: u32 = 0o600;
/// The permissions of every folder the app makes (owner only).
#[cfg(unix)]
pub const FOLDER_MODE: u32 = 0o700;

/// Create `path` as a new, empty file readable by its owner only. An existing file is
/// left as it is, except that its permissions are narrowed to the owner's.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    drop(options.open(path)?);
    make_private(path)
}

/// Narrow an existing file's (or folder's) permissions to its owner's.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if fs::metadata(path)?.is_dir() {
            FOLDER_MODE
        } else {
            FILE_MODE
        };
        let current = fs::metadata(path)?.permissions().mode() & 0o777;
        if current != mode {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Create the folder `path` (and its missing parents) for the app's own files: the folder
/// itself is made readable by its owner only, also when it existed already. Its parents are
/// created as the system makes folders (they are the user's, not the app's).
pub fn create_private_folder(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, FOLDER_MODE);
    match builder.create(path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
        Err(err) => return Err(err),
    }
    make_private(path)
}

/// Write bytes to `path` through a temporary file in the same folder (created `0600`),
/// synced and renamed into place, so a crash never leaves half a file under the name and
/// nobody else can read it.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if !folder.is_dir() {
        return Err(AppError::new(
            ErrorCode::Storage,
            format!(
                "{} could not be written: the folder {} does not exist",
                path.display(),
                folder.display()
            ),
        ));
    }
    // tempfile creates its files 0600 on Unix.
    let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(|err| file_error(path, err))?;
    temp.write_all(bytes).map_err(|err| file_error(path, err))?;
    temp.as_file()
        .sync_all()
        .map_err(|err| file_error(path, err))?;
    temp.persist(path)
        .map_err(|err| file_error(path, err.error))?;
    sync_folder(path);
    Ok(())
}

fn file_error(path: &Path, err: std::io::Error) -> AppError {
    // The kind in words ("permission denied", "no space left on device"), without the
    // temporary file's name.
    AppError::new(
        ErrorCode::Storage,
        format!("{} could not be written: {}", path.display(), err.kind()),
    )
}

/// Make a rename durable (a power cut right after must not lose it). Best effort: not
/// every platform can open a folder.
pub fn sync_folder(file: &Path) {
    if let Some(folder) = file.parent() {
        if let Ok(handle) = fs::File::open(folder) {
            let _ = handle.sync_all();
        }
    }
}

/// `path` with `suffix` appended to its file name (`desk.db` -> `desk.db-wal`).
pub fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    std::path::PathBuf::from(name)
}

#[cfg(test)]
pub(crate) mod tests;
