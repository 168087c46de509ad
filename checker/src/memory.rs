//! Resident memory of this process, read from `/proc/self/status` (Linux).
//!
//! `VmRSS` is the resident set now, `VmHWM` its peak since the process started. The peak is
//! process-wide and never decreases, which is why `bench` measures each run in its own child
//! process.

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

    // Goal: on Linux the live reading works and the peak is at least the current size.
    #[test]
    fn resident_reading_is_available_and_peak_bounds_current() {
        let resident = resident_bytes().expect("VmRSS readable");
        let peak = resident_peak_bytes().expect("VmHWM readable");
        assert!(resident > 0);
        assert!(peak >= resident, "peak {peak} below resident {resident}");
    }
}
