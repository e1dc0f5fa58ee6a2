//! The measure catalog: which labs and symptoms exist, in what units, with
//! which default reference intervals and typo-catching bounds.
//!
//! A catalog is TOML (`assets/catalog/*.toml`); the liver panel is compiled
//! into the binary, so the app needs no file at run time. Adding a measure
//! to a catalog needs no code and no schema change. Parsing checks the file
//! as a whole (unique codes, ordered limits, known groups) and names the file
//! and the problem when something is off.

use std::collections::HashSet;

use serde::Deserialize;

use super::interval::ReferenceInterval;
use super::number::Decimal;
use super::patient::Sex;

/// The liver panel shipped with the app.
pub const LIVER_CATALOG_TOML: &str = include_str!("../../../assets/catalog/liver.toml");
pub const LIVER_CATALOG_FILE: &str = "assets/catalog/liver.toml";

/// The unit stored and exported with a symptom rating (a UCUM annotation).
pub const SYMPTOM_UNIT: &str = "{score}";

#[derive(Debug, thiserror::Error)]
#[error("measure catalog is invalid: {problem} (in {file})")]
pub struct CatalogError {
    pub file: String,
    pub problem: String,
}

/// A UCUM unit written for a reader: `10*3/uL` as `10^3/uL`, the INR's
/// annotation `{INR}` as `ratio`. Stored and exported units stay UCUM.
pub fn display_unit(ucum: &str) -> String {
    match ucum {
        "{INR}" => "ratio".to_owned(),
        "{score}" => "score".to_owned(),
        u => u.replace("10*", "10^"),
    }
}

/// A unit some labs print a measure in, an exact power of ten from the
/// conventional unit: counts per cubic millimetre (`/uL`) or in lakhs
/// (`10*5/uL`) for a measure kept in `10*3/uL`. A value is stored in it as
/// printed; it is converted by moving the decimal point, never by a
/// rounded factor.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedUnit {
    /// UCUM unit (case-sensitive).
    pub unit: String,
    /// Conventional value = value in this unit x 10^power.
    pub power: i8,
}

/// A printed unit reduced to a key two spellings of one unit share: case,
/// spaces, `µ`, a final dot, and the spellings labs use (`mEq/L` for
/// mmol/L, `sec` for s, `gm/dl` and `gm%` for g/dL, `mg%` for mg/dL,
/// `cumm`/`cmm`/`mm3` for a microlitre, `thou` for 10^3, `lakhs` for 10^5).
pub fn unit_key(raw: &str) -> String {
    let mut u: String = raw
        .trim()
        .trim_end_matches('.')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            '³' => '3',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    for (from, to) in [("mcmol", "umol"), ("mcg", "ug"), ("iu/", "u/"), ("meq/l", "mmol/l")] {
        if u.starts_with(from) {
            u = format!("{to}{}", &u[from.len()..]);
        }
    }
    // The volume of a count: a cubic millimetre is a microlitre.
    let per_ul = |u: &str| -> Option<String> {
        for vol in ["/cumm", "/cmm", "/cu.mm", "/cu.mm.", "/mm3", "/mm^3", "/ul", "/mcl"] {
            if let Some(head) = u.strip_suffix(vol) {
                return Some(head.to_owned());
            }
        }
        None
    };
    if u == "cumm" || u == "cmm" {
        return "/ul".to_owned();
    }
    if let Some(head) = per_ul(&u) {
        let scale = match head.as_str() {
            "" | "cells" | "cell" => Some(""),
            "x10^3" | "10^3" | "x103" | "10e3" | "x10e3" | "10*3" | "k" | "thou" | "thousand" | "thousands" => {
                Some("10*3")
            }
            "lakh" | "lakhs" | "lac" | "lacs" | "x10^5" | "10^5" | "10*5" => Some("10*5"),
            "x10^6" | "10^6" | "10*6" | "mill" | "million" | "millions" => Some("10*6"),
            _ => None,
        };
        if let Some(scale) = scale {
            return format!("{scale}/ul");
        }
    }
    match u.as_str() {
        "x10^9/l" | "10^9/l" | "x109/l" | "10e9/l" | "x10e9/l" | "g/l(cells)" | "giga/l" => "10*9/l".to_owned(),
        "/nl" => "10*3/ul".to_owned(),
        "sec" | "secs" | "second" | "seconds" => "s".to_owned(),
        "inr" | "ratio" => "{inr}".to_owned(),
        "gm/dl" | "gms/dl" | "gm%" | "gms%" | "g%" | "gm/100ml" | "g/100ml" => "g/dl".to_owned(),
        "mg%" | "mg/100ml" => "mg/dl".to_owned(),
        _ => u,
    }
}

/// A lower and an upper limit, either of which may be absent.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// The SI alternative of a conventional unit.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiUnit {
    pub unit: String,
    /// SI value = conventional value x factor.
    pub factor: f64,
    /// LOINC code of the SI-unit observation where it differs.
    pub loinc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabSpec {
    pub group: String,
    pub loinc: String,
    /// UCUM unit (case-sensitive).
    pub unit: String,
    pub reference: Limits,
    pub reference_female: Option<Limits>,
    /// Outside these limits a value is physically impossible (a negative
    /// count, an INR of 0): refused as a typo.
    pub possible: Limits,
    /// Outside these limits (and inside `possible`) a value is unusual but
    /// real (ALP 13,862 U/L in biliary obstruction): stored as printed once
    /// the user confirms it.
    pub usual: Limits,
    /// Call-back limits: a value below `low` or above `high` is critical
    /// (`LL`/`HH`), on the limit is not. The clinic's mapping file may
    /// override them.
    pub critical: Option<Limits>,
    /// Where `possible`, `usual` and `critical` come from.
    pub sources: String,
    pub decimals: u8,
    pub si: Option<SiUnit>,
    /// Other units labs print the measure in (exact powers of ten).
    pub printed_units: Vec<PrintedUnit>,
    /// A change from the previous value larger than this (percent) is
    /// worth a second look: the form warns, and still saves.
    pub change_alert_pct: Option<f64>,
}

/// Which units values are shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub enum UnitSystem {
    #[default]
    Conventional,
    Si,
}

/// The scale a symptom is rated on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 0-10 numeric rating scale.
    #[serde(rename = "rating_0_10")]
    Rating0To10,
    /// 0 absent, 1 present.
    PresentAbsent,
    /// International Ascites Club grade 0-3.
    AscitesIac,
    /// Hepatic encephalopathy, West Haven grade 0-4.
    WestHaven,
    /// Pitting edema 0-4+.
    EdemaPitting,
}

impl Scale {
    pub fn max(self) -> u8 {
        match self {
            Scale::Rating0To10 => 10,
            Scale::PresentAbsent => 1,
            Scale::AscitesIac => 3,
            Scale::WestHaven | Scale::EdemaPitting => 4,
        }
    }

    /// The range in a column header: `0-10`, `yes/no`, `grade 0-3`.
    pub fn range(self) -> &'static str {
        match self {
            Scale::Rating0To10 => "0-10",
            Scale::PresentAbsent => "yes/no",
            Scale::AscitesIac => "grade 0-3",
            Scale::WestHaven => "grade 0-4",
            Scale::EdemaPitting => "0-4+",
        }
    }

    /// What the form shows beside the field: the values accepted.
    pub fn hint(self) -> &'static str {
        match self {
            Scale::Rating0To10 => "0-10 (0 none, 10 worst)",
            Scale::PresentAbsent => "0 absent, 1 present",
            Scale::AscitesIac => "grade 0-3 (IAC)",
            Scale::WestHaven => "grade 0-4 (West Haven)",
            Scale::EdemaPitting => "0-4+ pitting",
        }
    }

    /// A rating written for a reader: `7/10`, `present`, `grade 2 (moderate)`.
    pub fn describe(self, value: u8) -> String {
        match (self, value) {
            (Scale::Rating0To10, v) => format!("{v}/10"),
            (Scale::PresentAbsent, 0) => "absent".to_owned(),
            (Scale::PresentAbsent, _) => "present".to_owned(),
            (Scale::AscitesIac, 0) => "none".to_owned(),
            (Scale::AscitesIac, 1) => "grade 1 (ultrasound only)".to_owned(),
            (Scale::AscitesIac, 2) => "grade 2 (moderate)".to_owned(),
            (Scale::AscitesIac, _) => "grade 3 (gross)".to_owned(),
            (Scale::WestHaven, 0) => "grade 0".to_owned(),
            (Scale::WestHaven, v) => format!("grade {v}"),
            (Scale::EdemaPitting, 0) => "none".to_owned(),
            (Scale::EdemaPitting, v) => format!("{v}+"),
        }
    }

    /// Short text for a table cell.
    pub fn short(self, value: u8) -> String {
        match (self, value) {
            (Scale::PresentAbsent, 0) => "no".to_owned(),
            (Scale::PresentAbsent, _) => "yes".to_owned(),
            (Scale::EdemaPitting, v) if v > 0 => format!("{v}+"),
            (_, v) => v.to_string(),
        }
    }

    /// Parses what was typed: a whole number on the scale, or for
    /// present/absent also the words. The error says what is accepted.
    pub fn parse(self, raw: &str) -> Result<u8, String> {
        let t = raw.trim().to_ascii_lowercase();
        if self == Scale::PresentAbsent {
            match t.as_str() {
                "0" | "absent" | "no" | "n" => return Ok(0),
                "1" | "present" | "yes" | "y" => return Ok(1),
                _ => {
                    return Err(format!(
                        "\"{}\" is not on the scale: enter 0 (absent) or 1 (present)",
                        raw.trim()
                    ));
                }
            }
        }
        let t = t.strip_suffix('+').unwrap_or(&t);
        match t.parse::<u8>() {
            Ok(v) if v <= self.max() => Ok(v),
            _ => Err(format!(
                "\"{}\" is not on the scale: enter a whole number from 0 to {}",
                raw.trim(),
                self.max()
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum MeasureKind {
    Lab(Box<LabSpec>),
    Symptom(Scale),
}

/// One catalog entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// Stable code, used in the database and in exports (`bili_total`).
    pub code: String,
    pub name: String,
    /// Other names and codes labs print for it (`SGPT`, `TBIL`), matched by
    /// the importer ignoring case, spaces and punctuation.
    pub aliases: Vec<String>,
    pub kind: MeasureKind,
}

impl Measure {
    pub fn lab(&self) -> Option<&LabSpec> {
        match &self.kind {
            MeasureKind::Lab(spec) => Some(spec),
            MeasureKind::Symptom(_) => None,
        }
    }

    pub fn scale(&self) -> Option<Scale> {
        match &self.kind {
            MeasureKind::Symptom(scale) => Some(*scale),
            MeasureKind::Lab(_) => None,
        }
    }

    /// Name with unit for a column header or an axis: `Total bilirubin (mg/dL)`.
    pub fn label_with_unit(&self) -> String {
        match &self.kind {
            MeasureKind::Lab(spec) => format!("{} ({})", self.name, display_unit(&spec.unit)),
            MeasureKind::Symptom(scale) => format!("{} ({})", self.name, scale.range()),
        }
    }
}

/// Where a value stands against what is possible and what is usual for
/// its measure (limits in the value's unit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tier {
    /// Inside what is commonly seen.
    Usual,
    /// Possible but outside what is commonly seen: stored as printed once
    /// confirmed. `below` tells the side; `limit` is the usual limit passed.
    Unusual { below: bool, limit: f64 },
    /// Physically impossible: refused. The possible limits.
    Impossible { low: f64, high: f64 },
}

impl LabSpec {
    /// `limits` (in the conventional unit) in `unit`, one of this measure's
    /// units (the conventional limits when `unit` is none of them).
    pub fn limits_in(&self, limits: Limits, unit: &str) -> Limits {
        let factor = self.factor_to(unit).unwrap_or(1.0);
        Limits {
            low: limits.low.map(|l| l * factor),
            high: limits.high.map(|h| h * factor),
        }
    }

    /// Whether `value`, in `unit`, is usual, unusual or impossible. A value
    /// on a limit is inside it.
    pub fn tier(&self, value: f64, unit: &str) -> Tier {
        let possible = self.limits_in(self.possible, unit);
        let (low, high) = (possible.low.unwrap_or(f64::MIN), possible.high.unwrap_or(f64::MAX));
        if value < low || value > high || !value.is_finite() {
            return Tier::Impossible { low, high };
        }
        let usual = self.limits_in(self.usual, unit);
        match (usual.low, usual.high) {
            (Some(l), _) if value < l => Tier::Unusual { below: true, limit: l },
            (_, Some(h)) if value > h => Tier::Unusual { below: false, limit: h },
            _ => Tier::Usual,
        }
    }

    /// The catalog's default interval for a patient of this sex.
    pub fn default_reference(&self, sex: Sex) -> ReferenceInterval {
        let limits = match (sex, self.reference_female) {
            (Sex::Female, Some(female)) => female,
            _ => self.reference,
        };
        ReferenceInterval {
            low: limits.low.map(Decimal::from_plain),
            high: limits.high.map(Decimal::from_plain),
        }
    }

    /// The default interval in `unit` (the conventional or the SI unit).
    pub fn default_reference_in(&self, sex: Sex, unit: &str) -> ReferenceInterval {
        let conventional = self.default_reference(sex);
        match self.factor_to(unit) {
            Some(f) if f != 1.0 => {
                let d = self.decimals_in(unit);
                ReferenceInterval {
                    low: conventional.low.map(|l| Decimal::from_f64(l.value() * f, d)),
                    high: conventional.high.map(|h| Decimal::from_f64(h.value() * f, d)),
                }
            }
            _ => conventional,
        }
    }

    /// The factor from the conventional unit to `unit`, if `unit` is one of
    /// this measure's units.
    pub fn factor_to(&self, unit: &str) -> Option<f64> {
        if unit == self.unit {
            return Some(1.0);
        }
        if let Some(p) = self.printed_units.iter().find(|p| p.unit == unit) {
            return Some(10f64.powi(-i32::from(p.power)));
        }
        self.si.as_ref().filter(|si| si.unit == unit).map(|si| si.factor)
    }

    /// A value in `unit` in the conventional unit: exact for a printed unit
    /// (the decimal point moved: 3.5 lakh/uL is 350 x10^3/uL), by the SI
    /// factor otherwise. `None` for a unit the measure does not have.
    pub fn conventional_value(&self, value: &Decimal, unit: &str) -> Option<f64> {
        if unit == self.unit {
            return Some(value.value());
        }
        if let Some(p) = self.printed_units.iter().find(|p| p.unit == unit) {
            return Some(value.shifted(p.power).value());
        }
        let si = self.si.as_ref().filter(|si| si.unit == unit)?;
        Some(value.value() / si.factor)
    }

    /// Every unit a value may be read in: the form's units, then the units
    /// some labs print.
    pub fn all_units(&self) -> Vec<&str> {
        let mut out = self.units();
        out.extend(self.printed_units.iter().map(|p| p.unit.as_str()));
        out
    }

    /// The measure's unit that a printed unit names, however the lab spelled
    /// it (`gm/dl`, `gm%`, `cells/cumm`, `lakhs/cumm`, `mEq/L`, `sec.`).
    pub fn unit_named(&self, raw: &str) -> Option<&str> {
        let key = unit_key(raw);
        self.all_units().into_iter().find(|u| unit_key(u) == key)
    }

    /// The units a value may be entered in: conventional first.
    pub fn units(&self) -> Vec<&str> {
        let mut out = vec![self.unit.as_str()];
        if let Some(si) = &self.si
            && si.unit != self.unit
        {
            out.push(si.unit.as_str());
        }
        out
    }

    /// The unit values are shown in under a display preference.
    pub fn unit_for(&self, system: UnitSystem) -> &str {
        match (system, &self.si) {
            (UnitSystem::Si, Some(si)) => &si.unit,
            _ => &self.unit,
        }
    }

    /// Decimals for a value converted into `unit`: as many significant
    /// digits as the conventional value has (17.1 x 12.30 mg/dL -> 210.3 umol/L).
    pub fn decimals_in(&self, unit: &str) -> u8 {
        match self.factor_to(unit) {
            Some(f) if f > 0.0 && f != 1.0 => {
                let shift = f.log10().round() as i32;
                (i32::from(self.decimals) - shift).clamp(0, 4) as u8
            }
            _ => self.decimals,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub code: String,
    pub name: String,
}

/// A parsed, checked catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    pub name: String,
    pub groups: Vec<Group>,
    measures: Vec<Measure>,
    /// Symptoms rated so that a higher number is better (energy).
    higher_is_better: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    name: String,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    lab: Vec<RawLab>,
    #[serde(default)]
    symptom: Vec<RawSymptom>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLab {
    code: String,
    name: String,
    group: String,
    loinc: String,
    unit: String,
    reference: Limits,
    reference_female: Option<Limits>,
    possible: Limits,
    usual: Limits,
    critical: Option<Limits>,
    sources: String,
    decimals: u8,
    si: Option<SiUnit>,
    change_alert_pct: Option<f64>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    printed_units: Vec<PrintedUnit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSymptom {
    code: String,
    name: String,
    scale: Scale,
    #[serde(default)]
    higher_is_better: bool,
    #[serde(default)]
    aliases: Vec<String>,
}

impl Catalog {
    /// The liver panel compiled into the binary.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::parse(LIVER_CATALOG_TOML, LIVER_CATALOG_FILE)
    }

    /// Parses and checks catalog text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, CatalogError> {
        let fail = |problem: String| CatalogError {
            file: file.to_owned(),
            problem,
        };
        let raw: RawCatalog = toml::from_str(text).map_err(|e| fail(e.to_string().trim().replace('\n', " ")))?;
        let group_codes: HashSet<&str> = raw.group.iter().map(|g| g.code.as_str()).collect();
        let mut seen = HashSet::new();
        let mut better = Vec::new();
        let mut measures = Vec::new();
        for lab in raw.lab {
            if !seen.insert(lab.code.clone()) {
                return Err(fail(format!("measure code \"{}\" appears twice", lab.code)));
            }
            if !group_codes.contains(lab.group.as_str()) {
                return Err(fail(format!(
                    "lab \"{}\" names group \"{}\", which no [[group]] defines",
                    lab.code, lab.group
                )));
            }
            if lab.unit.trim().is_empty() || lab.loinc.trim().is_empty() {
                return Err(fail(format!("lab \"{}\" needs a unit and a LOINC code", lab.code)));
            }
            for (what, limits) in [
                ("reference", Some(lab.reference)),
                ("reference_female", lab.reference_female),
                ("possible", Some(lab.possible)),
                ("usual", Some(lab.usual)),
                ("critical", lab.critical),
            ] {
                if let Some(Limits {
                    low: Some(low),
                    high: Some(high),
                }) = limits
                    && low > high
                {
                    return Err(fail(format!(
                        "lab \"{}\": {what} low {low} is above high {high}",
                        lab.code
                    )));
                }
            }
            if lab.possible.low.is_none() || lab.possible.high.is_none() {
                return Err(fail(format!("lab \"{}\": possible needs both low and high", lab.code)));
            }
            if lab.usual.low.is_none() || lab.usual.high.is_none() {
                return Err(fail(format!("lab \"{}\": usual needs both low and high", lab.code)));
            }
            if !(lab.possible.low <= lab.usual.low && lab.usual.high <= lab.possible.high) {
                return Err(fail(format!(
                    "lab \"{}\": usual must lie within possible (what is unusual is still possible)",
                    lab.code
                )));
            }
            if lab.sources.trim().is_empty() {
                return Err(fail(format!(
                    "lab \"{}\": sources must cite where its possible, usual and critical limits come from",
                    lab.code
                )));
            }
            if let Some(si) = &lab.si
                && !(si.factor.is_finite() && si.factor > 0.0)
            {
                return Err(fail(format!(
                    "lab \"{}\": SI factor must be a positive number",
                    lab.code
                )));
            }
            if lab.decimals > 6 {
                return Err(fail(format!("lab \"{}\": decimals must be 0 to 6", lab.code)));
            }
            measures.push(Measure {
                code: lab.code,
                name: lab.name,
                aliases: lab.aliases,
                kind: MeasureKind::Lab(Box::new(LabSpec {
                    group: lab.group,
                    loinc: lab.loinc,
                    unit: lab.unit,
                    reference: lab.reference,
                    reference_female: lab.reference_female,
                    possible: lab.possible,
                    usual: lab.usual,
                    critical: lab.critical,
                    sources: lab.sources,
                    decimals: lab.decimals,
                    si: lab.si,
                    printed_units: lab.printed_units,
                    change_alert_pct: lab.change_alert_pct,
                })),
            });
        }
        for symptom in raw.symptom {
            if !seen.insert(symptom.code.clone()) {
                return Err(fail(format!("measure code \"{}\" appears twice", symptom.code)));
            }
            if symptom.higher_is_better {
                better.push(symptom.code.clone());
            }
            measures.push(Measure {
                code: symptom.code,
                name: symptom.name,
                aliases: symptom.aliases,
                kind: MeasureKind::Symptom(symptom.scale),
            });
        }
        if measures.is_empty() {
            return Err(fail("it defines no [[lab]] and no [[symptom]]".to_owned()));
        }
        Ok(Self {
            name: raw.name,
            groups: raw
                .group
                .into_iter()
                .map(|g| Group {
                    code: g.code,
                    name: g.name,
                })
                .collect(),
            measures,
            higher_is_better: better,
        })
    }

    /// Applies the `[critical]` table of a clinic's mapping file (its own
    /// call-back list, limits in each lab's conventional unit):
    ///
    /// ```toml
    /// [critical]
    /// sodium = { low = 125, high = 155 }
    /// platelets = { low = 50 }
    /// ```
    ///
    /// A lab named with neither limit has none. Gives how many labs were set;
    /// `file` names the file in errors. The file's other tables (`[tests]`)
    /// are the importer's.
    pub fn apply_clinic_critical(&mut self, text: &str, file: &str) -> Result<usize, CatalogError> {
        #[derive(Deserialize)]
        struct ClinicLimits {
            #[serde(default)]
            critical: std::collections::BTreeMap<String, Limits>,
        }
        let fail = |problem: String| CatalogError {
            file: file.to_owned(),
            problem,
        };
        let raw: ClinicLimits = toml::from_str(text).map_err(|e| fail(e.to_string().trim().replace('\n', " ")))?;
        for (code, limits) in &raw.critical {
            self.set_critical(code, *limits)
                .map_err(|e| fail(format!("[critical] {e}")))?;
        }
        Ok(raw.critical.len())
    }

    /// Sets the critical limits of a lab (the clinic's own call-back list,
    /// from its mapping file), in the measure's conventional unit.
    pub fn set_critical(&mut self, code: &str, limits: Limits) -> Result<(), String> {
        let Some(spec) = self
            .measures
            .iter_mut()
            .find(|m| m.code == code)
            .and_then(|m| match &mut m.kind {
                MeasureKind::Lab(spec) => Some(spec),
                MeasureKind::Symptom(_) => None,
            })
        else {
            return Err(format!(
                "\"{code}\" is no lab of the catalog (codes such as sodium, inr, platelets)"
            ));
        };
        if let (Some(l), Some(h)) = (limits.low, limits.high)
            && l > h
        {
            return Err(format!("critical limits of \"{code}\": low {l} is above high {h}"));
        }
        spec.critical = (limits.low.is_some() || limits.high.is_some()).then_some(limits);
        Ok(())
    }

    /// Whether a higher rating of this symptom is better (energy, quality of life).
    pub fn higher_is_better(&self, code: &str) -> bool {
        self.higher_is_better.iter().any(|c| c == code)
    }

    pub fn measure(&self, code: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.code == code)
    }

    /// All measures in catalog order (labs in the printed order of a report, then symptoms).
    pub fn measures(&self) -> &[Measure] {
        &self.measures
    }

    pub fn labs(&self) -> impl Iterator<Item = (&Measure, &LabSpec)> {
        self.measures.iter().filter_map(|m| m.lab().map(|spec| (m, spec)))
    }

    pub fn symptoms(&self) -> impl Iterator<Item = (&Measure, Scale)> {
        self.measures.iter().filter_map(|m| m.scale().map(|s| (m, s)))
    }

    /// Position of a measure in catalog order, for sorting columns.
    pub fn order_of(&self, code: &str) -> usize {
        self.measures.iter().position(|m| m.code == code).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_liver_panel_has_the_reference_measures() {
        let catalog = Catalog::builtin().expect("builtin catalog parses");
        let expect = [
            ("bili_total", "1975-2", "mg/dL"),
            ("bili_direct", "1968-7", "mg/dL"),
            ("bili_indirect", "1971-1", "mg/dL"),
            ("alt", "1742-6", "U/L"),
            ("ast", "1920-8", "U/L"),
            ("alp", "6768-6", "U/L"),
            ("ggt", "2324-2", "U/L"),
            ("albumin", "1751-7", "g/dL"),
            ("protein_total", "2885-2", "g/dL"),
            ("inr", "6301-6", "{INR}"),
            ("sodium", "2951-2", "mmol/L"),
            ("creatinine", "2160-0", "mg/dL"),
            ("platelets", "777-3", "10*3/uL"),
            ("hemoglobin", "718-7", "g/dL"),
            ("afp", "1834-1", "ng/mL"),
        ];
        for (code, loinc, unit) in expect {
            let spec = catalog
                .measure(code)
                .and_then(Measure::lab)
                .unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(spec.loinc, loinc, "{code}");
            assert_eq!(spec.unit, unit, "{code}");
        }
        let bili = catalog.measure("bili_total").and_then(Measure::lab).unwrap();
        assert_eq!(
            bili.si.as_ref().map(|s| (s.unit.as_str(), s.factor)),
            Some(("umol/L", 17.1))
        );
        let creat = catalog.measure("creatinine").and_then(Measure::lab).unwrap();
        assert_eq!(creat.si.as_ref().map(|s| s.factor), Some(88.4));
    }

    #[test]
    fn builtin_symptoms_carry_their_scales() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(
            catalog.measure("fatigue").and_then(Measure::scale),
            Some(Scale::Rating0To10)
        );
        assert_eq!(
            catalog.measure("jaundice").and_then(Measure::scale),
            Some(Scale::PresentAbsent)
        );
        assert_eq!(
            catalog.measure("ascites").and_then(Measure::scale),
            Some(Scale::AscitesIac)
        );
        assert_eq!(
            catalog.measure("encephalopathy").and_then(Measure::scale),
            Some(Scale::WestHaven)
        );
        assert_eq!(
            catalog.measure("edema").and_then(Measure::scale),
            Some(Scale::EdemaPitting)
        );
    }

    #[test]
    fn units_are_written_for_readers_and_stored_as_ucum() {
        let catalog = Catalog::builtin().unwrap();
        let label = |code: &str| catalog.measure(code).unwrap().label_with_unit();
        assert_eq!(label("inr"), "INR (ratio)");
        assert_eq!(label("platelets"), "Platelets (10^3/uL)");
        assert_eq!(label("bili_total"), "Total bilirubin (mg/dL)");
        assert_eq!(label("fatigue"), "Fatigue (0-10)");
        assert_eq!(label("jaundice"), "Jaundice (skin/eyes) (yes/no)");
        assert_eq!(
            catalog.measure("platelets").and_then(Measure::lab).unwrap().unit,
            "10*3/uL"
        );
    }

    #[test]
    fn si_units_convert_intervals_with_sensible_decimals() {
        let catalog = Catalog::builtin().unwrap();
        let bili = catalog.measure("bili_total").and_then(Measure::lab).unwrap();
        assert_eq!(bili.units(), ["mg/dL", "umol/L"]);
        assert_eq!(bili.decimals_in("umol/L"), 1);
        assert_eq!(bili.default_reference_in(Sex::Male, "umol/L").describe(), "1.7 - 20.5");
        assert_eq!(bili.factor_to("umol/L"), Some(17.1));
        assert_eq!(bili.factor_to("g/L"), None);
        let creat = catalog.measure("creatinine").and_then(Measure::lab).unwrap();
        assert_eq!(creat.decimals_in("umol/L"), 0);
        assert_eq!(creat.unit_for(UnitSystem::Si), "umol/L");
        let sodium = catalog.measure("sodium").and_then(Measure::lab).unwrap();
        assert_eq!(sodium.units(), ["mmol/L"], "same unit either way");
        let inr = catalog.measure("inr").and_then(Measure::lab).unwrap();
        assert_eq!(inr.unit_for(UnitSystem::Si), "{INR}");
    }

    #[test]
    fn hemoglobin_default_depends_on_sex() {
        let catalog = Catalog::builtin().unwrap();
        let hb = catalog.measure("hemoglobin").and_then(Measure::lab).unwrap();
        assert_eq!(hb.default_reference(Sex::Female).low.unwrap().as_str(), "12");
        assert_eq!(hb.default_reference(Sex::Male).low.unwrap().as_str(), "13.5");
    }

    #[test]
    fn scales_accept_only_their_values() {
        assert_eq!(Scale::Rating0To10.parse(" 7 "), Ok(7));
        assert!(Scale::Rating0To10.parse("11").unwrap_err().contains("0 to 10"));
        assert!(Scale::Rating0To10.parse("6.5").is_err());
        assert_eq!(Scale::PresentAbsent.parse("present"), Ok(1));
        assert_eq!(Scale::PresentAbsent.parse("0"), Ok(0));
        assert!(
            Scale::PresentAbsent
                .parse("2")
                .unwrap_err()
                .contains("0 (absent) or 1 (present)")
        );
        assert_eq!(Scale::AscitesIac.parse("3"), Ok(3));
        assert!(Scale::AscitesIac.parse("4").is_err());
        assert_eq!(Scale::EdemaPitting.parse("2+"), Ok(2));
        assert_eq!(Scale::WestHaven.parse("4"), Ok(4));
        assert!(Scale::WestHaven.parse("-1").is_err());
    }

    /// Every limit of every lab, on it and just beyond it: on a limit is
    /// inside; past a possible limit is impossible; past a usual limit (and
    /// inside possible) is unusual. In each of the measure's units.
    #[test]
    fn every_tier_boundary_of_every_lab() {
        let catalog = Catalog::builtin().unwrap();
        let mut checked = 0;
        for (m, spec) in catalog.labs() {
            assert!(!spec.sources.trim().is_empty(), "{}: no sources", m.code);
            for unit in spec.units() {
                let possible = spec.limits_in(spec.possible, unit);
                let usual = spec.limits_in(spec.usual, unit);
                let (p_low, p_high) = (possible.low.unwrap(), possible.high.unwrap());
                let (u_low, u_high) = (usual.low.unwrap(), usual.high.unwrap());
                let step = |x: f64| (x.abs() * 1e-6).max(1e-6);
                let tier = |v: f64| spec.tier(v, unit);
                let code = &m.code;
                assert_eq!(tier(u_low), Tier::Usual, "{code} {unit} on usual low {u_low}");
                assert_eq!(tier(u_high), Tier::Usual, "{code} {unit} on usual high {u_high}");
                if u_low > p_low {
                    assert_eq!(
                        tier(u_low - step(u_low)),
                        Tier::Unusual {
                            below: true,
                            limit: u_low
                        },
                        "{code} {unit} below usual low"
                    );
                    assert!(
                        matches!(tier(p_low), Tier::Unusual { below: true, .. }),
                        "{code} {unit} on possible low"
                    );
                }
                assert_eq!(
                    tier(u_high + step(u_high)),
                    Tier::Unusual {
                        below: false,
                        limit: u_high
                    },
                    "{code} {unit} above usual high"
                );
                assert!(
                    matches!(tier(p_high), Tier::Unusual { below: false, .. }),
                    "{code} {unit} on possible high"
                );
                assert!(
                    matches!(tier(p_low - step(p_low)), Tier::Impossible { .. }),
                    "{code} {unit} below possible"
                );
                assert!(
                    matches!(tier(p_high + step(p_high)), Tier::Impossible { .. }),
                    "{code} {unit} above possible"
                );
                assert!(matches!(tier(-1.0), Tier::Impossible { .. }), "{code} {unit}: negative");
                checked += 1;
            }
        }
        assert!(checked >= 18, "{checked} measure-units checked");
    }

    /// The values a liver clinic really sees are never impossible: the
    /// cases the issue names, and the extremes of the literature.
    #[test]
    fn real_extreme_values_are_possible_and_typos_are_not() {
        let catalog = Catalog::builtin().unwrap();
        let tier = |code: &str, v: f64| {
            let spec = catalog.measure(code).and_then(Measure::lab).unwrap();
            spec.tier(v, &spec.unit)
        };
        for (code, v) in [
            ("alp", 13_862.0),
            ("ast", 9_000.0),
            ("alt", 12_000.0),
            ("bili_total", 80.0),
            ("inr", 25.0),
            ("afp", 2_000_000.0),
            ("sodium", 99.0),
            ("creatinine", 35.0),
            ("albumin", 0.05),
        ] {
            assert!(
                matches!(tier(code, v), Tier::Unusual { .. }),
                "{code} {v}: {:?}",
                tier(code, v)
            );
        }
        for (code, v) in [("inr", 0.0), ("alp", -1.0), ("sodium", 1400.0), ("hemoglobin", 130.0)] {
            assert!(matches!(tier(code, v), Tier::Impossible { .. }), "{code} {v}");
        }
    }

    #[test]
    fn critical_limits_are_cited_and_a_clinic_may_set_its_own() {
        let mut catalog = Catalog::builtin().unwrap();
        let critical = |c: &Catalog, code: &str| c.measure(code).and_then(Measure::lab).unwrap().critical;
        for code in ["sodium", "inr", "platelets", "hemoglobin", "wbc", "creatinine"] {
            assert!(critical(&catalog, code).is_some(), "{code} has no critical limits");
        }
        assert_eq!(
            critical(&catalog, "sodium"),
            Some(Limits {
                low: Some(120.0),
                high: Some(160.0)
            })
        );
        let own = Limits {
            low: Some(125.0),
            high: None,
        };
        catalog.set_critical("sodium", own).unwrap();
        assert_eq!(critical(&catalog, "sodium"), Some(own));
        assert!(catalog.set_critical("fatigue", own).unwrap_err().contains("no lab"));
        let swapped = Limits {
            low: Some(5.0),
            high: Some(1.0),
        };
        assert!(
            catalog
                .set_critical("inr", swapped)
                .unwrap_err()
                .contains("low 5 is above high 1")
        );
    }

    #[test]
    fn malformed_catalog_names_file_and_problem() {
        let err = Catalog::parse("name = \"x\"\n[[lab]]\ncode = 3\n", "bad.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.toml"), "{msg}");
        assert!(msg.contains("code"), "{msg}");

        let dup = "name = \"x\"\n[[symptom]]\ncode = \"a\"\nname = \"A\"\nscale = \"present_absent\"\n\
                   [[symptom]]\ncode = \"a\"\nname = \"B\"\nscale = \"present_absent\"\n";
        let msg = Catalog::parse(dup, "dup.toml").unwrap_err().to_string();
        assert!(msg.contains("\"a\" appears twice") && msg.contains("dup.toml"), "{msg}");

        let swapped = "name = \"x\"\n[[group]]\ncode = \"g\"\nname = \"G\"\n[[lab]]\ncode = \"l\"\nname = \"L\"\n\
                       group = \"g\"\nloinc = \"1-1\"\nunit = \"U/L\"\nreference = { low = 5.0, high = 1.0 }\n\
                       possible = { low = 0.0, high = 9.0 }\nusual = { low = 0.0, high = 9.0 }\n\
                       sources = \"s\"\ndecimals = 0\n";
        let msg = Catalog::parse(swapped, "swapped.toml").unwrap_err().to_string();
        assert!(msg.contains("reference low 5 is above high 1"), "{msg}");
    }
}
