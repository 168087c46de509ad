//! Whole-file writes: a reader sees the old file or the new one, never half of either.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory (so the
/// rename cannot cross file systems), flushed to disk, then renamed over `path`. Parent
/// directories are created. On failure the temporary file is removed and `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    fs::create_dir_all(&directory)?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".tmp-{}", std::process::id()));
    let temporary = directory.join(temporary_name);
    let written = write_and_sync(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        // Best effort: the temporary may not exist if creating it was what failed.
        let _ = fs::remove_file(&temporary);
        return written;
    }
    // Make the rename itself durable. Not every file system lets a directory be synced;
    // the file's contents are already on disk either way.
    if let Ok(directory) = File::open(&directory) {
        let _ = directory.sync_all();
    }
    Ok(())
}

fn write_and_sync(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: a write creates missing directories, replaces an existing file whole, and leaves
    // no temporary file behind.
    #[test]
    fn write_replaces_whole_file_and_leaves_no_temporary() {
        let directory = std::env::temp_dir().join(format!("swb-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        let path = directory.join("a/b/file.json");
        write_atomically(&path, b"first, longer contents").expect("first write");
        write_atomically(&path, b"second").expect("second write");
        assert_eq!(fs::read(&path).expect("read back"), b"second");
        let listing: Vec<_> = fs::read_dir(directory.join("a/b"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(listing, vec![std::ffi::OsString::from("file.json")]);
        fs::remove_dir_all(&directory).expect("clean up");
    }
}
