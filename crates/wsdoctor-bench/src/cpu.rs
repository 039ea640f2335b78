//! The client's own CPU time, so a result can say when wsdoctor, not the server, was
//! the limit. `getrusage(RUSAGE_SELF)`: user + system time of every thread.

use std::time::Duration;

/// CPU time used by this process so far; zero where it cannot be read.
pub(crate) fn used() -> Duration {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes into the struct we pass and reads nothing else;
        // a zeroed rusage is a valid value of the type.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
            return Duration::ZERO;
        }
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec.max(0) as u64)
                + Duration::from_micros(t.tv_usec.max(0) as u64)
        };
        tv(u.ru_utime) + tv(u.ru_stime)
    }
    #[cfg(not(unix))]
    {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_grows_with_work() {
        let before = super::used();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        assert!(super::used() > before);
    }
}
