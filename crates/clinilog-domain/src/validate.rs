//! Field-level errors and the small parsers every form shares.
//!
//! A form draft holds strings exactly as typed; validation turns it into a
//! domain value or a list of [`FieldError`]s, each naming the field (a stable
//! key the UI uses to place the message beside the input) and saying what is
//! accepted. Nothing typed is changed by validation.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Stable key of the field (`date`, `lab:bili_total`, `lab:bili_total:ref_high`).
    pub field: String,
    /// A sentence for the user that names the field and what is accepted.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The first message for `field`, if any.
pub fn message_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

/// A required text: trimmed, or an error naming `label`.
pub fn required(field: &str, label: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        errors.push(FieldError::new(field, format!("{label} is required")));
        None
    } else {
        Some(t.to_owned())
    }
}

/// An ISO date `YYYY-MM-DD`, or an error naming `label`.
pub fn parse_date(field: &str, label: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let t = raw.trim();
    if t.is_empty() {
        errors.push(FieldError::new(
            field,
            format!("{label} is required: enter it as YYYY-MM-DD"),
        ));
        return None;
    }
    match parse_iso_date(t) {
        Some(d) => Some(d),
        None => {
            errors.push(FieldError::new(
                field,
                format!("{label} \"{t}\" is not a date: enter it as YYYY-MM-DD, such as 2025-07-19"),
            ));
            None
        }
    }
}

/// An optional cycle number (a whole number from 1; empty for none), or an
/// error on `field`.
pub fn parse_cycle(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<u32> {
    match raw.trim() {
        "" => None,
        t => match t.parse::<u32>() {
            Ok(c) if c >= 1 => Some(c),
            _ => {
                errors.push(FieldError::new(
                    field,
                    format!("Cycle \"{t}\" is not a cycle number: enter a whole number from 1, or leave it empty"),
                ));
                None
            }
        },
    }
}

/// Strict `YYYY-MM-DD` (jiff alone also accepts forms a clinician never types).
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    s.parse::<Date>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_only() {
        assert_eq!(parse_iso_date("2025-07-19"), Some(jiff::civil::date(2025, 7, 19)));
        assert_eq!(parse_iso_date("2025-02-30"), None);
        assert_eq!(parse_iso_date("19/07/2025"), None);
        assert_eq!(parse_iso_date("2025-7-19"), None);
        assert_eq!(parse_iso_date("20250719"), None);
    }

    #[test]
    fn date_errors_say_the_format() {
        let mut errors = Vec::new();
        assert_eq!(parse_date("date", "Collection date", "yesterday", &mut errors), None);
        assert!(errors[0].message.contains("YYYY-MM-DD"));
        assert_eq!(message_for(&errors, "date"), Some(errors[0].message.as_str()));
    }
}
