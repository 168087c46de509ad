//! Ctrl-C (SIGINT) as a request to stop the search cleanly.
//!
//! The handler only stores to an atomic flag (async-signal-safe) and restores the default
//! disposition, so a second Ctrl-C ends the process at once if the clean stop takes too long.
//! The progress loop in `check` polls the flag and stops the search like any other limit.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGINT handler.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // SAFETY: `signal` is async-signal-safe (POSIX), and SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Installs the SIGINT handler; returns the flag it sets.
pub fn install() -> anyhow::Result<&'static AtomicBool> {
    let handler = on_interrupt as extern "C" fn(libc::c_int);
    // SAFETY: the handler only touches an atomic and calls `signal`, both async-signal-safe.
    let previous = unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
    anyhow::ensure!(
        previous != libc::SIG_ERR,
        "cannot install the Ctrl-C handler: {}",
        std::io::Error::last_os_error()
    );
    Ok(&INTERRUPTED)
}
