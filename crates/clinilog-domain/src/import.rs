//! Lab results read from files (CSV, HL7 v2): the pure rules.
//!
//! A reader in `interop/import` turns each result of a file into a
//! [`RawResult`] of strings, as the file printed them. This module says what
//! one such result becomes: the date in the order the user chose
//! ([`read_date`]), the catalog measure ([`TestMap::resolve`]: LOINC code,
//! then the catalog's names and aliases, then the clinic's own codes), the
//! unit ([`match_unit`]: the measure's unit or one with a known factor,
//! never a guess), the interval as printed ([`read_range`]), and the value
//! read exactly as the entry form reads a typed line ([`read_value`]).
//! Every refusal is a sentence that names what was read and what is accepted.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Deserialize;

use super::catalog::{Catalog, LabSpec, Measure, MeasureKind, display_unit};
use super::entry::{LabDraft, LabResult, SymptomRating, check_bilirubin_parts, field};
use super::number::Decimal;
use super::patient::Sex;
use super::validate::parse_iso_date;

/// The two kinds of result file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub enum Format {
    Csv,
    Hl7,
}

/// The import form as typed: which file, and how to read it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct ImportDraft {
    pub file: String,
    /// `None`: told from the file.
    pub format: Option<Format>,
    /// `None`: only 2025-08-04 and HL7 dates are read.
    pub dates: Option<DateOrder>,
    pub create_patients: bool,
    /// The MRN of a file with no MRN column (may stay empty).
    pub patient: String,
}

/// Field keys of the import form.
pub mod import_field {
    pub const FILE: &str = "import:file";
    pub const PATIENT: &str = "import:patient";
}

/// What the import form asks for, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRequest {
    pub file: String,
    pub format: Option<Format>,
    pub dates: Option<DateOrder>,
    pub create_patients: bool,
    pub patient: Option<String>,
}

impl ImportDraft {
    pub fn validate(&self) -> Result<ImportRequest, Vec<super::validate::FieldError>> {
        use super::validate::FieldError;
        let mut errors = Vec::new();
        let file = self.file.trim();
        if file.is_empty() {
            errors.push(FieldError::new(
                import_field::FILE,
                "File is required: choose the CSV or HL7 file of results",
            ));
        }
        let patient = self.patient.trim();
        if !patient.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.".contains(c)) {
            errors.push(FieldError::new(
                import_field::PATIENT,
                format!("Patient \"{patient}\" is not an MRN: letters, digits and - _ / . only"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ImportRequest {
            file: file.to_owned(),
            format: self.format,
            dates: self.dates,
            create_patients: self.create_patients,
            patient: (!patient.is_empty()).then(|| patient.to_owned()),
        })
    }
}

/// How a date such as `04/08/2025` is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
pub enum DateOrder {
    /// 04/08/2025 is 4 August 2025.
    Dmy,
    /// 04/08/2025 is 8 April 2025.
    Mdy,
    /// 2025/08/04.
    Ymd,
}

impl DateOrder {
    pub const ALL: [DateOrder; 3] = [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd];

    /// `day/month/year`.
    pub fn label(self) -> &'static str {
        match self {
            DateOrder::Dmy => "day/month/year",
            DateOrder::Mdy => "month/day/year",
            DateOrder::Ymd => "year/month/day",
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date written so that no reader can take it the other way: `4 Aug 2025`.
pub fn unambiguous(d: Date) -> String {
    let month = MONTHS
        .get(usize::try_from(d.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("?");
    format!("{} {month} {}", d.day(), d.year())
}

/// Reads a date as a file printed it: ISO `2025-08-04` and HL7
/// `20250804[hhmm]` always; `04/08/2025`, `04.08.2025` or `04-08-2025` in
/// `order` (refused without one: the order cannot be guessed safely). A
/// time after the date is ignored.
pub fn read_date(raw: &str, order: Option<DateOrder>) -> Result<Date, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("no date".to_owned());
    }
    let day_part = t.split(['T', ' ']).next().unwrap_or(t);
    if let Some(d) = parse_iso_date(day_part) {
        return Ok(d);
    }
    if day_part.len() >= 8 && day_part.as_bytes()[..8].iter().all(u8::is_ascii_digit) {
        let rest = &day_part[8..];
        if rest.chars().all(|c| c.is_ascii_digit() || "+-.".contains(c)) {
            let iso = format!("{}-{}-{}", &day_part[..4], &day_part[4..6], &day_part[6..8]);
            return parse_iso_date(&iso).ok_or_else(|| format!("\"{t}\" is not a date (read as YYYYMMDD)"));
        }
    }
    let parts: Vec<&str> = day_part.split(['/', '.', '-']).collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !numeric {
        return Err(format!(
            "\"{t}\" is not a date: write it as 2025-08-04, or 04/08/2025 with the date order chosen"
        ));
    }
    let num = |s: &str| s.parse::<i32>().unwrap_or(-1);
    let (y, m, d) = if parts[0].len() == 4 {
        (num(parts[0]), num(parts[1]), num(parts[2]))
    } else {
        if parts[2].len() != 4 {
            return Err(format!(
                "\"{t}\" has no four-digit year: write the year in full, such as 2025"
            ));
        }
        match order {
            None => {
                return Err(format!(
                    "\"{t}\" needs the date order: choose day/month/year or month/day/year (--dates dmy or mdy)"
                ));
            }
            Some(DateOrder::Dmy) => (num(parts[2]), num(parts[1]), num(parts[0])),
            Some(DateOrder::Mdy) => (num(parts[2]), num(parts[0]), num(parts[1])),
            Some(DateOrder::Ymd) => {
                return Err(format!(
                    "\"{t}\" is not year/month/day: the year comes first, such as 2025/08/04"
                ));
            }
        }
    };
    let in_order = order.map_or("year/month/day".to_owned(), |o| {
        if parts[0].len() == 4 {
            "year/month/day".to_owned()
        } else {
            o.label().to_owned()
        }
    });
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Err(format!("\"{t}\" is not a date in {in_order}"));
    };
    Date::new(y, m, d).map_err(|_| format!("\"{t}\" is not a date in {in_order}"))
}

/// Lower-case letters and digits only: `S.G.P.T.` and `sgpt` are one name.
pub fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn looks_like_loinc(code: &str) -> bool {
    let Some((a, b)) = code.split_once('-') else {
        return false;
    };
    !a.is_empty()
        && a.len() <= 7
        && a.chars().all(|c| c.is_ascii_digit())
        && b.len() == 1
        && b.chars().all(|c| c.is_ascii_digit())
}

/// How a test of a file was matched to a catalog measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    Loinc,
    Name,
    LocalCode,
}

/// A clinic's own mapping file: codes and names its labs print, each with
/// the catalog code it means. TOML:
///
/// ```toml
/// [tests]
/// "BILT" = "bili_total"
/// "Bili gesamt" = "bili_total"
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalCodes {
    codes: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocalCodes {
    #[serde(default)]
    tests: HashMap<String, String>,
    /// The clinic's critical limits: read into the catalog
    /// ([`Catalog::apply_clinic_critical`]), not by the importer.
    #[serde(default)]
    #[allow(dead_code)]
    critical: toml::Table,
}

impl LocalCodes {
    /// Parses a mapping file; `file` names it in errors. Every code must
    /// name a catalog measure.
    pub fn parse(text: &str, file: &str, catalog: &Catalog) -> Result<Self, String> {
        let raw: RawLocalCodes =
            toml::from_str(text).map_err(|e| format!("{file}: {}", e.to_string().trim().replace('\n', " ")))?;
        let mut codes = HashMap::new();
        for (local, code) in raw.tests {
            if catalog.measure(&code).is_none() {
                return Err(format!(
                    "{file}: \"{local}\" maps to \"{code}\", which is no catalog measure (codes such as bili_total, alt)"
                ));
            }
            codes.insert(name_key(&local), code);
        }
        Ok(Self { codes })
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Every way a file may name a catalog measure.
#[derive(Clone, Debug)]
pub struct TestMap {
    loinc: HashMap<String, usize>,
    names: HashMap<String, usize>,
    local: HashMap<String, usize>,
    codes: Vec<String>,
}

impl TestMap {
    pub fn new(catalog: &Catalog, local: &LocalCodes) -> Self {
        let mut map = TestMap {
            loinc: HashMap::new(),
            names: HashMap::new(),
            local: HashMap::new(),
            codes: Vec::new(),
        };
        for (i, m) in catalog.measures().iter().enumerate() {
            map.codes.push(m.code.clone());
            if let MeasureKind::Lab(spec) = &m.kind {
                map.loinc.insert(spec.loinc.clone(), i);
                if let Some(l) = spec.si.as_ref().and_then(|si| si.loinc.clone()) {
                    map.loinc.insert(l, i);
                }
            }
            for name in std::iter::once(&m.code).chain([&m.name]).chain(&m.aliases) {
                map.names.entry(name_key(name)).or_insert(i);
            }
        }
        for (key, code) in &local.codes {
            if let Some(i) = catalog.measures().iter().position(|m| &m.code == code) {
                map.local.insert(key.clone(), i);
            }
        }
        map
    }

    /// The catalog code of a test given by `code` (a LOINC code, a local
    /// code, or empty) and `text` (its name as printed): LOINC first, then
    /// the catalog's names and aliases, then the clinic's mapping file.
    pub fn resolve(&self, code: &str, text: &str) -> Option<(&str, MatchedBy)> {
        let code = code.trim();
        let found = |i: usize, by| self.codes.get(i).map(|c| (c.as_str(), by));
        if looks_like_loinc(code)
            && let Some(&i) = self.loinc.get(code)
        {
            return found(i, MatchedBy::Loinc);
        }
        for key in [name_key(text), name_key(code)] {
            if key.is_empty() {
                continue;
            }
            if let Some(&i) = self.names.get(&key) {
                return found(i, MatchedBy::Name);
            }
        }
        for key in [name_key(code), name_key(text)] {
            if let Some(&i) = self.local.get(&key) {
                return found(i, MatchedBy::LocalCode);
            }
        }
        None
    }
}

/// The measure's unit that `raw` names, however spelt (see
/// [`super::catalog::unit_key`]). An empty unit is accepted only for
/// a measure whose units all read the same numbers (INR, sodium).
pub fn match_unit<'a>(raw: &str, measure: &Measure, spec: &'a LabSpec) -> Result<&'a str, String> {
    let units = spec.units();
    let shown = || units.iter().map(|u| display_unit(u)).collect::<Vec<_>>().join(" or ");
    if raw.trim().is_empty() {
        let one_scale = units.iter().all(|u| spec.factor_to(u) == Some(1.0));
        if one_scale {
            return Ok(spec.unit.as_str());
        }
        return Err(format!(
            "{} has no unit: it is printed in {}; add the unit to the value or the column",
            measure.name,
            shown()
        ));
    }
    spec.unit_named(raw).ok_or_else(|| {
        format!(
            "{}: unit \"{}\" is not {} (no known factor, so it is not converted)",
            measure.name,
            raw.trim(),
            shown()
        )
    })
}

/// A reference interval as a file printed it: `0.0 - 1.0`, `0,1-1,2`,
/// `0.1 to 1.2`, `up to 40`, `<40`, `>40`, a unit after it allowed. Gives
/// the low and high limits as text (either may be empty).
pub fn read_range(raw: &str) -> Result<(String, String), String> {
    let t = raw.trim();
    let bad = || format!("reference interval \"{t}\" is not read: write it as 0.1 - 1.2, up to 40, <40 or >40");
    if t.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let number = |s: &str| -> Result<String, String> {
        let s = s.trim();
        // A unit may follow the last number ("0.1 - 1.2 mg/dL").
        let s = s.split_whitespace().next().unwrap_or("");
        Decimal::parse(s).map(|d| d.as_str().to_owned()).map_err(|_| bad())
    };
    let lower = t.to_lowercase();
    for prefix in ["up to", "upto", "<=", "≤", "<"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return Ok((String::new(), number(rest)?));
        }
    }
    for prefix in [">=", "≥", ">"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return Ok((number(rest)?, String::new()));
        }
    }
    for sep in [" - ", " – ", " to ", "–", "-"] {
        if let Some((a, b)) = lower.split_once(sep) {
            return Ok((number(a)?, number(b)?));
        }
    }
    Err(bad())
}

/// Text that stands for "no result": skipped, never read as zero.
pub fn is_placeholder(value: &str) -> bool {
    let t = value.trim().to_lowercase();
    matches!(
        t.as_str(),
        "" | "-" | "--" | "---" | "n/a" | "na" | "nd" | "n.d." | "not done" | "pending" | "*" | "." | "?" | "x"
    )
}

/// `1.234,5` or `1,234.5`: a thousands separator is unambiguous only
/// beside the other decimal mark. The number without it, then.
fn without_thousands(number: &str) -> Option<String> {
    let (has_dot, has_comma) = (number.contains('.'), number.contains(','));
    if !(has_dot && has_comma) {
        return None;
    }
    let (thousands, decimal) = match (number.rfind('.'), number.rfind(',')) {
        (Some(d), Some(c)) if c > d => ('.', ','),
        _ => (',', '.'),
    };
    let (int, frac) = number.rsplit_once(decimal)?;
    let groups: Vec<&str> = int.split(thousands).collect();
    let ok = groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && !frac.contains(thousands);
    ok.then(|| format!("{}{decimal}{frac}", groups.concat()))
}

/// Splits `70 U/L` or `< 0.1 mg/dL` into the value (comparator kept) and
/// the unit written after it.
pub fn split_value(raw: &str) -> (String, String) {
    let t = raw.trim();
    let (comparator, rest) = match t.chars().next() {
        Some(c @ ('<' | '>')) => (c.to_string(), t[1..].trim_start()),
        _ => (String::new(), t),
    };
    let rest = rest.trim_start_matches('=').trim_start();
    if let Some((number, unit)) = rest.split_once(char::is_whitespace) {
        return (format!("{comparator}{number}"), unit.trim().to_owned());
    }
    // `70U/L`: the unit starts at the first letter or sign that no number
    // has (an exponent, `1e400`, stays with the number to be refused as one).
    let bytes = rest.as_bytes();
    let at = rest.char_indices().find(|&(i, c)| {
        let exponent = matches!(c, 'e' | 'E')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_digit() || *b == b'+' || *b == b'-');
        (c.is_alphabetic() || "/*{%µμ^".contains(c)) && !exponent && i > 0
    });
    match at {
        Some((i, _)) if rest[..i].chars().any(|c| c.is_ascii_digit()) && !rest[..i].to_lowercase().contains("na") => {
            (format!("{comparator}{}", &rest[..i]), rest[i..].to_owned())
        }
        _ => (format!("{comparator}{rest}"), String::new()),
    }
}

/// One result as a file printed it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawResult {
    /// Line (CSV) or segment (HL7) number in the file, from 1.
    pub line: u64,
    pub mrn: String,
    /// Who the patient is, when the file says (to register new patients).
    pub patient: Option<RawPatient>,
    pub date: String,
    /// The test's code (LOINC or a lab's own) and its name as printed.
    pub code: String,
    pub test: String,
    /// The value as printed, a comparator and a unit may be inside (`<0.1`, `70 U/L`).
    pub value: String,
    pub unit: String,
    /// The interval as one text (`0.1 - 1.2`)...
    pub range: String,
    /// ...or as two limits.
    pub low: String,
    pub high: String,
    /// The flag the file printed (`H`, `L`, `N`), shown, never trusted.
    pub flag: String,
}

/// The patient a file describes: name, sex and birth date as printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawPatient {
    pub name: String,
    pub sex: String,
    pub birth_date: String,
}

/// What a file's sex column or PID-8 says.
pub fn read_sex(raw: &str) -> Option<Sex> {
    match raw.trim().to_lowercase().as_str() {
        "f" | "female" | "w" | "woman" => Some(Sex::Female),
        "m" | "male" | "man" => Some(Sex::Male),
        "o" | "other" | "x" => Some(Sex::Other),
        "u" | "unknown" | "" => Some(Sex::Unknown),
        _ => None,
    }
}

/// A value read against the catalog.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadValue {
    Lab(LabResult),
    Symptom(SymptomRating),
}

impl ReadValue {
    pub fn code(&self) -> &str {
        match self {
            ReadValue::Lab(l) => &l.code,
            ReadValue::Symptom(s) => &s.code,
        }
    }

    /// `12.30 mg/dL`, `7/10`, as it reads.
    pub fn describe(&self, catalog: &Catalog) -> String {
        match self {
            ReadValue::Lab(l) => format!("{} {}", l.value_text(), display_unit(&l.unit)),
            ReadValue::Symptom(s) => match catalog.measure(&s.code).and_then(Measure::scale) {
                Some(scale) => scale.short(s.value),
                None => s.value.to_string(),
            },
        }
    }
}

/// Why a line's value is not read.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueProblem {
    /// Not a value Clinilog can store (not a number, impossible, another unit).
    Refused(String),
    /// A value unusual for its measure, held back until confirmed as printed.
    Unusual(String),
}

impl From<String> for ValueProblem {
    fn from(why: String) -> Self {
        ValueProblem::Refused(why)
    }
}

impl ValueProblem {
    pub fn reason(&self) -> &str {
        match self {
            ValueProblem::Refused(r) | ValueProblem::Unusual(r) => r,
        }
    }
}

/// Reads one result's value for `measure`, as the entry form reads a
/// typed line: the unit must be the measure's (or one with a known
/// factor), the interval is as printed (the catalog's when none is), the
/// flag is computed from it. `confirmed`: an unusual value is confirmed as printed (and stored so,
/// marked confirmed); otherwise it is held back as [`ValueProblem::Unusual`].
pub fn read_value(
    raw: &RawResult,
    measure: &Measure,
    catalog: &Catalog,
    sex: Sex,
    confirmed: bool,
) -> Result<ReadValue, ValueProblem> {
    let name = &measure.name;
    let spec = match &measure.kind {
        MeasureKind::Symptom(scale) => {
            let value = scale.parse(raw.value.trim()).map_err(|e| format!("{name}: {e}"))?;
            return Ok(ReadValue::Symptom(SymptomRating {
                code: measure.code.clone(),
                value,
            }));
        }
        MeasureKind::Lab(spec) => spec,
    };
    let (value, unit_in_value) = split_value(&raw.value);
    let unit = match (unit_in_value.as_str(), raw.unit.trim()) {
        ("", column) => match_unit(column, measure, spec)?,
        (inside, "") => match_unit(inside, measure, spec)?,
        (inside, column) => {
            let (a, b) = (match_unit(inside, measure, spec)?, match_unit(column, measure, spec)?);
            if a != b {
                return Err(ValueProblem::Refused(format!(
                    "{name}: the value says {} and the unit column says {}",
                    display_unit(a),
                    display_unit(b)
                )));
            }
            a
        }
    };
    let (comparator, number) = match value.chars().next() {
        Some(c @ ('<' | '>')) => (c.to_string(), value[1..].to_owned()),
        _ => (String::new(), value.clone()),
    };
    let number = without_thousands(&number).unwrap_or(number);
    let (low, high) = if raw.range.trim().is_empty() {
        (raw.low.trim().to_owned(), raw.high.trim().to_owned())
    } else {
        read_range(&raw.range).map_err(|e| format!("{name}: {e}"))?
    };
    let printed = !(low.is_empty() && high.is_empty());
    let (low, high) = if printed {
        (low, high)
    } else {
        let d = spec.default_reference_in(sex, unit);
        let text = |x: Option<Decimal>| x.map(|x| x.as_str().to_owned()).unwrap_or_default();
        (text(d.low), text(d.high))
    };
    let value = format!("{comparator}{number}");
    let draft = LabDraft {
        code: measure.code.clone(),
        confirmed: if confirmed { value.clone() } else { String::new() },
        value,
        unit: unit.to_owned(),
        ref_low: low,
        ref_high: high,
        ref_unit: unit.to_owned(),
        ref_typed: printed,
        prefill: None,
    };
    let mut errors = Vec::new();
    let result = draft.check(catalog, sex, &mut errors);
    let unusual = field::unusual(&measure.code);
    match (result, errors.is_empty()) {
        (Some(r), true) => Ok(ReadValue::Lab(r)),
        _ if !errors.is_empty() && errors.iter().all(|e| e.field == unusual) => Err(ValueProblem::Unusual(
            errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "),
        )),
        _ if !errors.is_empty() => Err(ValueProblem::Refused(
            errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "),
        )),
        _ => Err(ValueProblem::Refused(format!("{name}: no value"))),
    }
}

/// Lab values of one patient and date that cannot stand together (a
/// direct bilirubin above the total): the code of each refused value and why.
pub fn conflicting_parts(labs: &[LabResult], catalog: &Catalog) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    check_bilirubin_parts(labs, catalog, &mut errors);
    let mut out = Vec::new();
    for e in errors {
        if let Some(l) = labs.iter().find(|l| field::lab(&l.code) == e.field) {
            out.push((l.code.clone(), e.message));
        }
    }
    out
}

/// Whether a stored value and a read one say the same: same measure, unit,
/// comparator and number (`12.3` and `12.30` agree).
pub fn same_value(stored: &ReadValue, read: &ReadValue) -> bool {
    match (stored, read) {
        (ReadValue::Lab(a), ReadValue::Lab(b)) => {
            a.code == b.code && a.unit == b.unit && a.comparator == b.comparator && a.value.value() == b.value.value()
        }
        (ReadValue::Symptom(a), ReadValue::Symptom(b)) => a == b,
        _ => false,
    }
}

/// What became of one line of a file.
#[derive(Clone, Debug, PartialEq)]
pub enum LineStatus {
    /// Will be (or was) written.
    New,
    /// The same value is stored for this patient, date and measure.
    Present,
    /// Another value is stored for this patient, date and measure.
    Conflict(String),
    /// Not imported, with the reason.
    Rejected(String),
    /// Held back: a value unusual for its measure, imported only once
    /// confirmed as printed (`--confirm-unusual`, or Confirm in the preview).
    Unusual(String),
    /// Not a result to import (a placeholder, a preliminary result).
    Skipped(String),
}

impl LineStatus {
    pub fn label(&self) -> &'static str {
        match self {
            LineStatus::New => "new",
            LineStatus::Present => "already present",
            LineStatus::Conflict(_) => "conflict",
            LineStatus::Rejected(_) => "rejected",
            LineStatus::Unusual(_) => "held back (unusual)",
            LineStatus::Skipped(_) => "skipped",
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            LineStatus::New | LineStatus::Present => "",
            LineStatus::Conflict(r) | LineStatus::Rejected(r) | LineStatus::Skipped(r) | LineStatus::Unusual(r) => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn raw(value: &str, unit: &str, range: &str) -> RawResult {
        RawResult {
            line: 2,
            mrn: "A1".into(),
            date: "2025-08-04".into(),
            value: value.into(),
            unit: unit.into(),
            range: range.into(),
            ..RawResult::default()
        }
    }

    fn lab(c: &Catalog, code: &str, r: &RawResult) -> Result<LabResult, String> {
        match read_value(r, c.measure(code).unwrap(), c, Sex::Male, false).map_err(|e| e.reason().to_owned())? {
            ReadValue::Lab(l) => Ok(l),
            other => panic!("{other:?}"),
        }
    }

    /// A file from an Indian lab: counts per cumm and in lakhs, gm/dl and
    /// gm%, lakh grouping in the value and the interval; stored as printed
    /// in an explicit unit, refused when a comma could be read two ways.
    #[test]
    fn indian_units_and_lakh_grouping_are_imported_as_printed() {
        let c = catalog();
        let r = |value: &str, unit: &str, low: &str, high: &str| RawResult {
            low: low.into(),
            high: high.into(),
            ..raw(value, unit, "")
        };
        let p = lab(&c, "platelets", &r("1,50,000", "/cumm", "1,50,000", "4,50,000")).unwrap();
        assert_eq!((p.value.as_str(), p.unit.as_str()), ("150000", "/uL"));
        assert_eq!(p.reference.high.as_ref().unwrap().as_str(), "450000");
        let p = lab(&c, "platelets", &r("3.5", "lakhs/cumm", "1.5", "4.1")).unwrap();
        assert_eq!(
            (p.value.as_str(), p.unit.as_str(), p.flag),
            ("3.5", "10*5/uL", crate::interval::Flag::Normal)
        );
        let p = lab(&c, "platelets", &r("212", "thou/mm3", "150", "410")).unwrap();
        assert_eq!(p.unit, "10*3/uL");
        let w = lab(&c, "wbc", &r("9000", "cells/cumm", "", "")).unwrap();
        assert_eq!(w.unit, "/uL");
        for unit in ["gm/dl", "gm%", "g/dl", "GM/DL"] {
            assert_eq!(
                lab(&c, "hemoglobin", &r("12.5", unit, "", "")).unwrap().unit,
                "g/dL",
                "{unit}"
            );
        }
        assert_eq!(lab(&c, "creatinine", &r("1.1", "mg%", "", "")).unwrap().unit, "mg/dL");
        assert_eq!(lab(&c, "pt", &r("11", "sec.", "", "")).unwrap().unit, "s");
        let why = lab(&c, "platelets", &r("1,500", "/cumm", "", "")).unwrap_err();
        assert!(why.contains("1500") && why.contains("1.500"), "{why}");
        let why = lab(&c, "platelets", &r("15,00,00", "/cumm", "", "")).unwrap_err();
        assert!(why.contains("group its digits"), "{why}");
    }

    #[test]
    fn dates_are_read_in_the_chosen_order_and_never_guessed() {
        assert_eq!(read_date("04/08/2025", Some(DateOrder::Dmy)), Ok(date(2025, 8, 4)));
        assert_eq!(read_date("04/08/2025", Some(DateOrder::Mdy)), Ok(date(2025, 4, 8)));
        assert_eq!(
            read_date("04.08.2025 09:30", Some(DateOrder::Dmy)),
            Ok(date(2025, 8, 4))
        );
        assert_eq!(read_date("2025-08-04", None), Ok(date(2025, 8, 4)));
        assert_eq!(read_date("2025-08-04T09:30:00", None), Ok(date(2025, 8, 4)));
        assert_eq!(read_date("202508040930", None), Ok(date(2025, 8, 4)));
        assert_eq!(read_date("2025/08/04", Some(DateOrder::Dmy)), Ok(date(2025, 8, 4)));
        assert!(read_date("04/08/2025", None).unwrap_err().contains("date order"));
        assert!(
            read_date("08/13/2025", Some(DateOrder::Dmy))
                .unwrap_err()
                .contains("day/month/year")
        );
        assert!(
            read_date("04/08/25", Some(DateOrder::Dmy))
                .unwrap_err()
                .contains("four-digit year")
        );
        assert!(read_date("yesterday", Some(DateOrder::Dmy)).is_err());
        assert!(read_date("20251304", None).is_err());
        assert_eq!(unambiguous(date(2025, 8, 4)), "4 Aug 2025");
    }

    #[test]
    fn tests_are_matched_by_loinc_then_names_then_local_codes() {
        let c = catalog();
        let local = LocalCodes::parse(
            "[tests]\n\"BILT\" = \"bili_total\"\n\"X-99\" = \"alt\"\n",
            "map.toml",
            &c,
        )
        .unwrap();
        let m = TestMap::new(&c, &local);
        assert_eq!(m.resolve("1742-6", "whatever"), Some(("alt", MatchedBy::Loinc)));
        assert_eq!(m.resolve("14631-6", ""), Some(("bili_total", MatchedBy::Loinc)));
        assert_eq!(m.resolve("", "S.G.P.T."), Some(("alt", MatchedBy::Name)));
        assert_eq!(m.resolve("", "Total Bilirubin"), Some(("bili_total", MatchedBy::Name)));
        assert_eq!(m.resolve("TBIL", ""), Some(("bili_total", MatchedBy::Name)));
        assert_eq!(m.resolve("bili_direct", ""), Some(("bili_direct", MatchedBy::Name)));
        assert_eq!(
            m.resolve("BILT", "Bilirubin gesamt"),
            Some(("bili_total", MatchedBy::LocalCode))
        );
        assert_eq!(m.resolve("x-99", ""), Some(("alt", MatchedBy::LocalCode)));
        assert_eq!(m.resolve("9999-9", "Ferritin"), None);
        let bad = LocalCodes::parse("[tests]\n\"Q\" = \"ferritin\"\n", "map.toml", &c).unwrap_err();
        assert!(bad.contains("map.toml") && bad.contains("ferritin"), "{bad}");
    }

    #[test]
    fn units_match_their_spellings_and_nothing_else() {
        let c = catalog();
        let m = |code: &str| c.measure(code).unwrap();
        let spec = |code: &str| m(code).lab().unwrap();
        assert_eq!(match_unit("mg/dl", m("bili_total"), spec("bili_total")), Ok("mg/dL"));
        assert_eq!(match_unit("µmol/L", m("bili_total"), spec("bili_total")), Ok("umol/L"));
        assert_eq!(match_unit("IU/L", m("alt"), spec("alt")), Ok("U/L"));
        assert_eq!(match_unit("x10^9/L", m("platelets"), spec("platelets")), Ok("10*9/L"));
        assert_eq!(match_unit("", m("inr"), spec("inr")), Ok("{INR}"));
        assert!(
            match_unit("", m("bili_total"), spec("bili_total"))
                .unwrap_err()
                .contains("no unit")
        );
        assert!(
            match_unit("mmol/L", m("bili_total"), spec("bili_total"))
                .unwrap_err()
                .contains("not mg/dL or umol/L")
        );
    }

    #[test]
    fn ranges_read_as_printed() {
        assert_eq!(read_range("0.0 - 1.0"), Ok(("0.0".into(), "1.0".into())));
        assert_eq!(read_range("0,1-1,2 mg/dL"), Ok(("0.1".into(), "1.2".into())));
        assert_eq!(read_range("up to 40"), Ok((String::new(), "40".into())));
        assert_eq!(read_range("<200"), Ok((String::new(), "200".into())));
        assert_eq!(read_range(">40"), Ok(("40".into(), String::new())));
        assert!(read_range("normal").is_err());
    }

    #[test]
    fn a_value_reads_as_the_entry_form_reads_it() {
        let c = catalog();
        let l = lab(&c, "bili_total", &raw("12,30", "mg/dL", "0.0 - 1.0")).unwrap();
        assert_eq!(
            (l.value.as_str(), l.unit.as_str(), l.flag.letter()),
            ("12.30", "mg/dL", "H")
        );
        let l = lab(&c, "alt", &raw("70 U/L", "", "")).unwrap();
        assert_eq!(
            (l.value.as_str(), l.flag.letter()),
            ("70", "H"),
            "catalog interval 7-55"
        );
        let l = lab(&c, "bili_total", &raw("210 umol/L", "", "")).unwrap();
        assert_eq!(
            (l.unit.as_str(), l.reference.describe()),
            (
                "umol/L",
                lab(&c, "bili_total", &raw("210", "umol/L", ""))
                    .unwrap()
                    .reference
                    .describe()
            )
        );
        let l = lab(&c, "bili_total", &raw("<0.1", "mg/dL", "")).unwrap();
        assert_eq!(l.value_text(), "<0.1");
        let l = lab(&c, "platelets", &raw("1.234,5", "10^3/uL", "")).unwrap();
        assert_eq!((l.value.as_str(), l.flag.letter()), ("1234.5", "H"));
        assert!(lab(&c, "alt", &raw("70U/L", "", "")).is_ok());
        let l = lab(&c, "alt", &raw("1.234,0", "U/L", "")).unwrap();
        assert_eq!(l.value.as_str(), "1234.0");
        for bad in ["1e400", "NaN", "12,3,4", "-5", "abc"] {
            assert!(lab(&c, "alt", &raw(bad, "U/L", "")).is_err(), "{bad}");
        }
        let e = lab(&c, "alt", &raw("70 U/L", "ukat/L", "")).unwrap_err();
        assert!(e.contains("unit column"), "{e}");
    }

    #[test]
    fn a_direct_bilirubin_above_the_total_is_named() {
        let c = catalog();
        let total = lab(&c, "bili_total", &raw("2.0", "mg/dL", "")).unwrap();
        let mut direct = lab(&c, "bili_direct", &raw("3.0", "mg/dL", "")).unwrap();
        direct.code = "bili_direct".into();
        let out = conflicting_parts(&[total, direct], &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "bili_direct");
    }

    #[test]
    fn placeholders_are_not_values() {
        for p in ["", "--", "n/a", "ND", "pending"] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("0"));
    }
}
