//! Private folders and files: the data folder holds the database (pupils'
//! names, families' contacts), emails to parents and the Matrix session, so
//! what echeancier creates there is for its own user only (0700 folders,
//! 0600 files), whatever the umask.

use std::io::Write;
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700. An existing
/// folder keeps its mode (`check` warns about a lax one).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Options that create a file with mode 0600.
pub fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes `contents` to `path`, created (or truncated) with mode 0600.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    // The mode of `open` applies to new files only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

/// [`write_private`] for async code (tokio's file API).
pub async fn write_private_async(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await?;
    }
    file.write_all(contents).await?;
    file.flush().await
}

/// Creates the file at `path`, empty and with mode 0600, unless it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    match private_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The permission bits of `path` that let its group or others in, when it
/// exists and has some (`None` otherwise).
pub fn open_to_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_private() {
        let root = tempfile::tempdir().expect("dir");
        let dir = root.path().join("a/b");
        create_private_dir(&dir).expect("created");
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("f");
        std::fs::write(&f, "x").expect("write");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(open_to_others(&f), Some(0o644));
        write_private(&f, b"secret").expect("write");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).expect("read"), b"secret");
        assert_eq!(open_to_others(&f), None);
        let db = dir.join("db");
        create_private_file(&db).expect("created");
        assert_eq!(mode(&db), 0o600);
        std::fs::write(&db, "kept").expect("write");
        create_private_file(&db).expect("exists");
        assert_eq!(std::fs::read(&db).expect("read"), b"kept");
        assert_eq!(open_to_others(&root.path().join("absent")), None);
    }
}
