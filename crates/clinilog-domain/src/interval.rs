//! A value against limits: the comparator printed with it (`<0.1`), the
//! reference interval printed beside it, and the flag that comes of them
//! (`H`, `L`; `HH`, `LL` beyond the critical limits).
//!
//! Kept apart from the entry and the catalog, which both use it, so that
//! neither needs the other for it.

use serde::{Deserialize, Serialize};

use super::number::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparator {
    #[serde(rename = "<")]
    Less,
    #[serde(rename = ">")]
    Greater,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Less => "<",
            Comparator::Greater => ">",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "<" => Some(Comparator::Less),
            ">" => Some(Comparator::Greater),
            _ => None,
        }
    }
}

/// Where a value stands against its reference interval, and beyond it
/// against the critical (call-back) limits.
///
/// The stored flag is the interval's (`L`, `H`); critical is judged when
/// the value is read, against the catalog's (or the clinic's) limits, so a
/// changed call-back list applies to every value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    CriticalLow,
    Low,
    Normal,
    High,
    CriticalHigh,
}

impl Flag {
    /// `LL`, `L`, `H`, `HH` or empty: the letters shown beside the value
    /// and exported (HL7's abnormal flags and FHIR's interpretation codes).
    pub fn letter(self) -> &'static str {
        match self {
            Flag::CriticalLow => "LL",
            Flag::Low => "L",
            Flag::Normal => "",
            Flag::High => "H",
            Flag::CriticalHigh => "HH",
        }
    }

    pub fn from_letter(s: &str) -> Self {
        match s {
            "LL" => Flag::CriticalLow,
            "L" => Flag::Low,
            "H" => Flag::High,
            "HH" => Flag::CriticalHigh,
            _ => Flag::Normal,
        }
    }

    /// The flag against the interval alone, as stored (`LL` is `L`).
    pub fn interval(self) -> Flag {
        match self {
            Flag::CriticalLow => Flag::Low,
            Flag::CriticalHigh => Flag::High,
            f => f,
        }
    }

    pub fn is_high(self) -> bool {
        matches!(self, Flag::High | Flag::CriticalHigh)
    }

    pub fn is_low(self) -> bool {
        matches!(self, Flag::Low | Flag::CriticalLow)
    }

    pub fn is_critical(self) -> bool {
        matches!(self, Flag::CriticalLow | Flag::CriticalHigh)
    }

    /// `high`, `critically low`: for sentences.
    pub fn words(self) -> &'static str {
        match self {
            Flag::CriticalLow => "critically low",
            Flag::Low => "low",
            Flag::Normal => "in range",
            Flag::High => "high",
            Flag::CriticalHigh => "critically high",
        }
    }
}

/// A reference interval; either limit may be absent ("up to 0.80").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceInterval {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

impl ReferenceInterval {
    /// How a report would print it: `0.1 - 1.2`, `up to 0.80`, `from 135`.
    pub fn describe(&self) -> String {
        match (&self.low, &self.high) {
            (Some(l), Some(h)) => format!("{l} - {h}"),
            (None, Some(h)) => format!("up to {h}"),
            (Some(l), None) => format!("from {l}"),
            (None, None) => "none".to_owned(),
        }
    }

    /// The flag of a value against this interval. On a limit is in range;
    /// a comparator value is flagged only when it is certainly out of range.
    pub fn flag(&self, value: f64, comparator: Option<Comparator>) -> Flag {
        let low = self.low.as_ref().map(Decimal::value);
        let high = self.high.as_ref().map(Decimal::value);
        match comparator {
            None => match (low, high) {
                (Some(l), _) if value < l => Flag::Low,
                (_, Some(h)) if value > h => Flag::High,
                _ => Flag::Normal,
            },
            Some(Comparator::Less) => match low {
                Some(l) if value <= l => Flag::Low,
                _ => Flag::Normal,
            },
            Some(Comparator::Greater) => match high {
                Some(h) if value >= h => Flag::High,
                _ => Flag::Normal,
            },
        }
    }
}
