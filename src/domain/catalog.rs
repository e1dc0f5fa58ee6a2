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

use super::entry::ReferenceInterval;
use super::number::Decimal;
use super::patient::Sex;

/// The liver panel shipped with the app.
pub const LIVER_CATALOG_TOML: &str = include_str!("../../assets/catalog/liver.toml");
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
    pub plausible: Limits,
    pub decimals: u8,
    pub si: Option<SiUnit>,
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

impl LabSpec {
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
        self.si.as_ref().filter(|si| si.unit == unit).map(|si| si.factor)
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
    plausible: Limits,
    decimals: u8,
    si: Option<SiUnit>,
    change_alert_pct: Option<f64>,
    #[serde(default)]
    aliases: Vec<String>,
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
                ("plausible", Some(lab.plausible)),
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
            if lab.plausible.low.is_none() || lab.plausible.high.is_none() {
                return Err(fail(format!("lab \"{}\": plausible needs both low and high", lab.code)));
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
                    plausible: lab.plausible,
                    decimals: lab.decimals,
                    si: lab.si,
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
                       plausible = { low = 0.0, high = 9.0 }\ndecimals = 0\n";
        let msg = Catalog::parse(swapped, "swapped.toml").unwrap_err().to_string();
        assert!(msg.contains("reference low 5 is above high 1"), "{msg}");
    }
}
