//! Resident memory of this process, read from `/proc/self/status` (Linux).
//!
//! `VmRSS` is the resident set now, `VmHWM` its peak since the process started. The peak is
//! process-wide and never decreases, which is why `bench` measures each run in its own child
//! process.
//!
//! [`MemoryLimit`] is `--memory-limit`: the search (`check`) and the minimisation of its
//! counterexamples (`counterexample::minimise`) both poll it and stop cleanly when it is reached.

/// A limit on this process's resident memory.
///
/// It counts as reached at [`MemoryLimit::STOP_FRACTION`] of the limit, leaving headroom for what
/// is allocated between two polls; a hash-set resize inside stateright can still overshoot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    bytes: u64,
}

impl MemoryLimit {
    /// The fraction of the limit at which a search stops.
    pub const STOP_FRACTION: f64 = 0.9;

    /// A limit of `bytes` bytes.
    pub fn from_bytes(bytes: u64) -> Self {
        Self { bytes }
    }

    /// The limit in bytes.
    pub fn bytes(self) -> u64 {
        self.bytes
    }

    /// Whether `resident` bytes reach the stop point.
    pub fn is_reached_at(self, resident: u64) -> bool {
        resident as f64 >= self.bytes as f64 * Self::STOP_FRACTION
    }

    /// Whether resident memory now reaches the stop point. Where it cannot be read (not Linux)
    /// the limit is never reached; `check` refuses `--memory-limit` there up front.
    pub fn is_reached(self) -> bool {
        resident_bytes().is_some_and(|resident| self.is_reached_at(resident))
    }
}

/// The resident set size now, in bytes; `None` where `/proc/self/status` is unavailable.
pub fn resident_bytes() -> Option<u64> {
    status_field_bytes("VmRSS:")
}

/// The peak resident set size since the process started, in bytes.
pub fn resident_peak_bytes() -> Option<u64> {
    status_field_bytes("VmHWM:")
}

fn status_field_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_field_bytes(&status, field)
}

/// Finds a line such as `VmRSS:    1234 kB` and returns its value in bytes.
fn parse_status_field_bytes(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    let mut words = line[field.len()..].split_whitespace();
    let kibibytes: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => kibibytes.checked_mul(1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the parser reads the kernel's `kB` lines and refuses anything else.
    #[test]
    fn status_field_parses_kibibytes_and_refuses_other_units() {
        let status = "Name:\tswb-check\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nOdd:\t 5 MB\n";
        let cases = [
            ("VmRSS:", Some(1024 * 1024)),
            ("VmHWM:", Some(2048 * 1024)),
            ("Odd:", None),
            ("Missing:", None),
        ];
        for (field, expected) in cases {
            assert_eq!(
                parse_status_field_bytes(status, field),
                expected,
                "field {field}"
            );
        }
    }

    // Goal: the stop point is 90% of the limit, both sides of the edge.
    #[test]
    fn limit_is_reached_at_ninety_percent() {
        let limit = MemoryLimit::from_bytes(1000);
        let cases = [(0, false), (899, false), (900, true), (2000, true)];
        for (resident, reached) in cases {
            assert_eq!(
                limit.is_reached_at(resident),
                reached,
                "resident {resident}"
            );
        }
        assert!(
            MemoryLimit::from_bytes(1).is_reached(),
            "any process holds a byte"
        );
    }

    // Goal: on Linux the live reading works and the peak is at least the current size.
    #[test]
    fn resident_reading_is_available_and_peak_bounds_current() {
        let resident = resident_bytes().expect("VmRSS readable");
        let peak = resident_peak_bytes().expect("VmHWM readable");
        assert!(resident > 0);
        assert!(peak >= resident, "peak {peak} below resident {resident}");
    }
}
