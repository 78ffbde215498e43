//! Timestamps in the database: UTC text in one fixed-width format, so that comparing the
//! text compares the instants (on both backends, and in the filter index).

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

use crate::StoreError;

/// `2026-11-22T12:00:00.000000000Z`: always nine fractional digits, always `Z`.
/// (Chrono's RFC 3339 writer with nanoseconds and `Z` writes exactly this, without
/// interpreting a format string on every call.) An instant outside the years 0000–9999
/// (a bound such as `9999-12-31T23:59:59-23:59` is in year 10000 in UTC) is written as
/// the nearest one inside them: chrono would write `+10000-…`, which compares as text
/// before every stored time. Nothing stored is out there, so bounds keep their meaning.
pub(crate) fn to_db(instant: DateTime<Utc>) -> String {
    let instant = match instant.year() {
        0..=9999 => instant,
        ..0 => earliest(),
        _ => latest(),
    };
    instant.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The first instant of year 0000.
fn earliest() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(0, 1, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |naive| naive.and_utc())
}

/// The last instant of year 9999.
fn latest() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_nano_opt(23, 59, 59, 999_999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |naive| naive.and_utc())
}

/// Read a stored timestamp back.
pub(crate) fn from_db(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|error| StoreError::Database(format!("bad stored timestamp {text:?}: {error}")))
}

/// The RFC 3339 form returned in `meta` (fractional seconds only when there are any).
pub(crate) fn to_rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An `xsd:dateTime` as the filter evaluator reads it (RFC 3339 with an offset, or without
/// one as UTC), in the stored form; `None` when the text is no dateTime.
pub(crate) fn parse_date_time(text: &str) -> Option<String> {
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Some(to_db(with_offset.with_timezone(&Utc)));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| to_db(naive.and_utc()))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests read the wall clock
mod tests {
    use super::*;

    #[test]
    fn instants_beyond_four_digit_years_are_written_at_the_edge_and_keep_their_order() {
        let bound = |text: &str| {
            to_db(
                DateTime::parse_from_rfc3339(text)
                    .unwrap()
                    .with_timezone(&Utc),
            )
        };
        let stored = to_db(Utc::now());
        let far = bound("9999-12-31T23:59:59-23:59");
        assert_eq!(far, "9999-12-31T23:59:59.999999999Z");
        assert!(stored < far);
        let early = bound("0000-01-01T00:00:00+23:59");
        assert_eq!(early, "0000-01-01T00:00:00.000000000Z");
        assert!(early < stored);
        assert_eq!(
            bound("2026-11-22T12:00:00+01:00"),
            "2026-11-22T11:00:00.000000000Z"
        );
    }

    #[test]
    fn text_order_is_time_order() {
        let a = parse_date_time("2015-03-01T08:00:00+02:00");
        let b = parse_date_time("2015-03-01T06:00:00Z");
        assert_eq!(a, b);
        let c = parse_date_time("2015-03-01T06:00:00.5");
        assert!(c > b);
        assert_eq!(b.as_deref(), Some("2015-03-01T06:00:00.000000000Z"));
        assert_eq!(parse_date_time("yesterday"), None);
    }

    #[test]
    fn the_stored_form_has_nine_fractional_digits_and_z() {
        for text in [
            "2026-11-22T12:00:00Z",
            "2026-11-22T12:00:00.5Z",
            "1999-01-02T03:04:05.123456789Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
        ] {
            let instant = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(
                to_db(instant),
                instant.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
                "{text}"
            );
        }
    }
}
