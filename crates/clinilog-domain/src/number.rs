//! Numbers as a lab prints them.
//!
//! A [`Decimal`] keeps the digits that were typed (`12.30` stays `12.30`, not
//! `12.3`) next to the `f64` used for comparisons and plots, so what is
//! stored and exported is what the report said. Parsing accepts a decimal
//! point or a decimal comma (common on printed reports) and surrounding
//! spaces, and refuses everything else with a message that says what is
//! accepted.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A non-negative decimal number with the digits it was written with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal {
    text: String,
    value: f64,
}

/// Why a typed number was refused. Each message says what is accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("is empty: enter a number such as 12.3")]
    Empty,
    #[error("\"{0}\" is not a number: enter digits with one decimal point or comma, such as 12.3 or 12,3")]
    NotANumber(String),
    #[error("\"{0}\" has more than one decimal separator: use one point or one comma, such as 12.3")]
    TwoSeparators(String),
    #[error("\"{0}\" uses an exponent: write the number out in full, such as 0.0012")]
    Exponent(String),
    #[error("\"{0}\" is negative: lab values and doses are zero or more")]
    Negative(String),
    #[error("\"{0}\" is not a finite number: enter digits such as 12.3")]
    NotFinite(String),
    #[error("\"{0}\" starts with +: type the number alone, such as {1}")]
    LeadingPlus(String, String),
    #[error("\"{0}\" uses the character '{1}' ({2}): type the digits 0-9")]
    ForeignDigit(String, char, String),
}

/// Digits with at most one point inside them, and no leading zero before
/// another digit: the text `Decimal::parse` would store for it unchanged.
fn is_stored_form(raw: &str) -> bool {
    let b = raw.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && b.iter().filter(|c| **c == b'.').count() <= 1
        && b[0] != b'.'
        && b[b.len() - 1] != b'.'
        && (b[0] != b'0' || b.len() == 1 || b[1] == b'.')
}

impl Decimal {
    /// Parses a typed number: digits with at most one `.` or `,`, surrounding
    /// spaces allowed. The stored text uses `.` and drops leading zeros.
    pub fn parse(raw: &str) -> Result<Self, NumberError> {
        // Already as it would be stored (`12.30`, `0.5`, `135`): the text as
        // it is, without the copies the checks below make (every stored
        // value is read this way).
        if is_stored_form(raw)
            && let Ok(value) = raw.parse::<f64>()
            && value.is_finite()
        {
            return Ok(Self {
                text: raw.to_owned(),
                value,
            });
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NumberError::Empty);
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.contains("nan") || lower.contains("inf") {
            return Err(NumberError::NotFinite(trimmed.to_owned()));
        }
        if let Some(rest) = trimmed.strip_prefix('-') {
            // "-3" is a negative number; "-" alone or "-x" is just not a number.
            if rest
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
            {
                return Err(NumberError::Negative(trimmed.to_owned()));
            }
            return Err(NumberError::NotANumber(trimmed.to_owned()));
        }
        if let Some(c) = trimmed.chars().find(|c| c.is_numeric() && !c.is_ascii_digit()) {
            return Err(NumberError::ForeignDigit(
                trimmed.to_owned(),
                c,
                format!("U+{:04X}", u32::from(c)),
            ));
        }
        if let Some(rest) = trimmed.strip_prefix('+') {
            let rest = rest.trim_start();
            // "+5" means 5, but a sign is never printed on a lab value: say so.
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
                return Err(NumberError::LeadingPlus(trimmed.to_owned(), rest.to_owned()));
            }
            return Err(NumberError::NotANumber(trimmed.to_owned()));
        }
        let body = trimmed;
        let digits_and_e = body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == 'e' || c == 'E' || c == '-' || c == '+');
        let has_digit = body.chars().any(|c| c.is_ascii_digit());
        if digits_and_e && has_digit && body.contains(['e', 'E']) {
            return Err(NumberError::Exponent(trimmed.to_owned()));
        }
        if !has_digit || !body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            return Err(NumberError::NotANumber(trimmed.to_owned()));
        }
        if body.matches(['.', ',']).count() > 1 {
            return Err(NumberError::TwoSeparators(trimmed.to_owned()));
        }
        let dotted = body.replace(',', ".");
        let (int_part, frac_part) = match dotted.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (dotted.as_str(), None),
        };
        let int_part = int_part.trim_start_matches('0');
        let int_part = if int_part.is_empty() { "0" } else { int_part };
        let text = match frac_part {
            Some(f) if !f.is_empty() => format!("{int_part}.{f}"),
            _ => int_part.to_owned(),
        };
        let value: f64 = text.parse().map_err(|_| NumberError::NotANumber(trimmed.to_owned()))?;
        if !value.is_finite() {
            return Err(NumberError::NotFinite(trimmed.to_owned()));
        }
        Ok(Self { text, value })
    }

    /// A number computed by the app (a derived value, a catalog default),
    /// written with `decimals` digits after the point.
    pub fn from_f64(value: f64, decimals: u8) -> Self {
        let text = format!("{value:.*}", usize::from(decimals));
        let value = text.parse().unwrap_or(value);
        Self { text, value }
    }

    /// A catalog number written in its shortest form (`0.1`, `135`).
    pub fn from_plain(value: f64) -> Self {
        Self {
            text: format!("{value}"),
            value,
        }
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for Decimal {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Decimal> for String {
    fn from(d: Decimal) -> Self {
        d.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, f64) {
        let d = Decimal::parse(raw).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"));
        (d.as_str().to_owned(), d.value())
    }

    /// The shortcut for text already in stored form gives what the full
    /// reading gives, and leaves every other text to it.
    #[test]
    fn the_stored_form_reads_the_same_by_the_shortcut() {
        for t in ["0", "0.5", "12.30", "135", "0.001", "1234567.89"] {
            assert!(is_stored_form(t), "{t}");
            let d = Decimal::parse(t).unwrap();
            assert_eq!(Decimal::parse(&format!(" {t} ")).unwrap(), d, "{t}");
        }
        for t in [
            "", ".5", "5.", "007", "00.5", "1.2.3", "12,3", " 1", "+5", "-1", "1e3", "\u{0661}",
        ] {
            assert!(!is_stored_form(t), "{t:?}");
        }
        assert_eq!(ok("007"), ("7".to_owned(), 7.0));
        assert!(Decimal::parse("1.2.3").is_err());
    }

    #[test]
    fn keeps_the_printed_digits() {
        assert_eq!(ok("12.30"), ("12.30".to_owned(), 12.3));
        assert_eq!(ok("4.60"), ("4.60".to_owned(), 4.6));
        assert_eq!(ok("151"), ("151".to_owned(), 151.0));
    }

    #[test]
    fn accepts_a_decimal_comma_and_spaces() {
        assert_eq!(ok(" 12,3 "), ("12.3".to_owned(), 12.3));
        assert_eq!(ok("0,80"), ("0.80".to_owned(), 0.8));
        assert_eq!(ok(".5"), ("0.5".to_owned(), 0.5));
        assert_eq!(ok("007"), ("7".to_owned(), 7.0));
        assert!(matches!(Decimal::parse("+3"), Err(NumberError::LeadingPlus(..))));
    }

    #[test]
    fn refuses_what_is_not_a_plain_number() {
        assert_eq!(Decimal::parse(""), Err(NumberError::Empty));
        assert_eq!(Decimal::parse("   "), Err(NumberError::Empty));
        assert!(matches!(Decimal::parse("abc"), Err(NumberError::NotANumber(_))));
        assert!(matches!(Decimal::parse("12.3.4"), Err(NumberError::TwoSeparators(_))));
        assert!(matches!(Decimal::parse("1.234,5"), Err(NumberError::TwoSeparators(_))));
        assert!(matches!(Decimal::parse("1e3"), Err(NumberError::Exponent(_))));
        assert!(matches!(Decimal::parse("2.5E-2"), Err(NumberError::Exponent(_))));
        assert!(matches!(Decimal::parse("NaN"), Err(NumberError::NotFinite(_))));
        assert!(matches!(Decimal::parse("inf"), Err(NumberError::NotFinite(_))));
        assert!(matches!(Decimal::parse("-3"), Err(NumberError::Negative(_))));
        assert!(matches!(Decimal::parse("12 3"), Err(NumberError::NotANumber(_))));
        assert!(matches!(Decimal::parse("."), Err(NumberError::NotANumber(_))));
    }

    #[test]
    fn error_messages_say_what_is_accepted() {
        let msg = Decimal::parse("12.3.4").unwrap_err().to_string();
        assert!(msg.contains("one point or one comma"), "{msg}");
    }

    #[test]
    fn computed_values_use_the_given_decimals() {
        assert_eq!(Decimal::from_f64(6.50 - 4.87, 2).as_str(), "1.63");
        assert_eq!(Decimal::from_plain(0.1).as_str(), "0.1");
        assert_eq!(Decimal::from_plain(135.0).as_str(), "135");
    }
}
