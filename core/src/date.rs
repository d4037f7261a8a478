//! The `Date` header value, as Node's `utcDate()` writes it.
//!
//! Node caches `new Date().toUTCString()` once per second; the core never reads
//! a clock, so the caller formats its own "now" with [`http_date`] and passes the
//! string in. `toUTCString()` produces RFC 7231's IMF-fixdate
//! (`Sun, 06 Nov 1994 08:49:37 GMT`).

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The last second a JavaScript `Date` can hold (8.64e15 ms after the epoch);
/// later instants format as `Invalid Date`, as `toUTCString()` does.
const MAX_JS_DATE_SECS: u64 = 8_640_000_000_000;

/// JavaScript's `new Date(unix_secs * 1000).toUTCString()`.
pub fn http_date(unix_secs: u64) -> String {
    if unix_secs > MAX_JS_DATE_SECS {
        return "Invalid Date".to_string();
    }
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} GMT",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Proleptic Gregorian `(year, month 1..=12, day 1..=31)` of a day count since
/// 1970-01-01, by Howard Hinnant's `civil_from_days` (eras of 400 years,
/// years starting in March so the leap day comes last).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings from Node v20:
    /// `node -e "console.log(new Date(s * 1000).toUTCString())"`.
    #[test]
    fn matches_node_to_utc_string() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_795_730_092, "Thu, 26 Nov 2026 21:54:52 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (100_000_000_000, "Wed, 16 Nov 5138 09:46:40 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (253_402_300_800, "Sat, 01 Jan 10000 00:00:00 GMT"),
            (8_640_000_000_000, "Sat, 13 Sep 275760 00:00:00 GMT"),
            (8_640_000_000_001, "Invalid Date"),
            (u64::MAX, "Invalid Date"),
        ];
        for (secs, want) in cases {
            assert_eq!(http_date(secs), want, "{secs}");
        }
    }
}
