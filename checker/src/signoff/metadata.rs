//! Run metadata that comes from outside the model: the git commit of the working directory and
//! the date. Neither may fail the report: outside a git repository (or without git) the commit
//! reads `unknown`, and the date is computed from the system clock without a time-zone database.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The commit the report was produced from, as far as git can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitCommit {
    /// The commit hash; `dirty` when tracked files differ from it.
    Known { hash: String, dirty: bool },
    /// Not a git repository, or git is not installed.
    Unknown,
}

impl GitCommit {
    /// Asks git about the repository containing `directory`; never fails.
    pub fn of(directory: &Path) -> GitCommit {
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(directory)
                .args(args)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()
        };
        let Some(head) = git(&["rev-parse", "--verify", "HEAD"]) else {
            return GitCommit::Unknown;
        };
        let hash = String::from_utf8_lossy(&head.stdout).trim().to_owned();
        if !head.status.success() || hash.is_empty() || !hash.chars().all(|c| c.is_ascii_hexdigit())
        {
            return GitCommit::Unknown;
        }
        // `diff-index` exits 1 when tracked files differ from HEAD; untracked files do not count.
        let dirty = git(&["diff-index", "--quiet", "HEAD", "--"])
            .is_some_and(|output| output.status.code() == Some(1));
        GitCommit::Known { hash, dirty }
    }

    /// `hash`, `hash (dirty)` or `unknown (not a git repository)`.
    pub fn text(&self) -> String {
        match self {
            GitCommit::Known { hash, dirty: false } => hash.clone(),
            GitCommit::Known { hash, dirty: true } => {
                format!("{hash} (uncommitted changes to tracked files)")
            }
            GitCommit::Unknown => "unknown (not a git repository, or no git)".to_owned(),
        }
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    utc_text(seconds)
}

/// `seconds` since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian calendar).
pub fn utc_text(seconds: u64) -> String {
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`, for
/// non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: known instants format as the calendar says, leap days included.
    #[test]
    fn utc_text_matches_known_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_text(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_text(1_709_210_096), "2024-02-29 12:34:56 UTC");
        assert_eq!(utc_text(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    // Goal: outside a git repository the commit is unknown, not an error.
    #[test]
    fn commit_outside_a_repository_is_unknown() {
        let outside = std::env::temp_dir().join(format!("swb-no-git-{}", std::process::id()));
        std::fs::create_dir_all(&outside).expect("scratch directory");
        // The temporary directory is not inside a repository on the machines this runs on; if
        // it is, git finds that repository and the commit is known, which is also not an error.
        let commit = GitCommit::of(&outside);
        assert!(!commit.text().is_empty());
        let _ = std::fs::remove_dir_all(&outside);
    }
}
