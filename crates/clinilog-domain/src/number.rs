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
    #[error(
        "\"{0}\" has more than one decimal separator, and commas that group its digits in no known way: \
         write it without commas, \
         or grouped as 1,50,000 (lakhs) or 150,000 (thousands)"
    )]
    Grouping(String),
}

/// The integer part of a number whose commas group its digits exactly as
/// labs print them: in thousands (`150,000`, `1,234,567`) or the Indian way
/// in lakhs and crores (`1,50,000`, `1,23,45,678`). `None` for any other
/// shape. Both shapes drop to the same digits, so a number that fits both
/// (`12,345`) reads one way.
pub fn grouped_digits(int: &str) -> Option<String> {
    let groups: Vec<&str> = int.split(',').collect();
    if groups.len() < 2
        || groups
            .iter()
            .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (first, rest) = groups.split_first()?;
    let (last, middle) = rest.split_last()?;
    let western = first.len() <= 3 && rest.iter().all(|g| g.len() == 3);
    let indian = first.len() <= 2 && last.len() == 3 && middle.iter().all(|g| g.len() == 2);
    (western || indian).then(|| groups.concat())
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
        // Commas that group digits: two or more (`1,50,000`), or any before
        // a decimal point (`1,234.5`). Read only in an exact shape.
        let commas = body.matches(',').count();
        let points = body.matches('.').count();
        if commas >= 2 || (commas >= 1 && points == 1) {
            let (int, frac) = body.split_once('.').unwrap_or((body, ""));
            if frac.contains(',') || (commas == 1 && points == 0) {
                return Err(NumberError::TwoSeparators(trimmed.to_owned()));
            }
            let Some(digits) = grouped_digits(int) else {
                return Err(if commas >= 2 && points == 0 {
                    NumberError::Grouping(trimmed.to_owned())
                } else {
                    NumberError::TwoSeparators(trimmed.to_owned())
                });
            };
            let grouped = if points == 1 {
                format!("{digits}.{frac}")
            } else {
                digits
            };
            return Self::parse(&grouped);
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

    /// The number times 10^power, written with the same digits and the
    /// decimal point moved (exact: 3.5 shifted by 2 is 350, 150000 by -3 is
    /// 150.000).
    pub fn shifted(&self, power: i8) -> Decimal {
        let (int, frac) = self.text.split_once('.').unwrap_or((&self.text, ""));
        let digits = format!("{int}{frac}");
        // Where the point goes, counted in digits from the left.
        let at = int.len() as i64 + i64::from(power);
        let text = if at <= 0 {
            format!("0.{}{digits}", "0".repeat(at.unsigned_abs() as usize))
        } else if at as usize >= digits.len() {
            format!("{digits}{}", "0".repeat(at as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..at as usize], &digits[at as usize..])
        };
        Decimal::parse(&text).unwrap_or_else(|_| self.clone())
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
    fn digits_grouped_in_lakhs_or_thousands_read_only_in_their_exact_shape() {
        assert_eq!(ok("1,50,000"), ("150000".to_owned(), 150000.0));
        assert_eq!(ok("12,34,567"), ("1234567".to_owned(), 1234567.0));
        assert_eq!(ok("1,234,567"), ("1234567".to_owned(), 1234567.0));
        assert_eq!(ok("1,234.5"), ("1234.5".to_owned(), 1234.5));
        assert_eq!(ok("1,50,000.50"), ("150000.50".to_owned(), 150000.5));
        for bad in ["1,5,000", "123,45,678", "1,50,00", "1,,000", ",150,000", "1,500,00"] {
            assert!(matches!(Decimal::parse(bad), Err(NumberError::Grouping(_))), "{bad}");
        }
        assert!(matches!(
            Decimal::parse("1,234.5,6"),
            Err(NumberError::TwoSeparators(_))
        ));
        // One comma without a point stays a decimal comma here; the entry
        // form asks when it could be either (`read_comma`).
        assert_eq!(ok("1,500"), ("1.500".to_owned(), 1.5));
    }

    #[test]
    fn a_shift_moves_the_point_and_keeps_the_digits() {
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert_eq!(d("3.5").shifted(2).as_str(), "350");
        assert_eq!(d("2.78").shifted(2).as_str(), "278");
        assert_eq!(d("150000").shifted(-3).as_str(), "150.000");
        assert_eq!(d("9000").shifted(-3).value(), 9.0);
        assert_eq!(d("5").shifted(-3).as_str(), "0.005");
        assert_eq!(d("0.05").shifted(1).as_str(), "0.5");
        assert_eq!(d("12.30").shifted(0).as_str(), "12.30");
    }

    fn western(n: u64) -> String {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn indian(n: u64) -> String {
        let s = n.to_string();
        if s.len() <= 3 {
            return s;
        }
        let (head, last) = s.split_at(s.len() - 3);
        let mut out = String::new();
        for (i, c) in head.chars().enumerate() {
            if i > 0 && (head.len() - i).is_multiple_of(2) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{out},{last}")
    }

    proptest::proptest! {
        /// Every integer up to 10^8 reads back from its lakh grouping and
        /// its thousands grouping (several commas: never ambiguous).
        #[test]
        fn every_integer_reads_back_from_both_groupings(n in 0u64..=100_000_000) {
            for text in [western(n), indian(n)] {
                if text.matches(',').count() >= 2 {
                    let d = Decimal::parse(&text).unwrap();
                    proptest::prop_assert_eq!(d.as_str(), n.to_string());
                }
            }
        }

        /// Commas put anywhere in an integer's digits: several commas read
        /// as that integer only in an exact grouping shape, and are refused
        /// otherwise; never another number.
        #[test]
        fn misplaced_commas_are_refused_never_misread(n in 1000u64..=100_000_000, cuts in proptest::collection::vec(1usize..9, 2..4)) {
            let s = n.to_string();
            let mut at: Vec<usize> = cuts.into_iter().filter(|c| *c < s.len()).collect();
            at.sort_unstable();
            at.dedup();
            proptest::prop_assume!(at.len() >= 2);
            let mut text = String::new();
            for (i, c) in s.chars().enumerate() {
                if at.contains(&i) {
                    text.push(',');
                }
                text.push(c);
            }
            match Decimal::parse(&text) {
                Ok(d) => {
                    proptest::prop_assert_eq!(d.as_str(), s.as_str());
                    proptest::prop_assert!(text == western(n) || text == indian(n), "{} read", text);
                }
                Err(e) => proptest::prop_assert!(matches!(e, NumberError::Grouping(_)), "{}: {}", text, e),
            }
        }
    }

    #[test]
    fn computed_values_use_the_given_decimals() {
        assert_eq!(Decimal::from_f64(6.50 - 4.87, 2).as_str(), "1.63");
        assert_eq!(Decimal::from_plain(0.1).as_str(), "0.1");
        assert_eq!(Decimal::from_plain(135.0).as_str(), "135");
    }
}
