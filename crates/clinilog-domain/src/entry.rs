//! Weekly entries: lab results as printed, symptom ratings, a note.
//!
//! A [`LabResult`] keeps the value, comparator, unit and reference interval
//! exactly as the lab printed them; the flag is computed from that printed
//! interval (or the catalog default when the report printed none). Values
//! exactly on a limit are in range. Indirect bilirubin that the lab did not
//! print is derived (total minus direct) for display, never stored.

use std::borrow::Cow;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::catalog::{Catalog, LabSpec, Measure, MeasureKind, Tier};
pub use super::interval::{Comparator, Flag, ReferenceInterval};
use super::number::{Decimal, NumberError};
use super::patient::Sex;
use super::validate::{FieldError, parse_date};

/// Whether the interval came from the report or from the catalog default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceSource {
    Report,
    Catalog,
}

impl ReferenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceSource::Report => "report",
            ReferenceSource::Catalog => "catalog",
        }
    }
}

/// One lab value as printed on a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabResult {
    /// Catalog code (`bili_total`).
    pub code: String,
    pub comparator: Option<Comparator>,
    pub value: Decimal,
    /// UCUM unit as printed.
    pub unit: String,
    pub reference: ReferenceInterval,
    pub reference_source: ReferenceSource,
    pub flag: Flag,
    /// Value and interval were checked to share the unit when written
    /// (always, since one unit per line; not in files written before).
    #[serde(default)]
    pub unit_checked: bool,
    /// The interval stored with this value looks like it is in the
    /// measure's other unit (a file written before one unit per line): the
    /// flag is not computed and the value is shown with a note.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interval_doubt: bool,
    /// The value is outside what is usual for the measure and the user
    /// confirmed it is as printed (kept in the audit row of the save).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed_unusual: bool,
}

impl LabResult {
    /// Judges the value as it is read: a value of a file written before one
    /// unit per line whose interval looks like it is in the other unit gets
    /// no flag; a value beyond the measure's critical limits is `LL`/`HH`.
    pub fn mark_flags(&mut self, catalog: &Catalog, sex: Sex) {
        self.mark_interval_doubt(catalog, sex);
        if let Some(spec) = catalog.measure(&self.code).and_then(Measure::lab) {
            self.mark_critical(spec);
        }
    }

    /// `LL`/`HH` when the value is beyond the measure's critical limits in
    /// its unit (a comparator value only when certainly beyond).
    pub fn mark_critical(&mut self, spec: &LabSpec) {
        let Some(critical) = spec.critical else { return };
        if spec.factor_to(&self.unit).is_none() {
            return;
        }
        let limits = spec.limits_in(critical, &self.unit);
        let interval = ReferenceInterval {
            low: limits.low.map(|l| Decimal::from_f64(l, 6)),
            high: limits.high.map(|h| Decimal::from_f64(h, 6)),
        };
        match interval.flag(self.value.value(), self.comparator) {
            Flag::Low => self.flag = Flag::CriticalLow,
            Flag::High => self.flag = Flag::CriticalHigh,
            _ => {}
        }
    }

    /// Whether the interval reads far better in the measure's other unit
    /// than in the value's: its limits are closer, by more than half an
    /// order of magnitude, to the catalog interval in that unit. Only
    /// measures whose two units differ in number (bilirubin, creatinine,
    /// albumin, enzymes) can be told.
    /// A value of a file written before one unit per line whose interval
    /// looks like it is in the other unit: marked, and no flag for it.
    pub fn mark_interval_doubt(&mut self, catalog: &Catalog, sex: Sex) {
        if !self.unit_checked
            && let Some(spec) = catalog.measure(&self.code).and_then(Measure::lab)
            && self.interval_looks_like_other_unit(spec, sex)
        {
            self.interval_doubt = true;
            self.flag = Flag::Normal;
        }
    }

    pub fn interval_looks_like_other_unit(&self, spec: &LabSpec, sex: Sex) -> bool {
        let Some(other) = spec.units().into_iter().find(|u| *u != self.unit) else {
            return false;
        };
        let (Some(f_here), Some(f_there)) = (spec.factor_to(&self.unit), spec.factor_to(other)) else {
            return false;
        };
        if (f_here / f_there - 1.0).abs() < 1e-9 {
            return false;
        }
        let here = spec.default_reference_in(sex, &self.unit);
        let there = spec.default_reference_in(sex, other);
        let distance = |printed: &Option<Decimal>, default: &Option<Decimal>| match (printed, default) {
            (Some(p), Some(d)) if p.value() > 0.0 && d.value() > 0.0 => Some((p.value() / d.value()).log10().abs()),
            _ => None,
        };
        let pair = distance(&self.reference.high, &here.high)
            .zip(distance(&self.reference.high, &there.high))
            .or_else(|| distance(&self.reference.low, &here.low).zip(distance(&self.reference.low, &there.low)));
        matches!(pair, Some((here, there)) if there + 0.5 < here)
    }

    /// `<0.1`, `12.30`.
    pub fn value_text(&self) -> String {
        match self.comparator {
            Some(c) => format!("{}{}", c.as_str(), self.value),
            None => self.value.to_string(),
        }
    }

    /// The same result in `unit` (one of the measure's units), for display:
    /// value and interval converted with the catalog factor, written with
    /// matching precision; comparator and flag kept. Stored values never
    /// change; this is only how they are shown.
    pub fn in_unit(&self, spec: &LabSpec, unit: &str) -> LabResult {
        self.in_unit_cow(spec, unit).into_owned()
    }

    /// As [`LabResult::in_unit`], borrowing this value when it needs no
    /// conversion (the common case: no copy for each value shown).
    pub fn in_unit_cow(&self, spec: &LabSpec, unit: &str) -> Cow<'_, LabResult> {
        let (Some(from), Some(to)) = (spec.factor_to(&self.unit), spec.factor_to(unit)) else {
            return Cow::Borrowed(self);
        };
        if self.unit == unit || from == to {
            return Cow::Borrowed(self);
        }
        let d = spec.decimals_in(unit);
        let convert = |x: &Decimal| Decimal::from_f64(x.value() / from * to, d);
        Cow::Owned(LabResult {
            code: self.code.clone(),
            comparator: self.comparator,
            value: convert(&self.value),
            unit: unit.to_owned(),
            reference: ReferenceInterval {
                low: self.reference.low.as_ref().map(convert),
                high: self.reference.high.as_ref().map(convert),
            },
            reference_source: self.reference_source,
            flag: self.flag,
            unit_checked: self.unit_checked,
            interval_doubt: self.interval_doubt,
            confirmed_unusual: self.confirmed_unusual,
        })
    }

    /// `12.30 H`: the value with its flag letter, for tables; `12.3 ?`
    /// when its interval may be in another unit (and it is not critical).
    pub fn display(&self) -> String {
        if self.interval_doubt && !self.flag.is_critical() {
            return format!("{} ?", self.value_text());
        }
        match self.flag {
            Flag::Normal => self.value_text(),
            f => format!("{} {}", self.value_text(), f.letter()),
        }
    }

    /// Why this value has no flag, when its interval may be in another unit.
    pub fn doubt_note(&self) -> Option<String> {
        self.interval_doubt.then(|| {
            format!(
                "The interval stored with this value ({}) looks like it is in another unit than {}: \
                 it was entered before Clinilog kept one unit per line. No flag is shown; check the report.",
                self.reference.describe(),
                super::catalog::display_unit(&self.unit)
            )
        })
    }
}

/// A symptom rating on its catalog scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymptomRating {
    pub code: String,
    pub value: u8,
}

/// The content of an entry, without its database identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryData {
    pub collected_on: Date,
    pub labs: Vec<LabResult>,
    pub symptoms: Vec<SymptomRating>,
    pub note: String,
    pub recorded_by: String,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub patient_id: i64,
    pub version: i64,
    /// When it was written, UTC, RFC 3339.
    pub recorded_at: String,
    pub data: EntryData,
}

/// Whether a value was printed by the lab or calculated by Clinilog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Printed,
    Calculated,
}

impl EntryData {
    /// Judges every value as it is read ([`LabResult::mark_flags`]): no
    /// flag where the interval may be in another unit, `LL`/`HH` beyond the
    /// critical limits.
    pub fn mark_flags(&mut self, catalog: &Catalog, sex: Sex) {
        for lab in &mut self.labs {
            lab.mark_flags(catalog, sex);
        }
    }

    pub fn lab(&self, code: &str) -> Option<&LabResult> {
        self.labs.iter().find(|l| l.code == code)
    }

    pub fn symptom(&self, code: &str) -> Option<u8> {
        self.symptoms.iter().find(|s| s.code == code).map(|s| s.value)
    }

    /// Indirect bilirubin: as printed when the lab printed it, otherwise
    /// total minus direct when both were printed without a comparator.
    pub fn indirect_bilirubin(&self, catalog: &Catalog, sex: Sex) -> Option<(LabResult, Origin)> {
        if let Some(printed) = self.lab(INDIRECT) {
            return Some((printed.clone(), Origin::Printed));
        }
        let total = self.lab(TOTAL)?;
        let direct = self.lab(DIRECT)?;
        if total.comparator.is_some() || direct.comparator.is_some() || total.unit != direct.unit {
            return None;
        }
        let spec = catalog.measure(INDIRECT).and_then(Measure::lab)?;
        let value = Decimal::from_f64((total.value.value() - direct.value.value()).max(0.0), spec.decimals);
        let reference = spec.default_reference(sex);
        let flag = reference.flag(value.value(), None);
        let mut derived = LabResult {
            code: INDIRECT.to_owned(),
            comparator: None,
            value,
            unit: total.unit.clone(),
            reference,
            reference_source: ReferenceSource::Catalog,
            flag,
            unit_checked: true,
            interval_doubt: false,
            confirmed_unusual: false,
        };
        derived.mark_critical(spec);
        Some((derived, Origin::Calculated))
    }

    /// Every lab value to show for this entry: the printed ones, plus a
    /// calculated indirect bilirubin when the report lacks it.
    pub fn lab_values(&self, catalog: &Catalog, sex: Sex) -> Vec<(Cow<'_, LabResult>, Origin)> {
        let mut out: Vec<_> = self.labs.iter().map(|l| (Cow::Borrowed(l), Origin::Printed)).collect();
        if self.lab(INDIRECT).is_none()
            && let Some((derived, origin)) = self.indirect_bilirubin(catalog, sex)
        {
            out.push((Cow::Owned(derived), origin));
        }
        out.sort_by_key(|(l, _)| catalog.order_of(&l.code));
        out
    }
}

pub const TOTAL: &str = "bili_total";
pub const DIRECT: &str = "bili_direct";
pub const INDIRECT: &str = "bili_indirect";

/// One lab line of the entry form, as typed.
///
/// One unit per line: the value, the interval and so the flag are read in
/// one unit. The interval prefilled from the patient's last report (or the
/// catalog) follows the value's unit, converted with the catalog factor;
/// an interval typed on this report is never converted silently: when the
/// value's unit differs from it, the line asks which unit it was printed in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabDraft {
    pub code: String,
    pub value: String,
    /// The unit the value is typed in: the conventional or the SI unit.
    #[serde(default)]
    pub unit: String,
    /// Prefilled with the last report's or the catalog's interval; edited to
    /// what this report printed.
    pub ref_low: String,
    pub ref_high: String,
    /// The unit `ref_low` and `ref_high` are written in (empty: the line's unit).
    #[serde(default)]
    pub ref_unit: String,
    /// The interval was typed (or stored) as this report printed it.
    #[serde(default)]
    pub ref_typed: bool,
    /// The interval as prefilled and its unit: what a unit change converts
    /// from, so that switching back and forth never drifts.
    #[serde(default)]
    pub prefill: Option<PrefilledInterval>,
    /// The value (as typed) that the user confirmed is as printed although
    /// it is unusual for the measure; a changed value asks again.
    #[serde(default)]
    pub confirmed: String,
}

/// An interval prefilled into a line, in the unit it was printed in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrefilledInterval {
    pub low: String,
    pub high: String,
    pub unit: String,
}

/// How a line's interval reads in the unit of its value.
#[derive(Clone, Debug, PartialEq)]
pub enum IntervalReading {
    /// Already in the value's unit.
    Same,
    /// Prefilled in another unit: these limits are the same interval in the
    /// value's unit.
    Converted { low: String, high: String, from: String },
    /// Prefilled in a unit with no factor to the value's: to be typed.
    Cleared,
    /// Typed on this report in `typed_in`, and the value is in another unit:
    /// the user says which unit the report printed it in.
    Ask { typed_in: String },
}

/// One symptom line of the entry form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SymptomDraft {
    pub code: String,
    pub value: String,
}

/// The "New entry" form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryDraft {
    pub collected_on: String,
    pub labs: Vec<LabDraft>,
    pub symptoms: Vec<SymptomDraft>,
    pub note: String,
    pub recorded_by: String,
}

/// Field keys of the entry form.
pub mod field {
    pub const DATE: &str = "date";
    pub const RECORDED_BY: &str = "recorded_by";
    pub const ENTRY: &str = "entry";

    pub fn lab(code: &str) -> String {
        format!("lab:{code}")
    }
    pub fn ref_low(code: &str) -> String {
        format!("lab:{code}:ref_low")
    }
    pub fn ref_high(code: &str) -> String {
        format!("lab:{code}:ref_high")
    }
    /// An unusual value waiting for its confirmation.
    pub fn unusual(code: &str) -> String {
        format!("lab:{code}:unusual")
    }
    pub fn symptom(code: &str) -> String {
        format!("symptom:{code}")
    }
}

/// Splits `<0.1` / `> 200` / `12,3` into comparator and number.
pub fn parse_lab_value(raw: &str) -> Result<(Option<Comparator>, Decimal), String> {
    let t = raw.trim();
    let (comparator, rest) = if let Some(rest) = t.strip_prefix('<') {
        (Some(Comparator::Less), rest)
    } else if let Some(rest) = t.strip_prefix('>') {
        (Some(Comparator::Greater), rest)
    } else {
        (None, t)
    };
    let number = Decimal::parse(rest).map_err(|e| match e {
        // Text that is no number may be a comparator typed another way.
        NumberError::NotANumber(_) if comparator.is_none() => format!("{e}; a comparator may lead: <0.1 or >200"),
        e => e.to_string(),
    })?;
    Ok((comparator, number))
}

impl EntryDraft {
    /// A blank form for every catalog measure, reference intervals prefilled
    /// with the catalog defaults for this patient's sex.
    pub fn blank(catalog: &Catalog, sex: Sex, collected_on: Date, recorded_by: &str) -> Self {
        Self {
            collected_on: collected_on.to_string(),
            labs: catalog
                .labs()
                .map(|(m, spec)| {
                    let r = spec.default_reference(sex);
                    let (low, high) = (
                        r.low.map(|d| d.to_string()).unwrap_or_default(),
                        r.high.map(|d| d.to_string()).unwrap_or_default(),
                    );
                    LabDraft {
                        code: m.code.clone(),
                        value: String::new(),
                        unit: spec.unit.clone(),
                        ref_low: low.clone(),
                        ref_high: high.clone(),
                        ref_unit: spec.unit.clone(),
                        ref_typed: false,
                        prefill: Some(PrefilledInterval {
                            low,
                            high,
                            unit: spec.unit.clone(),
                        }),
                        confirmed: String::new(),
                    }
                })
                .collect(),
            symptoms: catalog
                .symptoms()
                .map(|(m, _)| SymptomDraft {
                    code: m.code.clone(),
                    value: String::new(),
                })
                .collect(),
            note: String::new(),
            recorded_by: recorded_by.to_owned(),
        }
    }

    /// Whether anything beyond the prefilled defaults was typed.
    pub fn has_values(&self) -> bool {
        self.labs.iter().any(|l| !l.value.trim().is_empty())
            || self.symptoms.iter().any(|s| !s.value.trim().is_empty())
            || !self.note.trim().is_empty()
    }

    /// Checks the form against the catalog and the patient. Empty lines are
    /// not recorded; every refused line gets its own error.
    pub fn validate(
        &self,
        catalog: &Catalog,
        sex: Sex,
        birth_date: Date,
        today: Date,
    ) -> Result<EntryData, Vec<FieldError>> {
        self.validate_lines(catalog, sex, birth_date, today).0
    }

    /// [`EntryDraft::validate`], and beside it what each lab line without
    /// an error of its own reads as (even while other lines are in error).
    pub fn validate_lines(
        &self,
        catalog: &Catalog,
        sex: Sex,
        birth_date: Date,
        today: Date,
    ) -> (Result<EntryData, Vec<FieldError>>, Vec<LabResult>) {
        let mut errors = Vec::new();
        let collected_on = parse_date(field::DATE, "Collection date", &self.collected_on, &mut errors);
        if let Some(d) = collected_on {
            if d > today {
                errors.push(FieldError::new(
                    field::DATE,
                    format!("Collection date {d} is in the future (today is {today})"),
                ));
            }
            if d < birth_date {
                errors.push(FieldError::new(
                    field::DATE,
                    format!("Collection date {d} is before the patient's birth date {birth_date}"),
                ));
            }
        }
        let mut labs = Vec::new();
        let mut reads = Vec::new();
        for line in &self.labs {
            let before = errors.len();
            if let Some(result) = line.check(catalog, sex, &mut errors) {
                if errors.len() == before {
                    reads.push(result.clone());
                }
                labs.push(result);
            }
        }
        check_bilirubin_parts(&labs, catalog, &mut errors);
        let mut symptoms = Vec::new();
        for line in &self.symptoms {
            if line.value.trim().is_empty() {
                continue;
            }
            let Some((measure, scale)) = catalog.measure(&line.code).and_then(|m| m.scale().map(|s| (m, s))) else {
                errors.push(FieldError::new(
                    field::symptom(&line.code),
                    format!("unknown symptom \"{}\"", line.code),
                ));
                continue;
            };
            match scale.parse(&line.value) {
                Ok(value) => symptoms.push(SymptomRating {
                    code: line.code.clone(),
                    value,
                }),
                Err(msg) => errors.push(FieldError::new(
                    field::symptom(&line.code),
                    format!("{}: {msg}", measure.name),
                )),
            }
        }
        let recorded_by = self.recorded_by.trim();
        if recorded_by.is_empty() {
            errors.push(FieldError::new(
                field::RECORDED_BY,
                "Recorded by is required: enter the clinician's name",
            ));
        }
        let note = self.note.trim().to_owned();
        if errors.is_empty() && labs.is_empty() && symptoms.is_empty() && note.is_empty() {
            errors.push(FieldError::new(
                field::ENTRY,
                "The entry is empty: enter at least one lab value, symptom rating or note",
            ));
        }
        let result = match collected_on {
            Some(collected_on) if errors.is_empty() => Ok(EntryData {
                collected_on,
                labs,
                symptoms,
                note,
                recorded_by: recorded_by.to_owned(),
            }),
            _ => Err(errors),
        };
        (result, reads)
    }
}

impl LabDraft {
    /// This line on its own: the result it reads as (`None` when empty or
    /// unreadable); its problems go to `errors`. An impossible value, or an
    /// unusual one not yet confirmed, is an error and still reads as a result.
    pub fn check(&self, catalog: &Catalog, sex: Sex, errors: &mut Vec<FieldError>) -> Option<LabResult> {
        let Some(measure) = catalog.measure(&self.code) else {
            errors.push(FieldError::new(
                field::lab(&self.code),
                format!("unknown measure \"{}\"", self.code),
            ));
            return None;
        };
        let MeasureKind::Lab(spec) = &measure.kind else {
            errors.push(FieldError::new(
                field::lab(&self.code),
                format!("{} is not a lab value", measure.name),
            ));
            return None;
        };
        if self.value.trim().is_empty() {
            return None;
        }
        validate_lab_line(self, measure, spec, sex, errors)
    }

    /// The unit the value is read in: one typed after the value wins, else
    /// the line's unit (the catalog unit when none is set).
    pub fn reading_unit<'a>(&'a self, spec: &'a LabSpec) -> &'a str {
        match split_unit_suffix(&self.value, spec).1 {
            Some(u) => u,
            None if self.unit.trim().is_empty() => spec.unit.as_str(),
            None => self.unit.trim(),
        }
    }

    /// The unit the interval is written in.
    pub fn interval_unit<'a>(&'a self, spec: &'a LabSpec) -> &'a str {
        match (self.ref_unit.trim(), self.unit.trim()) {
            ("", "") => spec.unit.as_str(),
            ("", line) => line,
            (interval, _) => interval,
        }
    }

    /// How the interval reads in the unit of the value.
    pub fn interval_reading(&self, spec: &LabSpec) -> IntervalReading {
        let reading = self.reading_unit(spec);
        let written_in = self.interval_unit(spec);
        if reading == written_in {
            return IntervalReading::Same;
        }
        if self.ref_typed {
            return IntervalReading::Ask {
                typed_in: written_in.to_owned(),
            };
        }
        // Convert from what was prefilled (or the limits as they stand).
        let (low, high, from) = match &self.prefill {
            Some(p) => (p.low.as_str(), p.high.as_str(), p.unit.as_str()),
            None => (self.ref_low.as_str(), self.ref_high.as_str(), written_in),
        };
        if from == reading {
            return IntervalReading::Converted {
                low: low.to_owned(),
                high: high.to_owned(),
                from: from.to_owned(),
            };
        }
        match convert_limits(spec, (low, high), from, reading) {
            Some((low, high)) => IntervalReading::Converted {
                low,
                high,
                from: from.to_owned(),
            },
            None => IntervalReading::Cleared,
        }
    }

    /// Brings a prefilled interval into the unit of the value, so the form
    /// shows what the flag is computed from. A typed interval is left as
    /// typed (the line asks instead).
    pub fn follow_unit(&mut self, spec: &LabSpec) {
        let reading = self.reading_unit(spec).to_owned();
        match self.interval_reading(spec) {
            IntervalReading::Same | IntervalReading::Ask { .. } => {}
            IntervalReading::Converted { low, high, .. } => {
                self.ref_low = low;
                self.ref_high = high;
                self.ref_unit = reading;
            }
            IntervalReading::Cleared => {
                self.ref_low.clear();
                self.ref_high.clear();
                self.ref_unit = reading;
            }
        }
    }

    /// Sets the interval as the report printed it, in the unit the value
    /// is read in (as when it is copied from a report).
    pub fn print_interval(&mut self, spec: &LabSpec, low: &str, high: &str) {
        self.ref_low = low.to_owned();
        self.ref_high = high.to_owned();
        self.ref_unit = self.reading_unit(spec).to_owned();
        self.ref_typed = true;
    }

    /// The user typed into the interval: it is now as this report printed
    /// it, in the unit it was shown in.
    pub fn interval_typed(&mut self, spec: &LabSpec) {
        if !self.ref_typed {
            self.ref_unit = self.interval_unit(spec).to_owned();
            self.ref_typed = true;
        }
    }

    /// The answer to [`IntervalReading::Ask`]: the report printed the
    /// interval in `unit`. In the value's unit the limits stay as typed;
    /// in the other unit they are converted into the value's unit.
    pub fn interval_printed_in(&mut self, spec: &LabSpec, unit: &str) {
        let reading = self.reading_unit(spec).to_owned();
        if unit != reading
            && let Some((low, high)) = convert_limits(spec, (&self.ref_low, &self.ref_high), unit, &reading)
        {
            self.ref_low = low;
            self.ref_high = high;
        }
        self.ref_unit = reading;
    }

    /// Switches the line to the measure's next unit (a click on the unit).
    /// A prefilled interval follows; a typed one makes the line ask.
    pub fn switch_unit(&mut self, spec: &LabSpec) {
        let units = spec.units();
        let at = units.iter().position(|u| *u == self.unit).unwrap_or(0);
        self.unit = units[(at + 1) % units.len()].to_owned();
        self.follow_unit(spec);
    }
}

/// Interval limits written in `from`, converted into `to` with the catalog
/// factors; an empty limit stays empty. `None` when a unit has no factor or
/// a limit is not a number.
fn convert_limits(spec: &LabSpec, (low, high): (&str, &str), from: &str, to: &str) -> Option<(String, String)> {
    let (f_from, f_to) = (spec.factor_to(from)?, spec.factor_to(to)?);
    let d = spec.decimals_in(to);
    let convert = |raw: &str| -> Option<String> {
        if raw.trim().is_empty() {
            return Some(String::new());
        }
        let x = Decimal::parse(raw).ok()?;
        Some(Decimal::from_f64(x.value() / f_from * f_to, d).to_string())
    };
    Some((convert(low)?, convert(high)?))
}

fn validate_lab_line(
    line: &LabDraft,
    measure: &Measure,
    spec: &LabSpec,
    sex: Sex,
    errors: &mut Vec<FieldError>,
) -> Option<LabResult> {
    let name = &measure.name;
    // A unit typed after the value ("210 umol/L") chooses the unit from the keyboard.
    let (raw_value, typed_unit) = split_unit_suffix(&line.value, spec);
    let unit = match typed_unit {
        Some(u) => u,
        None if line.unit.trim().is_empty() => spec.unit.as_str(),
        None => line.unit.trim(),
    };
    if spec.factor_to(unit).is_none() {
        errors.push(FieldError::new(
            field::lab(&line.code),
            format!("{name}: unit \"{unit}\" is not one of {}", spec.all_units().join(", ")),
        ));
        return None;
    }
    let shown_unit = super::catalog::display_unit(unit);
    let parsed = match parse_lab_value(raw_value) {
        Ok((comparator, value)) => {
            let number = raw_value.trim().trim_start_matches(['<', '>']);
            match read_comma(number, spec, unit) {
                Ok(Some((_, read))) => Some((comparator, read)),
                Ok(None) => Some((comparator, value)),
                Err((thousands, decimal)) => {
                    errors.push(FieldError::new(
                        field::lab(&line.code),
                        format!(
                            "{name}: \"{}\" could be {thousands} or {decimal} {shown_unit}: write it without the comma \
                             ({thousands}) or with a point ({decimal})",
                            raw_value.trim()
                        ),
                    ));
                    None
                }
            }
        }
        Err(msg) => {
            errors.push(FieldError::new(field::lab(&line.code), format!("{name}: {msg}")));
            None
        }
    };
    let mut confirmed_unusual = false;
    if let Some((_, value)) = &parsed {
        let d = usize::from(spec.decimals_in(unit));
        let shown = |x: f64| trim_number(&format!("{x:.d$}"));
        match spec.tier(value.value(), unit) {
            Tier::Usual => {}
            Tier::Impossible { low, high } => errors.push(FieldError::new(
                field::lab(&line.code),
                format!(
                    "{name}: {value} {shown_unit} is impossible (possible values are {} to {} {shown_unit}); \
                     check for a typo",
                    shown(low),
                    shown(high)
                ),
            )),
            Tier::Unusual { .. } if line.confirmed.trim() == line.value.trim() => confirmed_unusual = true,
            Tier::Unusual { below, limit } => errors.push(FieldError::new(
                field::unusual(&line.code),
                format!(
                    "unusual for {}: {value} {shown_unit} is {} the {} {shown_unit} commonly seen; \
                     confirm it is as printed",
                    in_sentence(name),
                    if below { "below" } else { "above" },
                    shown(limit)
                ),
            )),
        }
    }
    let mut limit = |raw: &str, key: String, which: &str| -> Option<Option<Decimal>> {
        if raw.trim().is_empty() {
            return Some(None);
        }
        match Decimal::parse(raw) {
            Ok(d) => Some(Some(d)),
            Err(e) => {
                errors.push(FieldError::new(key, format!("{name} reference {which}: {e}")));
                None
            }
        }
    };
    // One unit per line: the interval is read in the unit of the value.
    let (ref_low, ref_high) = match line.interval_reading(spec) {
        IntervalReading::Same => (line.ref_low.clone(), line.ref_high.clone()),
        IntervalReading::Converted { low, high, .. } => (low, high),
        IntervalReading::Cleared => (String::new(), String::new()),
        IntervalReading::Ask { typed_in } => {
            errors.push(FieldError::new(
                field::ref_low(&line.code),
                format!(
                    "{name}: the interval was typed in {} and the value is in {shown_unit}: \
                     say which unit the report printed the interval in",
                    super::catalog::display_unit(&typed_in)
                ),
            ));
            return None;
        }
    };
    let low = limit(&ref_low, field::ref_low(&line.code), "low");
    let high = limit(&ref_high, field::ref_high(&line.code), "high");
    let (Some(low), Some(high)) = (low, high) else {
        return None;
    };
    if let (Some(l), Some(h)) = (&low, &high)
        && l.value() > h.value()
    {
        errors.push(FieldError::new(
            field::ref_low(&line.code),
            format!("{name} reference low {l} is above reference high {h}: enter the interval as printed, low first"),
        ));
        return None;
    }
    let (comparator, value) = parsed?;
    let reference = ReferenceInterval { low, high };
    let reference_source = if reference == spec.default_reference_in(sex, unit) {
        ReferenceSource::Catalog
    } else {
        ReferenceSource::Report
    };
    let flag = reference.flag(value.value(), comparator);
    Some(LabResult {
        code: line.code.clone(),
        comparator,
        value,
        unit: unit.to_owned(),
        reference,
        reference_source,
        flag,
        unit_checked: true,
        interval_doubt: false,
        confirmed_unusual,
    })
}

/// How a comma before exactly three digits (`1,234`) was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommaReading {
    /// As a decimal comma: 1.234.
    Decimal,
    /// As a thousands separator: 1234.
    Thousands,
}

/// `1,234` or `12,345`: the digits without the comma, when a comma could
/// be a thousands separator.
fn thousands_candidate(number: &str) -> Option<String> {
    let (int, frac) = number.trim().split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    (digits(int) && int.len() <= 3 && frac.len() == 3 && digits(frac)).then(|| format!("{int}{frac}"))
}

/// Reads a number that may hold a thousands-like comma, against what is
/// possible for the measure in `unit`: the one possible reading, or an
/// error when both are possible. `Ok(None)`: no such comma.
fn read_comma(number: &str, spec: &LabSpec, unit: &str) -> Result<Option<(CommaReading, Decimal)>, (String, String)> {
    let Some(thousands) = thousands_candidate(number) else {
        return Ok(None);
    };
    let Ok(as_decimal) = Decimal::parse(number) else {
        return Ok(None);
    };
    let Ok(as_thousands) = Decimal::parse(&thousands) else {
        return Ok(None);
    };
    // The one possible reading wins. Two possible readings are asked
    // about, even when one is unusual: ALT "12,345" may well be 12345 U/L
    // (ischaemic hepatitis), and reading it as 12.345 would hide it.
    let possible = |d: &Decimal| !matches!(spec.tier(d.value(), unit), Tier::Impossible { .. });
    match (possible(&as_decimal), possible(&as_thousands)) {
        (true, true) => Err((as_thousands.to_string(), as_decimal.to_string())),
        (false, true) => Ok(Some((CommaReading::Thousands, as_thousands))),
        _ => Ok(Some((CommaReading::Decimal, as_decimal))),
    }
}

impl LabDraft {
    /// How a thousands-like comma in the value was read (for the preview).
    pub fn comma_reading(&self, spec: &LabSpec) -> Option<CommaReading> {
        let (raw, _) = split_unit_suffix(&self.value, spec);
        let number = raw.trim().trim_start_matches(['<', '>']);
        read_comma(number, spec, self.reading_unit(spec))
            .ok()
            .flatten()
            .map(|(r, _)| r)
    }
}

/// Splits a trailing unit of the measure off a typed value, any case:
/// `210 umol/L` -> (`210`, Some(`umol/L`)).
pub fn split_unit_suffix<'a>(raw: &'a str, spec: &'a LabSpec) -> (&'a str, Option<&'a str>) {
    let t = raw.trim_end();
    // What follows the number, however the lab spelled the unit
    // (`1,50,000 /cumm`, `3.5 lakhs/cumm`, `14 gm%`).
    let number_end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '<' | '>' | ' ')))
        .map_or(t.len(), |(i, _)| i);
    let (head, tail) = t.split_at(number_end);
    if !tail.trim().is_empty()
        && head.chars().any(|c| c.is_ascii_digit())
        && let Some(u) = spec.unit_named(tail)
    {
        return (head, Some(u));
    }
    let mut units = spec.all_units();
    units.sort_by_key(|u| std::cmp::Reverse(u.len()));
    for u in units {
        if t.len() > u.len() && t.is_char_boundary(t.len() - u.len()) && t[t.len() - u.len()..].eq_ignore_ascii_case(u)
        {
            return (&t[..t.len() - u.len()], Some(u));
        }
    }
    (raw, None)
}

/// A measure's name inside a sentence: `alkaline phosphatase`, but `ALT
/// (SGPT)` and `INR` as they are.
fn in_sentence(name: &str) -> Cow<'_, str> {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            Cow::Owned(first.to_lowercase().chain(name.chars().skip(1)).collect())
        }
        _ => Cow::Borrowed(name),
    }
}

/// `1.50` -> `1.5`, `60.00` -> `60`: a computed bound written plainly.
fn trim_number(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// Direct and indirect bilirubin are parts of the total: neither may exceed it.
pub(super) fn check_bilirubin_parts(labs: &[LabResult], catalog: &Catalog, errors: &mut Vec<FieldError>) {
    let find = |code: &str| labs.iter().find(|l| l.code == code && l.comparator.is_none());
    // Compared in the conventional unit, so mg/dL and umol/L may be mixed.
    let conventional = |l: &LabResult| {
        let spec = catalog.measure(&l.code).and_then(Measure::lab)?;
        Some(l.value.value() / spec.factor_to(&l.unit)?)
    };
    let Some(total) = find(TOTAL) else { return };
    let Some(total_value) = conventional(total) else {
        return;
    };
    for part in [DIRECT, INDIRECT] {
        if let Some(p) = find(part)
            && let Some(part_value) = conventional(p)
            && part_value > total_value + 1e-9
        {
            let name = catalog.measure(part).map_or(part, |m| m.name.as_str());
            errors.push(FieldError::new(
                field::lab(part),
                format!(
                    "{name} {} {} is above the total bilirubin {} {}: it is part of the total; check both values",
                    p.value, p.unit, total.value, total.unit
                ),
            ));
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

    fn draft_with(values: &[(&str, &str)]) -> EntryDraft {
        let mut d = EntryDraft::blank(&catalog(), Sex::Male, date(2025, 7, 19), "Dr Rao");
        for (code, value) in values {
            if let Some(l) = d.labs.iter_mut().find(|l| l.code == *code) {
                l.value = (*value).to_owned();
            } else if let Some(s) = d.symptoms.iter_mut().find(|s| s.code == *code) {
                s.value = (*value).to_owned();
            } else {
                panic!("no line {code}");
            }
        }
        d
    }

    fn validate(d: &EntryDraft) -> Result<EntryData, Vec<FieldError>> {
        d.validate(&catalog(), Sex::Male, date(1974, 1, 1), date(2025, 8, 30))
    }

    fn interval(low: Option<&str>, high: Option<&str>) -> ReferenceInterval {
        ReferenceInterval {
            low: low.map(|s| Decimal::parse(s).unwrap()),
            high: high.map(|s| Decimal::parse(s).unwrap()),
        }
    }

    #[test]
    fn a_value_on_a_limit_is_in_range() {
        let r = interval(Some("0.1"), Some("1.0"));
        assert_eq!(r.flag(1.0, None), Flag::Normal);
        assert_eq!(r.flag(0.1, None), Flag::Normal);
        assert_eq!(r.flag(1.01, None), Flag::High);
        assert_eq!(r.flag(0.09, None), Flag::Low);
    }

    #[test]
    fn comparator_values_are_flagged_only_when_certain() {
        let r = interval(Some("0.2"), Some("40"));
        assert_eq!(r.flag(0.1, Some(Comparator::Less)), Flag::Low);
        assert_eq!(r.flag(0.2, Some(Comparator::Less)), Flag::Low);
        assert_eq!(r.flag(0.5, Some(Comparator::Less)), Flag::Normal);
        assert_eq!(r.flag(200.0, Some(Comparator::Greater)), Flag::High);
        assert_eq!(r.flag(40.0, Some(Comparator::Greater)), Flag::High);
        assert_eq!(r.flag(10.0, Some(Comparator::Greater)), Flag::Normal);
    }

    #[test]
    fn an_upper_limit_alone_flags_only_high() {
        let r = interval(None, Some("0.80"));
        assert_eq!(r.describe(), "up to 0.80");
        assert_eq!(r.flag(0.0, None), Flag::Normal);
        assert_eq!(r.flag(9.8, None), Flag::High);
    }

    #[test]
    fn printed_interval_is_kept_and_flags_the_value() {
        let mut d = draft_with(&[("bili_total", "12.30")]);
        let line = d.labs.iter_mut().find(|l| l.code == TOTAL).unwrap();
        line.ref_low = "0.0".into();
        line.ref_high = "1.0".into();
        let data = validate(&d).unwrap();
        let bili = data.lab(TOTAL).unwrap();
        assert_eq!(bili.value.as_str(), "12.30");
        assert_eq!(bili.reference.describe(), "0.0 - 1.0");
        assert_eq!(bili.reference_source, ReferenceSource::Report);
        assert_eq!(bili.flag, Flag::High);
        assert_eq!(bili.display(), "12.30 H");
        assert_eq!(bili.unit, "mg/dL");
    }

    #[test]
    fn untouched_interval_falls_back_to_the_catalog_default() {
        let data = validate(&draft_with(&[("creatinine", "1.00")])).unwrap();
        let c = data.lab("creatinine").unwrap();
        assert_eq!(c.reference.describe(), "0.6 - 1.2");
        assert_eq!(c.reference_source, ReferenceSource::Catalog);
        assert_eq!(c.flag, Flag::Normal);
    }

    #[test]
    fn comparators_and_decimal_commas_are_kept() {
        let data = validate(&draft_with(&[("afp", "<0,5"), ("alt", "> 200")])).unwrap();
        assert_eq!(data.lab("afp").unwrap().value_text(), "<0.5");
        assert_eq!(data.lab("alt").unwrap().value_text(), ">200");
        assert_eq!(data.lab("alt").unwrap().flag, Flag::High);
    }

    #[test]
    fn bad_lab_values_are_named_and_explained() {
        let errors = validate(&draft_with(&[
            ("bili_total", "12..3"),
            ("alt", "abc"),
            ("ast", "-5"),
            ("inr", "999"),
        ]))
        .unwrap_err();
        let msg = |f: &str| {
            super::super::validate::message_for(&errors, f)
                .unwrap_or_default()
                .to_owned()
        };
        assert!(msg("lab:bili_total").starts_with("Total bilirubin:"), "{errors:?}");
        assert!(msg("lab:alt").contains("not a number"));
        assert!(msg("lab:ast").contains("negative"));
        assert!(
            msg("lab:inr").contains("999 ratio is impossible (possible values are 0.1 to 100 ratio)"),
            "{errors:?}"
        );
    }

    #[test]
    fn direct_bilirubin_may_not_exceed_total() {
        let errors = validate(&draft_with(&[("bili_total", "4.0"), ("bili_direct", "4.5")])).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "lab:bili_direct");
        assert!(errors[0].message.contains("above the total bilirubin 4.0"));
        assert!(validate(&draft_with(&[("bili_total", "4.0"), ("bili_direct", "4.0")])).is_ok());
    }

    #[test]
    fn reference_limits_must_be_numbers_in_order() {
        let mut d = draft_with(&[("alt", "60")]);
        let line = d.labs.iter_mut().find(|l| l.code == "alt").unwrap();
        line.ref_low = "40".into();
        line.ref_high = "7".into();
        let errors = validate(&d).unwrap_err();
        assert_eq!(errors[0].field, "lab:alt:ref_low");
        let line = d.labs.iter_mut().find(|l| l.code == "alt").unwrap();
        line.ref_low = String::new();
        line.ref_high = "forty".into();
        let errors = validate(&d).unwrap_err();
        assert_eq!(errors[0].field, "lab:alt:ref_high");
        assert!(errors[0].message.starts_with("ALT (SGPT) reference high"));
    }

    #[test]
    fn dates_outside_the_patient_life_are_refused() {
        let mut d = draft_with(&[("fatigue", "5")]);
        d.collected_on = "2025-09-01".into();
        assert!(validate(&d).unwrap_err()[0].message.contains("future"));
        d.collected_on = "1970-01-01".into();
        assert!(
            validate(&d).unwrap_err()[0]
                .message
                .contains("before the patient's birth")
        );
        d.collected_on = "next week".into();
        assert!(validate(&d).unwrap_err()[0].message.contains("YYYY-MM-DD"));
    }

    #[test]
    fn symptoms_are_checked_on_their_scale() {
        let data = validate(&draft_with(&[
            ("fatigue", "7"),
            ("jaundice", "present"),
            ("ascites", "2"),
        ]))
        .unwrap();
        assert_eq!(data.symptom("fatigue"), Some(7));
        assert_eq!(data.symptom("jaundice"), Some(1));
        let errors = validate(&draft_with(&[("fatigue", "12")])).unwrap_err();
        assert_eq!(errors[0].field, "symptom:fatigue");
        assert!(errors[0].message.contains("0 to 10"));
    }

    #[test]
    fn empty_entry_and_missing_author_are_refused() {
        let d = draft_with(&[]);
        assert_eq!(validate(&d).unwrap_err()[0].field, field::ENTRY);
        let mut d = draft_with(&[("fatigue", "3")]);
        d.recorded_by = "  ".into();
        assert_eq!(validate(&d).unwrap_err()[0].field, field::RECORDED_BY);
    }

    #[test]
    fn indirect_bilirubin_is_derived_only_when_not_printed() {
        let data = validate(&draft_with(&[("bili_total", "6.50"), ("bili_direct", "4.87")])).unwrap();
        let (indirect, origin) = data.indirect_bilirubin(&catalog(), Sex::Male).unwrap();
        assert_eq!(origin, Origin::Calculated);
        assert_eq!(indirect.value.as_str(), "1.63");
        assert_eq!(indirect.flag, Flag::High);
        assert!(data.lab(INDIRECT).is_none(), "derived value must not be stored");
        let values = data.lab_values(&catalog(), Sex::Male);
        let codes: Vec<_> = values.iter().map(|(l, _)| l.code.as_str()).collect();
        assert_eq!(codes, [TOTAL, DIRECT, INDIRECT]);

        let printed = validate(&draft_with(&[
            ("bili_total", "12.30"),
            ("bili_direct", "9.80"),
            ("bili_indirect", "2.50"),
        ]))
        .unwrap();
        let (indirect, origin) = printed.indirect_bilirubin(&catalog(), Sex::Male).unwrap();
        assert_eq!((indirect.value.as_str(), origin), ("2.50", Origin::Printed));

        let censored = validate(&draft_with(&[("bili_total", "0.4"), ("bili_direct", "<0.1")])).unwrap();
        assert!(censored.indirect_bilirubin(&catalog(), Sex::Male).is_none());
    }

    /// Every critical limit of every lab, in each of its units: on the
    /// limit is not critical, just beyond it is (LL below, HH above),
    /// whatever the interval's flag; a comparator value only when certainly
    /// beyond.
    #[test]
    fn every_critical_boundary_of_every_lab() {
        let cat = catalog();
        let mut checked = 0;
        for (m, spec) in cat.labs() {
            let Some(critical) = spec.critical else { continue };
            for unit in spec.units() {
                let limits = spec.limits_in(critical, unit);
                let result = |value: f64, comparator: Option<Comparator>| {
                    let mut r = LabResult {
                        code: m.code.clone(),
                        comparator,
                        value: Decimal::from_f64(value, 4),
                        unit: unit.to_owned(),
                        reference: ReferenceInterval::default(),
                        reference_source: ReferenceSource::Catalog,
                        flag: Flag::Normal,
                        unit_checked: true,
                        interval_doubt: false,
                        confirmed_unusual: false,
                    };
                    r.mark_flags(&cat, Sex::Male);
                    r.flag
                };
                let code = &m.code;
                if let Some(low) = limits.low {
                    assert_eq!(result(low, None), Flag::Normal, "{code} {unit} on critical low {low}");
                    assert_eq!(
                        result(low - 0.001, None),
                        Flag::CriticalLow,
                        "{code} {unit} below {low}"
                    );
                    assert_eq!(result(low, Some(Comparator::Less)), Flag::CriticalLow, "{code} <{low}");
                    assert_eq!(result(low, Some(Comparator::Greater)), Flag::Normal, "{code} >{low}");
                }
                if let Some(high) = limits.high {
                    assert_eq!(
                        result(high, None),
                        Flag::Normal,
                        "{code} {unit} on critical high {high}"
                    );
                    assert_eq!(
                        result(high + 0.001, None),
                        Flag::CriticalHigh,
                        "{code} {unit} above {high}"
                    );
                    assert_eq!(
                        result(high, Some(Comparator::Greater)),
                        Flag::CriticalHigh,
                        "{code} >{high}"
                    );
                    assert_eq!(result(high, Some(Comparator::Less)), Flag::Normal, "{code} <{high}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 6, "{checked} measure-units with critical limits");
        // The letters, and what is stored: the interval's flag alone.
        assert_eq!(Flag::CriticalLow.letter(), "LL");
        assert_eq!(Flag::from_letter("HH"), Flag::CriticalHigh);
        assert_eq!(Flag::CriticalHigh.interval(), Flag::High);
    }

    /// A sodium of 115 typed in the form: L against its interval, LL once
    /// judged as it is read; what is stored keeps L.
    #[test]
    fn a_critical_sodium_reads_ll_and_is_stored_with_its_interval_flag() {
        let data = validate(&draft_with(&[("sodium", "115")])).unwrap();
        let mut na = data.lab("sodium").unwrap().clone();
        assert_eq!(na.flag, Flag::Low, "the interval's flag as validated");
        na.mark_flags(&catalog(), Sex::Male);
        assert_eq!(na.display(), "115 LL");
        let mut edge = validate(&draft_with(&[("sodium", "120")])).unwrap().labs[0].clone();
        edge.mark_flags(&catalog(), Sex::Male);
        assert_eq!(edge.display(), "120 L", "on the call-back limit is not critical");
    }

    /// Indian report conventions typed in the form: counts per cubic
    /// millimetre and in lakhs, `gm%` and `gm/dl`, lakh digit grouping.
    /// Each value is stored as printed, in an explicit unit, its interval
    /// following the unit.
    #[test]
    fn indian_units_and_lakh_grouping_are_read_in_the_form_and_stored_as_printed() {
        let data = validate(&draft_with(&[
            ("platelets", "1,50,000 /cumm"),
            ("wbc", "9000 cells/cumm"),
            ("hemoglobin", "12.5 gm%"),
            ("albumin", "3.1 gm/dl"),
        ]))
        .unwrap();
        let shown = |code: &str| {
            let l = data.lab(code).unwrap();
            (
                l.value.as_str().to_owned(),
                l.unit.clone(),
                l.reference.low.as_ref().map(|d| d.value()),
                l.reference.high.as_ref().map(|d| d.value()),
            )
        };
        assert_eq!(
            shown("platelets"),
            ("150000".into(), "/uL".into(), Some(150_000.0), Some(450_000.0))
        );
        assert_eq!(
            shown("wbc"),
            ("9000".into(), "/uL".into(), Some(4000.0), Some(11_000.0))
        );
        assert_eq!(shown("hemoglobin").1, "g/dL");
        assert_eq!(shown("albumin").1, "g/dL");

        let lakhs = validate(&draft_with(&[("platelets", "2.5 lakhs/cumm")])).unwrap();
        let p = lakhs.lab("platelets").unwrap();
        assert_eq!((p.value.as_str(), p.unit.as_str()), ("2.5", "10*5/uL"));
        assert_eq!(p.reference.low.as_ref().unwrap().as_str(), "1.50");
        assert_eq!(p.flag, Flag::Normal);
        let spec = catalog().measure("platelets").unwrap().lab().unwrap().clone();
        assert_eq!(spec.conventional_value(&p.value, &p.unit), Some(250.0));

        // One comma before three digits could be a decimal comma: asked,
        // both readings named. A comma in no grouping shape is refused.
        let errs = validate(&draft_with(&[("platelets", "1,500 /cumm")])).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.message.contains("1500") && e.message.contains("1.500")),
            "{errs:?}"
        );
        let errs = validate(&draft_with(&[("platelets", "1,5,0000 /cumm")])).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("group its digits")), "{errs:?}");
    }

    /// Every raw input a clinician might type, and what becomes of it.
    /// `Ok(text)` is the stored value with its comparator; `Err(part)` is a
    /// piece of the message shown beside the field.
    #[test]
    fn raw_input_table() {
        use Expect::*;
        enum Expect {
            Stored(&'static str),
            Refused(&'static str),
            /// Held for a confirmation (the message), then stored as typed.
            Unusual(&'static str),
        }
        let cases: &[(&str, &str, &str, Expect)] = &[
            // Accepted as printed
            ("bili_total", "12.3", "", Stored("12.3")),
            ("bili_total", "12,3", "", Stored("12.3")),
            ("bili_total", " 12.30 ", "", Stored("12.30")),
            ("bili_total", "12,30", "", Stored("12.30")),
            ("bili_total", "\t4.60", "", Stored("4.60")),
            ("bili_total", ",5", "", Stored("0.5")),
            ("bili_total", "50.0", "", Stored("50.0")),
            ("bili_total", "<0.1", "", Stored("<0.1")),
            ("bili_total", "< 0.1", "", Stored("<0.1")),
            ("bili_total", "<0,1", "", Stored("<0.1")),
            ("bili_total", "210", "umol/L", Stored("210")),
            ("bili_direct", "0", "", Stored("0")),
            ("alt", ">200", "", Stored(">200")),
            ("alt", "> 200", "", Stored(">200")),
            ("alt", "007", "", Stored("7")),
            (
                "alt",
                "+5",
                "",
                Refused("\"+5\" starts with +: type the number alone, such as 5"),
            ),
            ("alt", "60", "", Stored("60")),
            ("creatinine", "1.00", "", Stored("1.00")),
            ("creatinine", "0,95", "", Stored("0.95")),
            ("creatinine", "88", "umol/L", Stored("88")),
            ("sodium", "140", "", Stored("140")),
            ("albumin", "3.5", "", Stored("3.5")),
            ("albumin", "29", "g/L", Stored("29")),
            ("inr", "1.2", "", Stored("1.2")),
            ("inr", "10", "", Stored("10")),
            ("inr", "0.7", "", Stored("0.7")),
            ("platelets", "150", "", Stored("150")),
            ("afp", "<0.5", "", Stored("<0.5")),
            // Not a number
            ("bili_total", "abc", "", Refused("is not a number")),
            ("bili_total", "12 3", "", Refused("is not a number")),
            ("bili_total", ".", "", Refused("is not a number")),
            ("bili_total", ",", "", Refused("is not a number")),
            ("bili_total", "<=0.1", "", Refused("is not a number")),
            ("bili_total", ">>5", "", Refused("is not a number")),
            ("bili_total", "12mg", "", Refused("is not a number")),
            ("bili_total", "12 mg/dL", "", Stored("12")),
            ("bili_total", "12 MG/DL", "", Stored("12")),
            ("bili_total", "12 g/dL", "", Refused("is not a number")),
            ("bili_total", "12.3 H", "", Refused("is not a number")),
            ("alt", "0x1A", "", Refused("is not a number")),
            ("alt", "1/2", "", Refused("is not a number")),
            ("alt", "+-3", "", Refused("is not a number")),
            ("alt", "\u{663}", "", Refused("uses the character '\u{663}' (U+0663)")),
            (
                "alt",
                "\u{ff11}\u{ff12}",
                "",
                Refused("uses the character '\u{ff11}' (U+FF11)"),
            ),
            // A comma before exactly three digits: a decimal comma or a thousands separator
            ("alt", "1,234", "", Refused("could be 1234 or 1.234")),
            // Both possible, even if one is unusual: asked
            ("platelets", "1,234", "", Refused("could be 1234 or 1.234")),
            ("afp", "123,456", "", Refused("could be 123456 or 123.456")),
            // 1234 g/dL albumin cannot be: the decimal reading
            ("albumin", "1,234", "", Stored("1.234")),
            // 12.345 mmol/L sodium cannot be: the thousands reading is not
            // possible either (12345): read as decimal, then refused
            ("sodium", "12,345", "", Refused("is impossible")),
            ("bili_total", "1,234", "", Stored("1.234")),
            ("creatinine", "1,234", "umol/L", Refused("could be 1234 or 1.234")),
            ("creatinine", "1,234", "", Stored("1.234")),
            ("alt", "12,345", "", Refused("could be 12345 or 12.345")),
            ("alt", "1,23", "", Stored("1.23")),
            ("bili_total", "<", "", Refused("enter a number")),
            // Two separators
            ("bili_total", "12.3.4", "", Refused("more than one decimal separator")),
            ("bili_total", "12..3", "", Refused("more than one decimal separator")),
            ("bili_total", "12,3,4", "", Refused("group its digits in no known way")),
            ("alt", "1.234,5", "", Refused("more than one decimal separator")),
            // Not finite
            ("bili_total", "NaN", "", Refused("not a finite number")),
            ("bili_total", "nan", "", Refused("not a finite number")),
            ("bili_total", "inf", "", Refused("not a finite number")),
            ("bili_total", "-inf", "", Refused("not a finite number")),
            ("bili_total", "Infinity", "", Refused("not a finite number")),
            // Exponents
            ("alt", "1e3", "", Refused("uses an exponent")),
            ("bili_total", "1E-2", "", Refused("uses an exponent")),
            ("bili_total", "2.5e+1", "", Refused("uses an exponent")),
            // Negative
            ("bili_total", "-5", "", Refused("is negative")),
            ("bili_total", "- 5", "", Refused("is negative")),
            ("creatinine", "-0.1", "", Refused("is negative")),
            // Impossible: refused
            (
                "bili_total",
                "201",
                "",
                Refused("201 mg/dL is impossible (possible values are 0 to 200 mg/dL)"),
            ),
            (
                "bili_total",
                "3500",
                "umol/L",
                Refused("possible values are 0 to 3420 umol/L"),
            ),
            (
                "inr",
                "0",
                "",
                Refused("0 ratio is impossible (possible values are 0.1 to 100 ratio)"),
            ),
            ("inr", "150", "", Refused("is impossible")),
            ("alt", "150000", "", Refused("possible values are 0 to 100000 U/L")),
            ("sodium", "40", "", Refused("possible values are 50 to 300 mmol/L")),
            ("albumin", "16", "", Refused("possible values are 0 to 15 g/dL")),
            // Unusual but real: stored as printed once confirmed
            (
                "alp",
                "13862",
                "",
                Unusual(
                    "unusual for alkaline phosphatase: 13862 U/L is above the 3000 U/L commonly seen; \
                     confirm it is as printed",
                ),
            ),
            (
                "ast",
                "9000",
                "",
                Unusual("unusual for AST (SGOT): 9000 U/L is above the 5000 U/L"),
            ),
            (
                "bili_total",
                "61",
                "",
                Unusual("unusual for total bilirubin: 61 mg/dL is above the 50 mg/dL"),
            ),
            ("bili_total", "1100", "umol/L", Unusual("above the 855 umol/L")),
            (
                "inr",
                "0.4",
                "",
                Unusual("unusual for INR: 0.4 ratio is below the 0.7 ratio"),
            ),
            ("inr", "15", "", Unusual("above the 10 ratio")),
            ("sodium", "95", "", Unusual("below the 100 mmol/L")),
            ("creatinine", "0.05", "", Unusual("below the 0.1 mg/dL")),
            ("albumin", "0.5", "", Unusual("below the 1 g/dL")),
            ("alt", "<0.5", "", Stored("<0.5")),
            // A unit the measure does not have
            (
                "albumin",
                "3.5",
                "mmol/L",
                Refused("unit \"mmol/L\" is not one of g/dL, g/L"),
            ),
        ];
        assert!(cases.len() >= 60, "{} cases", cases.len());
        for (code, raw, unit, expect) in cases {
            let mut d = draft_with(&[(code, raw)]);
            if !unit.is_empty() {
                let line = d.labs.iter_mut().find(|l| l.code == *code).unwrap();
                line.unit = (*unit).to_owned();
                line.ref_low.clear();
                line.ref_high.clear();
            }
            let got = validate(&d);
            match (expect, got) {
                (Stored(text), Ok(data)) => {
                    let lab = data.lab(code).unwrap();
                    assert_eq!(lab.value_text(), *text, "{code} {raw:?}");
                    assert_eq!(
                        lab.unit,
                        if unit.is_empty() {
                            catalog().measure(code).unwrap().lab().unwrap().unit.clone()
                        } else {
                            (*unit).to_owned()
                        }
                    );
                }
                (Refused(part), Err(errors)) => {
                    let msg = super::super::validate::message_for(&errors, &field::lab(code))
                        .unwrap_or_else(|| panic!("{code} {raw:?}: no message on the field: {errors:?}"));
                    assert!(msg.contains(part), "{code} {raw:?}: {msg:?} lacks {part:?}");
                    let name = catalog().measure(code).unwrap().name.clone();
                    assert!(
                        msg.starts_with(name.as_str()),
                        "{code} {raw:?}: message does not name the field: {msg}"
                    );
                }
                (Unusual(part), Err(errors)) => {
                    let msg = super::super::validate::message_for(&errors, &field::unusual(code))
                        .unwrap_or_else(|| panic!("{code} {raw:?}: not held as unusual: {errors:?}"));
                    assert!(msg.contains(part), "{code} {raw:?}: {msg:?} lacks {part:?}");
                    assert_eq!(errors.len(), 1, "{code} {raw:?}: {errors:?}");
                    // Confirmed, it is stored exactly as typed, marked so.
                    let line = d.labs.iter_mut().find(|l| l.code == *code).unwrap();
                    line.confirmed = line.value.clone();
                    let data = validate(&d).unwrap_or_else(|e| panic!("{code} {raw:?} confirmed yet refused: {e:?}"));
                    let lab = data.lab(code).unwrap();
                    assert_eq!(lab.value.as_str(), raw.trim());
                    assert!(lab.confirmed_unusual);
                    // A changed value asks again.
                    let line = d.labs.iter_mut().find(|l| l.code == *code).unwrap();
                    line.value.push('0');
                    assert!(
                        validate(&d).is_err(),
                        "{code} {raw:?}: a changed value kept its confirmation"
                    );
                }
                (Stored(text), Err(e)) => panic!("{code} {raw:?} refused, expected {text}: {e:?}"),
                (Refused(part) | Unusual(part), Ok(_)) => {
                    panic!("{code} {raw:?} accepted, expected refusal with {part:?}")
                }
            }
        }
    }

    #[test]
    fn symptom_inputs_on_and_off_their_scales() {
        let ok = [
            ("fatigue", "0", 0),
            ("fatigue", "10", 10),
            ("jaundice", "yes", 1),
            ("jaundice", "absent", 0),
            ("ascites", "3", 3),
            ("encephalopathy", "4", 4),
            ("edema", "2+", 2),
        ];
        for (code, raw, v) in ok {
            assert_eq!(
                validate(&draft_with(&[(code, raw)])).unwrap().symptom(code),
                Some(v),
                "{code} {raw}"
            );
        }
        let refused = [
            ("fatigue", "11"),
            ("fatigue", "-1"),
            ("fatigue", "7.5"),
            ("jaundice", "maybe"),
            ("ascites", "4"),
            ("encephalopathy", "5"),
            ("edema", "5+"),
        ];
        for (code, raw) in refused {
            let errors = validate(&draft_with(&[(code, raw)])).unwrap_err();
            assert_eq!(errors[0].field, field::symptom(code), "{code} {raw}");
            assert!(
                errors[0].message.contains("is not on the scale"),
                "{code} {raw}: {}",
                errors[0].message
            );
        }
    }

    #[test]
    fn results_are_shown_in_either_unit_without_changing_what_is_stored() {
        let mut d = draft_with(&[("bili_total", "12.30")]);
        let line = d.labs.iter_mut().find(|l| l.code == TOTAL).unwrap();
        line.ref_low = "0.0".into();
        line.ref_high = "1.0".into();
        let data = validate(&d).unwrap();
        let bili = data.lab(TOTAL).unwrap();
        let spec = catalog().measure(TOTAL).unwrap().lab().unwrap().clone();
        let si = bili.in_unit(&spec, "umol/L");
        assert_eq!(
            (si.value.as_str(), si.unit.as_str(), si.flag),
            ("210.3", "umol/L", Flag::High)
        );
        assert_eq!(si.reference.describe(), "0.0 - 17.1");
        let back = si.in_unit(&spec, "mg/dL");
        assert_eq!(back.value.as_str(), "12.30");
        assert_eq!(bili.in_unit(&spec, "mg/dL"), *bili);
        let creat = validate(&draft_with(&[("creatinine", "1.00")])).unwrap();
        let cspec = catalog().measure("creatinine").unwrap().lab().unwrap().clone();
        assert_eq!(
            creat.lab("creatinine").unwrap().in_unit(&cspec, "umol/L").display(),
            "88"
        );
    }

    #[test]
    fn a_typed_unit_suffix_chooses_the_unit() {
        let data = validate(&draft_with(&[("bili_total", "210 umol/L"), ("creatinine", "88umol/l")])).unwrap();
        let bili = data.lab(TOTAL).unwrap();
        assert_eq!((bili.value.as_str(), bili.unit.as_str()), ("210", "umol/L"));
        assert_eq!(data.lab("creatinine").unwrap().unit, "umol/L");
        // The untouched default interval follows the unit: 1.7 - 20.5 umol/L.
        assert_eq!(bili.reference.describe(), "1.7 - 20.5");
        assert_eq!(bili.reference_source, ReferenceSource::Catalog);
        assert_eq!(
            data.lab("creatinine").unwrap().flag,
            Flag::Normal,
            "88 umol/L is within 53 - 106 umol/L"
        );
    }

    #[test]
    fn mixed_units_still_keep_direct_below_total() {
        let mut d = draft_with(&[("bili_total", "100"), ("bili_direct", "6.0")]);
        d.labs.iter_mut().find(|l| l.code == TOTAL).unwrap().unit = "umol/L".into();
        // 100 umol/L = 5.85 mg/dL < 6.0 mg/dL direct.
        let errors = validate(&d).unwrap_err();
        assert_eq!(errors[0].field, "lab:bili_direct");
    }

    #[test]
    fn an_interval_in_the_other_unit_is_told_only_where_the_numbers_differ() {
        let cat = catalog();
        let spec = |code: &str| cat.measure(code).unwrap().lab().unwrap().clone();
        let result = |code: &str, value: &str, unit: &str, low: Option<&str>, high: Option<&str>| LabResult {
            code: code.into(),
            comparator: None,
            value: Decimal::parse(value).unwrap(),
            unit: unit.into(),
            reference: interval(low, high),
            reference_source: ReferenceSource::Report,
            flag: Flag::High,
            unit_checked: false,
            interval_doubt: false,
            confirmed_unusual: false,
        };
        let bili = spec(TOTAL);
        assert!(
            result(TOTAL, "12.3", "umol/L", Some("0.0"), Some("1.0")).interval_looks_like_other_unit(&bili, Sex::Male)
        );
        assert!(
            !result(TOTAL, "210", "umol/L", Some("0"), Some("21")).interval_looks_like_other_unit(&bili, Sex::Male)
        );
        assert!(
            !result(TOTAL, "12.3", "mg/dL", Some("0.0"), Some("1.0")).interval_looks_like_other_unit(&bili, Sex::Male)
        );
        let albumin = spec("albumin");
        assert!(
            result("albumin", "3.0", "g/dL", Some("35"), Some("50"))
                .interval_looks_like_other_unit(&albumin, Sex::Male)
        );
        let sodium = spec("sodium");
        assert!(
            !result("sodium", "140", "mmol/L", Some("135"), Some("145"))
                .interval_looks_like_other_unit(&sodium, Sex::Male)
        );

        // Marking: only lines not checked when written, and then without a flag.
        let mut data = validate(&draft_with(&[(TOTAL, "2.0")])).unwrap();
        data.labs
            .push(result(TOTAL, "12.3", "umol/L", Some("0.0"), Some("1.0")));
        data.labs[0].unit_checked = true;
        data.mark_flags(&cat, Sex::Male);
        assert!(!data.labs[0].interval_doubt);
        assert!(data.labs[1].interval_doubt);
        assert_eq!(data.labs[1].flag, Flag::Normal);
        assert_eq!(data.labs[1].display(), "12.3 ?");
        assert!(data.labs[1].doubt_note().unwrap().contains("another unit than umol/L"));
    }
}
