//! Calendar formatting for certificate dates, without a clock and without a time
//! crate: the rules only need "YYYY-MM-DD HH:MM UTC" and whole days between two
//! unix timestamps.

/// `YYYY-MM-DD HH:MM UTC` for unix seconds (proleptic Gregorian, any sign).
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// Whole days from `now` to `then` (negative when `then` is past).
pub fn days_between(now: i64, then: i64) -> i64 {
    (then - now).div_euclid(86_400)
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-86_400), "1969-12-31 00:00 UTC");
    }

    #[test]
    fn days_round_down() {
        assert_eq!(days_between(0, 86_399), 0);
        assert_eq!(days_between(0, 86_400 * 3), 3);
        assert_eq!(days_between(86_400 * 3, 0), -3);
    }
}
