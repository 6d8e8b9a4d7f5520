//! Resident memory of this process, from `/proc/self/status` (Linux).

/// The resident set size (`VmRSS`) in bytes, or `None` where `/proc` is not available.
pub fn current_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

/// `VmRSS:   12345 kB` → bytes.
pub(crate) fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_vm_rss() {
        assert_eq!(super::parse_vm_rss("Name:\tx\nVmRSS:\t    2048 kB\nVmData: 1 kB\n"), Some(2048 * 1024));
        assert_eq!(super::parse_vm_rss("Name: x\n"), None);
        if cfg!(target_os = "linux") {
            assert!(super::current_rss_bytes().is_some_and(|b| b > 0));
        }
    }
}
