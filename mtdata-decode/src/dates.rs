//! MindTrails' two date encodings, turned into ISO 8601 (UTC) for an added `<column>_iso`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};

/// Epoch milliseconds outside 2000..2100 are not taken as dates.
const EPOCH_MS_MIN: i64 = 946_684_800_000;
const EPOCH_MS_MAX: i64 = 4_102_444_800_000;

const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn number(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// A server date string, Java's `"EEE, dd MMM yyyy HH:mm:ss Z"` (e.g. `Wed, 08 Jun 2016 16:15:30 -0500`),
/// as ISO 8601 UTC. Parsed by position: this runs once per row and date column.
pub fn parse_mtdata_date(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.len() != 31 || &b[3..5] != b", " || b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
        return None;
    }
    if b[19] != b':' || b[22] != b':' || b[25] != b' ' || !WEEKDAYS.contains(&&b[0..3]) {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &b[8..11])? as u32 + 1;
    let date = NaiveDate::from_ymd_opt(number(&b[12..16])? as i32, month, number(&b[5..7])?)?;
    let local = date.and_hms_opt(
        number(&b[17..19])?,
        number(&b[20..22])?,
        number(&b[23..25])?,
    )?;
    let sign = match b[26] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset_minutes = i64::from(number(&b[27..29])? * 60 + number(&b[29..31])?);
    let utc = local - TimeDelta::minutes(sign * offset_minutes);
    Some(iso_utc(utc, 0))
}

/// Epoch milliseconds (a JSON integer) as ISO 8601 UTC, when plausible as a date.
pub fn parse_epoch_millis(number: &str) -> Option<String> {
    let ms: i64 = number.parse().ok()?;
    if !(EPOCH_MS_MIN..EPOCH_MS_MAX).contains(&ms) {
        return None;
    }
    let t = DateTime::from_timestamp_millis(ms)?.naive_utc();
    Some(iso_utc(t, (ms % 1000) as u32))
}

/// `2016-06-08T21:15:30Z`, with `.123` before the `Z` when there are milliseconds. Written digit by digit:
/// this runs once per row and date column.
fn iso_utc(t: NaiveDateTime, millis: u32) -> String {
    fn push(out: &mut String, value: u32, width: u32) {
        for place in (0..width).rev() {
            let digit = value / 10u32.pow(place) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
    }
    let mut out = String::with_capacity(24);
    push(&mut out, u32::try_from(t.year()).unwrap_or(0), 4);
    out.push('-');
    push(&mut out, t.month(), 2);
    out.push('-');
    push(&mut out, t.day(), 2);
    out.push('T');
    push(&mut out, t.hour(), 2);
    out.push(':');
    push(&mut out, t.minute(), 2);
    out.push(':');
    push(&mut out, t.second(), 2);
    if millis > 0 {
        out.push('.');
        push(&mut out, millis, 3);
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_date_strings_become_utc() {
        assert_eq!(
            parse_mtdata_date("Wed, 08 Jun 2016 16:15:30 -0500").as_deref(),
            Some("2016-06-08T21:15:30Z")
        );
        assert_eq!(
            parse_mtdata_date("Sun, 31 Dec 2017 23:59:59 -0500").as_deref(),
            Some("2018-01-01T04:59:59Z")
        );
        assert_eq!(parse_mtdata_date("2016-06-08"), None);
        assert_eq!(parse_mtdata_date("Wed, 31 Feb 2016 16:15:30 -0500"), None);
        assert_eq!(parse_mtdata_date("Xyz, 08 Jun 2016 16:15:30 -0500"), None);
    }

    #[test]
    fn epoch_millis_become_utc() {
        assert_eq!(
            parse_epoch_millis("1441908506000").as_deref(),
            Some("2015-09-10T18:08:26Z")
        );
        assert_eq!(
            parse_epoch_millis("1488913533123").as_deref(),
            Some("2017-03-07T19:05:33.123Z")
        );
        assert_eq!(parse_epoch_millis("12"), None);
        assert_eq!(parse_epoch_millis("12.5"), None);
    }
}
