//! Timestamps of the log formats `logs` reads, parsed by hand on bytes (no regex, no
//! allocation): nginx error.log, combined access logs, HAProxy, Apache error.log and
//! ISO 8601 (application logs, Heroku). Only the first 64 bytes of a line are looked
//! at for ISO and nginx forms; bracketed forms are searched for on the whole line.

use serde::{Serialize, Serializer};

/// A point in time as the log wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ts {
    /// Seconds since the epoch, in UTC when the log gave an offset, else the log's
    /// local time read as if it were UTC (good for ordering within one log).
    pub epoch: i64,
    pub millis: u16,
    /// Offset from UTC in minutes, when the log said.
    pub offset_min: Option<i16>,
}

impl Ts {
    /// Seconds as a float, for durations.
    pub fn secs(&self) -> f64 {
        self.epoch as f64 + f64::from(self.millis) / 1000.0
    }
}

impl std::fmt::Display for Ts {
    /// One format for every log: ISO 8601 with milliseconds, in UTC (`Z`) when the log
    /// gave an offset, so times from different logs compare at a glance; a log that
    /// wrote no zone is shown in its own local time, without a suffix (no zone is known).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, mo, d) = civil_from_days(self.epoch.div_euclid(86_400));
        let s = self.epoch.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
            s / 3600,
            s % 3600 / 60,
            s % 60,
            self.millis
        )?;
        if self.offset_min.is_some() {
            f.write_str("Z")?;
        }
        Ok(())
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A timestamp is written as text (its `Display`), so in schemas it is a string.
impl schemars::JsonSchema for Ts {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "The time of a log line, as text."
        })
    }
}

/// The timestamp of a log line, if it has one in a known form.
pub fn parse(line: &[u8]) -> Option<Ts> {
    let head = &line[..line.len().min(64)];
    nginx_error(head)
        .or_else(|| iso(head))
        .or_else(|| bracketed(line))
}

/// `2024/05/01 10:00:00` at the start of the line.
fn nginx_error(b: &[u8]) -> Option<Ts> {
    if b.len() < 19 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, s) = hms(&b[11..19])?;
    make(y, mo, d, h, mi, s, 0, None)
}

/// `2024-05-01T10:00:00.123Z`, `2024-05-01 10:00:00,123 +02:00`, anywhere near the start.
fn iso(b: &[u8]) -> Option<Ts> {
    let start = (0..b.len().saturating_sub(18)).find(|&i| {
        b[i].is_ascii_digit()
            && b.get(i + 4) == Some(&b'-')
            && b.get(i + 7) == Some(&b'-')
            && matches!(b.get(i + 10), Some(b'T' | b' '))
    })?;
    let b = &b[start..];
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, s) = hms(&b[11..19])?;
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some((&sep, tail)) = rest.split_first()
        && (sep == b'.' || sep == b',')
    {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        millis = frac_millis(&tail[..digits]);
        rest = &tail[digits..];
    }
    let offset = match rest.first() {
        Some(b'Z') => Some(0),
        Some(b'+' | b'-') => offset_colon(rest),
        Some(b' ') if matches!(rest.get(1), Some(b'+' | b'-')) => offset_colon(&rest[1..]),
        _ => None,
    };
    make(y, mo, d, h, mi, s, millis, offset)
}

/// `[01/May/2024:10:00:00 +0000]` (access logs), `[01/May/2024:10:00:00.123]`
/// (HAProxy) or `[Wed May 01 10:00:00.123456 2024]` (Apache error.log).
fn bracketed(line: &[u8]) -> Option<Ts> {
    let mut from = 0;
    // Look at the first few brackets only: the time is near the start in every format.
    for _ in 0..4 {
        let open = from + memchr::memchr(b'[', &line[from..])?;
        let inner = &line[open + 1..];
        if let Some(ts) = clf(inner).or_else(|| apache(inner)) {
            return Some(ts);
        }
        from = open + 1;
    }
    None
}

fn clf(b: &[u8]) -> Option<Ts> {
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let d = num(&b[0..2])?;
    let mo = month(&b[3..6])?;
    let y = num(&b[7..11])?;
    let (h, mi, s) = hms(&b[12..20])?;
    let mut rest = &b[20..];
    let mut millis = 0;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        millis = frac_millis(&rest[1..1 + digits]);
        rest = &rest[1 + digits..];
    }
    let offset = if rest.first() == Some(&b' ') && rest.len() >= 6 {
        let sign = match rest[1] {
            b'+' => 1,
            b'-' => -1,
            _ => return make(y, mo, d, h, mi, s, millis, None),
        };
        let hh = num(&rest[2..4])? as i16;
        let mm = num(&rest[4..6])? as i16;
        Some(sign * (hh * 60 + mm))
    } else {
        None
    };
    make(y, mo, d, h, mi, s, millis, offset)
}

fn apache(b: &[u8]) -> Option<Ts> {
    // "Wed May 01 10:00:00.123456 2024]"
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' {
        return None;
    }
    let mo = month(&b[4..7])?;
    let d = num(b[8..10].trim_ascii())?;
    let (h, mi, s) = hms(&b[11..19])?;
    let mut rest = &b[19..];
    let mut millis = 0;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        millis = frac_millis(&rest[1..1 + digits]);
        rest = &rest[1 + digits..];
    }
    let y = num(rest.get(1..5)?)?;
    make(y, mo, d, h, mi, s, millis, None)
}

fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((num(&b[0..2])?, num(&b[3..5])?, num(&b[6..8])?))
}

fn offset_colon(b: &[u8]) -> Option<i16> {
    let sign = if b[0] == b'-' { -1 } else { 1 };
    let hh = num(b.get(1..3)?)? as i16;
    let mm_at = if b.get(3) == Some(&b':') { 4 } else { 3 };
    let mm = num(b.get(mm_at..mm_at + 2)?)? as i16;
    Some(sign * (hh * 60 + mm))
}

fn frac_millis(digits: &[u8]) -> u16 {
    let mut v = 0u16;
    for i in 0..3 {
        v = v * 10 + digits.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    v
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

fn month(b: &[u8]) -> Option<u32> {
    const M: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    M.iter()
        .position(|m| m.as_slice() == b)
        .map(|i| i as u32 + 1)
}

#[allow(clippy::too_many_arguments)]
fn make(
    y: u32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    millis: u16,
    offset_min: Option<i16>,
) -> Option<Ts> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let local = days * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    let epoch = local - i64::from(offset_min.unwrap_or(0)) * 60;
    Some(Ts {
        epoch,
        millis,
        offset_min,
    })
}

/// Howard Hinnant's civil-to-days algorithm.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(line: &str) -> String {
        parse(line.as_bytes())
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn every_format_parses() {
        assert_eq!(
            show("2024/05/01 10:00:00 [error] 7#7: *1 upstream timed out"),
            "2024-05-01T10:00:00.000"
        );
        assert_eq!(
            show("10.0.0.1 - - [01/May/2024:10:00:00 +0200] \"GET /ws HTTP/1.1\" 101 0"),
            "2024-05-01T08:00:00.000Z"
        );
        assert_eq!(
            show("haproxy[9]: 10.0.0.1:5 [01/May/2024:10:00:00.250] fe be/s1"),
            "2024-05-01T10:00:00.250"
        );
        assert_eq!(
            show("[Wed May 01 10:00:00.123456 2024] [proxy:error] [pid 1]"),
            "2024-05-01T10:00:00.123"
        );
        assert_eq!(
            show("2024-05-01T10:00:00.5Z app: websocket closed"),
            "2024-05-01T10:00:00.500Z"
        );
        assert_eq!(
            show("2024-05-01 10:00:00,123 +01:00 WARN ws"),
            "2024-05-01T09:00:00.123Z"
        );
        assert_eq!(show("no time here [at all]"), "");
    }

    #[test]
    fn first_and_last_times_share_one_format_whatever_the_log_wrote() {
        // The same instant written with Z, +00:00 and +02:00, with and without a fraction.
        let shown: Vec<String> = [
            "2024-05-01T10:00:00Z app: x",
            "2024-05-01 10:00:00,000 +00:00 WARN x",
            "10.0.0.1 - - [01/May/2024:12:00:00 +0200] \"GET /ws HTTP/1.1\" 101 0",
        ]
        .iter()
        .map(|l| show(l))
        .collect();
        assert_eq!(shown, ["2024-05-01T10:00:00.000Z"; 3]);
        // A log without a zone keeps its local time, in the same shape minus the `Z`.
        assert_eq!(
            show("2024/05/01 10:00:00 [error] 7#7: x"),
            "2024-05-01T10:00:00.000"
        );
    }

    #[test]
    fn offsets_give_utc_epochs() {
        let a = parse(b"[01/May/2024:12:00:00 +0200]").map(|t| t.epoch);
        let b = parse(b"[01/May/2024:10:00:00 +0000]").map(|t| t.epoch);
        assert_eq!(a, b);
        assert_eq!(b, Some(1_714_557_600));
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "[",
            "[01/",
            "2024/05/01 xx",
            "[Wed May 01 10:00:00.",
            "2024-05-01T25:00:00",
            "[99/Foo/2024:10:00:00]",
        ] {
            let _ = parse(s.as_bytes());
        }
    }
}
