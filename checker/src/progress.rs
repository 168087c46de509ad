//! Progress of a running search, on stderr: a live line on a terminal, plain periodic lines
//! otherwise (logs and CI), nothing for child runs whose stdout is parsed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// A spinner line redrawn in place (stderr is a terminal).
    Terminal,
    /// One plain line per `interval` (stderr is a file or a pipe).
    Lines { interval: Duration },
    /// No progress output.
    Silent,
}

impl ProgressMode {
    /// The mode for this process's stderr: a spinner on a terminal, a line every 5 s otherwise.
    pub fn for_stderr() -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            ProgressMode::Terminal
        } else {
            ProgressMode::Lines {
                interval: Duration::from_secs(5),
            }
        }
    }
}

/// The counters of a search at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
}

impl Snapshot {
    fn describe(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.unique_states as f64 / seconds
        } else {
            0.0
        };
        format!(
            "{} unique states, {} total, depth {}, {:.0} unique/s, {:.1} s",
            self.unique_states, self.total_states, self.max_depth, rate, seconds
        )
    }
}

/// A progress display that lives for one search.
pub struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    /// When the last plain line was printed (`Lines` mode only).
    last_line_at: Duration,
}

impl Progress {
    /// Starts the display and announces the search with `headline` (unless silent).
    pub fn start(mode: ProgressMode, headline: &str) -> Self {
        if mode != ProgressMode::Silent {
            eprintln!("swb-check: {headline}");
        }
        let bar = (mode == ProgressMode::Terminal).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {wide_msg}")
                    .expect("the progress template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self {
            mode,
            bar,
            last_line_at: Duration::ZERO,
        }
    }

    /// Shows `snapshot`; plain lines are rate-limited to the mode's interval.
    pub fn update(&mut self, snapshot: &Snapshot) {
        match self.mode {
            ProgressMode::Terminal => {
                if let Some(bar) = &self.bar {
                    bar.set_message(snapshot.describe());
                }
            }
            ProgressMode::Lines { interval } => {
                if snapshot.elapsed >= self.last_line_at + interval {
                    self.last_line_at = snapshot.elapsed;
                    eprintln!("swb-check: progress: {}", snapshot.describe());
                }
            }
            ProgressMode::Silent => {}
        }
    }

    /// Closes the display; the final counts belong to the summary on stdout.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
