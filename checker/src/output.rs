//! Results on stdout, written so that a reader who stops early is not an error.
//!
//! `print!` panics when stdout is a closed pipe (`swb-check check | head -1`): Rust ignores
//! SIGPIPE, so the write fails with `BrokenPipe` and the macro turns that into a panic with a
//! backtrace hint and exit code 101. A reader that stops reading has seen what it wanted, so a
//! closed pipe ends the output quietly: the rest is dropped, the command still returns its own
//! exit code (a verdict is a verdict whoever reads it), and nothing is printed to stderr. Any
//! other write error (a full disk behind a redirection) is a real failure and is returned.

use anyhow::Context;
use std::io::{self, Write};

/// Writes `text` to stdout and flushes it. A closed pipe drops the text (or its rest) quietly;
/// any other failure is an error.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut locked = stdout.lock();
    write_to(&mut locked, text).context("writing to stdout")
}

/// [`write_stdout`] on any writer (tests use failing ones).
fn write_to(writer: &mut impl Write, text: &str) -> io::Result<()> {
    match writer
        .write_all(text.as_bytes())
        .and_then(|()| writer.flush())
    {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

/// `writeln!` into a `String` that is later written with [`write_stdout`]: writing to a `String`
/// cannot fail, and the one write at the end is where a closed pipe is handled.
macro_rules! outln {
    ($out:ident, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write with one error kind.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    // Goal: a working writer receives the whole text, a closed pipe is a quiet end of output,
    // and any other error is reported.
    #[test]
    fn broken_pipe_is_reader_gone_and_other_errors_are_errors() {
        let mut buffer = Vec::new();
        write_to(&mut buffer, "text\n").expect("written");
        assert_eq!(buffer, b"text\n");
        write_to(&mut Failing(io::ErrorKind::BrokenPipe), "text").expect("quiet");
        let error = write_to(&mut Failing(io::ErrorKind::StorageFull), "text").expect_err("fails");
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }
}
