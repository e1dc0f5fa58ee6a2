//! Score inputs taken from a patient's record.
//!
//! For one entry: lab values of that entry (converted to the conventional
//! unit when entered in SI), the patient's age on the collection date and
//! sex, and the facts recorded with the entry (dialysis, ascites grade,
//! encephalopathy grade). A value missing from the entry may be carried
//! from an earlier entry no more than `window_days` before it; every
//! carried value is named with its date.

use jiff::civil::Date;

use super::catalog::{Catalog, LabSpec, Measure};
use super::entry::{Entry, LabResult};
use super::number::Decimal;
use super::patient::{Patient, Sex, age_on};
use super::scores::{Ascites, Encephalopathy, ScoreError, ScoreInputs, ScoreKind, ScoreResult, compute};
use super::validate::FieldError;

/// The default carry-forward window, in days.
pub const DEFAULT_CARRY_DAYS: i64 = 7;

/// Where an input came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    ThisEntry,
    Carried(Date),
    Patient,
    /// Not recorded; the score takes a stated default (dialysis: no).
    Default,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::ThisEntry => "this entry".to_owned(),
            Source::Carried(d) => format!("carried from {d}"),
            Source::Patient => "patient record".to_owned(),
            Source::Default => "not recorded, taken as no".to_owned(),
        }
    }
}

/// One input as used, for the breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct InputUsed {
    pub name: &'static str,
    /// As shown: `12.30 mg/dL`, `present`, `51 years`.
    pub value: String,
    pub source: Source,
}

/// Every score for one entry, with the inputs behind them.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryScores {
    pub entry_id: i64,
    pub date: Date,
    pub inputs: ScoreInputs,
    pub used: Vec<InputUsed>,
    pub results: Vec<(ScoreKind, Result<ScoreResult, ScoreError>)>,
}

impl EntryScores {
    pub fn result(&self, kind: ScoreKind) -> Option<&Result<ScoreResult, ScoreError>> {
        self.results.iter().find(|(k, _)| *k == kind).map(|(_, r)| r)
    }

    /// Carried inputs, for a note beside the scores.
    pub fn carried(&self) -> Vec<&InputUsed> {
        self.used
            .iter()
            .filter(|u| matches!(u.source, Source::Carried(_)))
            .collect()
    }
}

/// A lab value in the catalog's conventional unit.
fn conventional(lab: &LabResult, spec: &LabSpec) -> Option<f64> {
    spec.conventional_value(&lab.value, &lab.unit)
}

/// Finds a value for `pick` in `entry`, or in the nearest earlier entry
/// within the window. `history` is every entry of the patient.
fn find<'a, T>(
    entry: &'a Entry,
    history: &'a [Entry],
    window_days: i64,
    pick: impl Fn(&'a Entry) -> Option<T>,
) -> Option<(T, Source)> {
    if let Some(v) = pick(entry) {
        return Some((v, Source::ThisEntry));
    }
    let date = entry.data.collected_on;
    let mut earlier: Vec<&Entry> = history
        .iter()
        .filter(|e| e.id != entry.id)
        .filter(|e| e.data.collected_on < date || (e.data.collected_on == date && e.id < entry.id))
        .filter(|e| {
            date.since(e.data.collected_on)
                .map(|s| i64::from(s.get_days()))
                .unwrap_or(i64::MAX)
                <= window_days
        })
        .collect();
    earlier.sort_by_key(|e| std::cmp::Reverse((e.data.collected_on, e.id)));
    earlier
        .into_iter()
        .find_map(|e| pick(e).map(|v| (v, Source::Carried(e.data.collected_on))))
}

/// Scores of one entry. `history` is all the patient's entries (any order).
pub fn entry_scores(
    entry: &Entry,
    history: &[Entry],
    patient: &Patient,
    catalog: &Catalog,
    window_days: i64,
) -> EntryScores {
    let mut used = Vec::new();
    let mut lab = |code: &'static str, name: &'static str| -> Option<f64> {
        let measure = catalog.measure(code)?;
        let spec = measure.lab()?;
        let (lab, source) = find(entry, history, window_days, |e| {
            e.data.lab(code).filter(|l| conventional(l, spec).is_some())
        })?;
        let value = conventional(lab, spec)?;
        let mut shown = format!("{} {}", lab.value_text(), super::catalog::display_unit(&lab.unit));
        if lab.unit != spec.unit {
            shown.push_str(&format!(" = {value:.2} {}", super::catalog::display_unit(&spec.unit)));
        }
        used.push(InputUsed {
            name,
            value: shown,
            source,
        });
        Some(value)
    };
    let bilirubin = lab("bili_total", "bilirubin");
    let inr = lab("inr", "INR");
    let creatinine = lab("creatinine", "creatinine");
    let sodium = lab("sodium", "sodium");
    let albumin = lab("albumin", "albumin");
    let ast = lab("ast", "AST");
    let alt = lab("alt", "ALT");
    let platelets = lab("platelets", "platelets");

    // AST upper limit of normal: as printed with the AST used, else the catalog's.
    let ast_uln = catalog.measure("ast").and_then(Measure::lab).and_then(|spec| {
        let printed = find(entry, history, window_days, |e| {
            // An interval that may be in another unit is no upper limit to use.
            let l = e.data.lab("ast").filter(|l| !l.interval_doubt)?;
            let high = l.reference.high.as_ref()?;
            // Same conversion as the value, so AST / ULN does not depend on the unit.
            let factor = conventional(l, spec)? / l.value.value();
            Some(high.value() * factor)
        });
        match printed {
            Some((high, source)) => {
                used.push(InputUsed {
                    name: "AST upper limit of normal",
                    value: format!("{high} U/L (printed with the AST)"),
                    source,
                });
                Some(high)
            }
            None => spec.reference.high.inspect(|h| {
                used.push(InputUsed {
                    name: "AST upper limit of normal",
                    value: format!("{h} U/L (catalog default)"),
                    source: Source::Patient,
                });
            }),
        }
    });

    let mut fact = |code: &'static str, name: &'static str| -> Option<u8> {
        let scale = catalog.measure(code).and_then(Measure::scale)?;
        let (v, source) = find(entry, history, window_days, |e| e.data.symptom(code))?;
        used.push(InputUsed {
            name,
            value: scale.describe(v),
            source,
        });
        Some(v)
    };
    let dialysis = fact("dialysis", "dialysis").map(|v| v > 0);
    let ascites = fact("ascites", "ascites").map(Ascites::from_iac_grade);
    let encephalopathy = fact("encephalopathy", "encephalopathy").map(Encephalopathy::from_west_haven);
    if dialysis.is_none() {
        used.push(InputUsed {
            name: "dialysis",
            value: "no".to_owned(),
            source: Source::Default,
        });
    }
    let age = age_on(patient.data.birth_date, entry.data.collected_on);
    used.push(InputUsed {
        name: "age",
        value: format!("{age} years on {}", entry.data.collected_on),
        source: Source::Patient,
    });
    let female = match patient.data.sex {
        Sex::Female => Some(true),
        Sex::Male => Some(false),
        Sex::Other | Sex::Unknown => None,
    };
    used.push(InputUsed {
        name: "sex",
        value: patient.data.sex.label().to_owned(),
        source: Source::Patient,
    });
    let inputs = ScoreInputs {
        bilirubin,
        inr,
        creatinine,
        sodium,
        albumin,
        dialysis,
        female,
        age: Some(age as f64),
        ast,
        alt,
        ast_uln,
        platelets,
        ascites,
        encephalopathy,
    };
    let results = ScoreKind::ALL.into_iter().map(|k| (k, compute(k, &inputs))).collect();
    EntryScores {
        entry_id: entry.id,
        date: entry.data.collected_on,
        inputs,
        used,
        results,
    }
}

/// Scores of every entry, in the order given.
pub fn all_entry_scores(entries: &[Entry], patient: &Patient, catalog: &Catalog, window_days: i64) -> Vec<EntryScores> {
    entries
        .iter()
        .map(|e| entry_scores(e, entries, patient, catalog, window_days))
        .collect()
}

/// The score calculator's form (and the `score` command's options), as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CalculatorDraft {
    pub bilirubin: String,
    pub inr: String,
    pub creatinine: String,
    pub sodium: String,
    pub albumin: String,
    /// Bilirubin and creatinine in umol/L, albumin in g/L.
    pub si: bool,
    pub dialysis: bool,
    pub female: Option<bool>,
    pub age: String,
    pub ast: String,
    pub alt: String,
    pub ast_uln: String,
    pub platelets: String,
    pub ascites: Option<Ascites>,
    pub encephalopathy: Option<Encephalopathy>,
}

impl CalculatorDraft {
    /// Numbers parsed as typed (decimal point or comma); SI values
    /// converted with the catalog's factors. Empty fields are missing
    /// inputs, not errors; a field that is not a number is an error keyed
    /// by its name (`bilirubin`, `ast_uln`, ...).
    pub fn inputs(&self, catalog: &Catalog) -> Result<ScoreInputs, Vec<FieldError>> {
        let mut errors = Vec::new();
        let factor = |code: &str| {
            catalog
                .measure(code)
                .and_then(Measure::lab)
                .and_then(|s| s.si.as_ref())
                .map_or(1.0, |si| si.factor)
        };
        let (bili_f, cr_f, alb_f) = if self.si {
            (factor("bili_total"), factor("creatinine"), factor("albumin"))
        } else {
            (1.0, 1.0, 1.0)
        };
        let mut number = |key: &str, raw: &str, divide_by: f64| -> Option<f64> {
            if raw.trim().is_empty() {
                return None;
            }
            match Decimal::parse(raw) {
                Ok(d) => Some(d.value() / divide_by),
                Err(e) => {
                    errors.push(FieldError::new(key, e.to_string()));
                    None
                }
            }
        };
        let inputs = ScoreInputs {
            bilirubin: number("bilirubin", &self.bilirubin, bili_f),
            inr: number("inr", &self.inr, 1.0),
            creatinine: number("creatinine", &self.creatinine, cr_f),
            sodium: number("sodium", &self.sodium, 1.0),
            albumin: number("albumin", &self.albumin, alb_f),
            dialysis: Some(self.dialysis),
            female: self.female,
            age: number("age", &self.age, 1.0),
            ast: number("ast", &self.ast, 1.0),
            alt: number("alt", &self.alt, 1.0),
            ast_uln: number("ast_uln", &self.ast_uln, 1.0),
            platelets: number("platelets", &self.platelets, 1.0),
            ascites: self.ascites,
            encephalopathy: self.encephalopathy,
        };
        if errors.is_empty() { Ok(inputs) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EntryDraft;
    use crate::patient::PatientData;
    use jiff::civil::date;

    fn patient(sex: Sex) -> Patient {
        Patient {
            id: 1,
            version: 1,
            archived: false,
            data: PatientData {
                mrn: "M".into(),
                name: "P".into(),
                birth_date: date(1974, 1, 15),
                sex,
                diagnosis: String::new(),
                enrolled: date(2025, 7, 1),
                notes: String::new(),
            },
        }
    }

    fn entry(id: i64, on: Date, values: &[(&str, &str)]) -> Entry {
        crate::test_support::entry(id, on, values)
    }

    fn scores(entries: &[Entry], i: usize, window: i64) -> EntryScores {
        entry_scores(
            &entries[i],
            entries,
            &patient(Sex::Male),
            &Catalog::builtin().unwrap(),
            window,
        )
    }

    #[test]
    fn inputs_come_from_the_entry_and_the_patient() {
        let e = vec![entry(
            1,
            date(2025, 7, 19),
            &[("bili_total", "1.9"), ("inr", "1.2"), ("creatinine", "1.3")],
        )];
        let s = scores(&e, 0, DEFAULT_CARRY_DAYS);
        assert_eq!(s.result(ScoreKind::Meld).unwrap().as_ref().unwrap().value, 13.0);
        assert_eq!(s.inputs.age, Some(51.0));
        assert_eq!(s.inputs.female, Some(false));
        let dialysis = s.used.iter().find(|u| u.name == "dialysis").unwrap();
        assert_eq!(dialysis.source, Source::Default);
        let err = s.result(ScoreKind::MeldNa).unwrap().as_ref().unwrap_err().to_string();
        assert!(err.contains("missing sodium (mmol/L)"), "{err}");
    }

    #[test]
    fn a_missing_value_is_carried_within_the_window_and_named() {
        let e = vec![
            entry(1, date(2025, 7, 12), &[("inr", "1.2")]),
            entry(2, date(2025, 7, 19), &[("bili_total", "1.9"), ("creatinine", "1.3")]),
        ];
        let s = scores(&e, 1, 7);
        assert_eq!(s.result(ScoreKind::Meld).unwrap().as_ref().unwrap().value, 13.0);
        let carried = s.carried();
        assert_eq!(carried.len(), 1);
        assert_eq!(
            (carried[0].name, &carried[0].source),
            ("INR", &Source::Carried(date(2025, 7, 12)))
        );
        // Eight days apart is outside a 7-day window.
        let e = vec![
            entry(1, date(2025, 7, 11), &[("inr", "1.2")]),
            entry(2, date(2025, 7, 19), &[("bili_total", "1.9"), ("creatinine", "1.3")]),
        ];
        let s = scores(&e, 1, 7);
        let err = s.result(ScoreKind::Meld).unwrap().as_ref().unwrap_err().to_string();
        assert_eq!(err, "MELD not computed: missing INR");
        assert!(
            scores(&e, 1, 8).result(ScoreKind::Meld).unwrap().is_ok(),
            "a wider window carries it"
        );
        // Never carried backwards from a later entry.
        assert!(scores(&e, 0, 30).result(ScoreKind::Meld).unwrap().is_err());
    }

    #[test]
    fn the_nearest_earlier_value_wins() {
        let e = vec![
            entry(1, date(2025, 7, 13), &[("inr", "2.0")]),
            entry(2, date(2025, 7, 16), &[("inr", "1.2")]),
            entry(3, date(2025, 7, 19), &[("bili_total", "1.9"), ("creatinine", "1.3")]),
        ];
        let s = scores(&e, 2, 7);
        assert_eq!(s.inputs.inr, Some(1.2));
    }

    #[test]
    fn facts_recorded_with_the_entry_feed_child_pugh_and_meld() {
        let e = vec![entry(
            1,
            date(2025, 7, 19),
            &[
                ("bili_total", "3.2"),
                ("albumin", "2.6"),
                ("inr", "2.0"),
                ("creatinine", "1.1"),
                ("ascites", "1"),
                ("encephalopathy", "2"),
                ("dialysis", "1"),
            ],
        )];
        let s = scores(&e, 0, 7);
        let cp = s.result(ScoreKind::ChildPugh).unwrap().as_ref().unwrap();
        assert_eq!(cp.display(), "12 (C)");
        let meld = s.result(ScoreKind::Meld).unwrap().as_ref().unwrap();
        assert!(meld.terms[0].detail.contains("dialysis"), "{:?}", meld.terms[0]);
    }

    /// APRI and FIB-4 from a report that prints platelets in lakhs/cumm
    /// or per cumm with lakh grouping: the same scores as 150 x10^3/uL,
    /// the value used shown as printed with its conversion.
    #[test]
    fn apri_and_fib4_from_platelets_in_lakhs_or_per_cumm() {
        let catalog = Catalog::builtin().unwrap();
        let scores_with = |platelets: &str| {
            let mut d = EntryDraft::blank(&catalog, Sex::Male, date(2025, 7, 19), "t");
            for l in d.labs.iter_mut() {
                match l.code.as_str() {
                    "ast" => {
                        l.value = "38".into();
                        l.ref_low = String::new();
                        l.ref_high = "40".into();
                    }
                    "alt" => l.value = "30".into(),
                    "platelets" => l.value = platelets.into(),
                    _ => {}
                }
            }
            let data = d
                .validate(&catalog, Sex::Male, date(1974, 1, 15), date(2030, 1, 1))
                .unwrap();
            let e = vec![Entry {
                id: 1,
                patient_id: 1,
                version: 1,
                recorded_at: String::new(),
                data,
            }];
            let s = scores(&e, 0, 7);
            let value = |k: ScoreKind| s.result(k).unwrap().as_ref().unwrap().value;
            let shown = s.used.iter().find(|u| u.name == "platelets").unwrap().value.clone();
            (value(ScoreKind::Apri), value(ScoreKind::Fib4), shown)
        };
        let (apri, fib4, _) = scores_with("150");
        assert_eq!(apri, 0.63);
        for printed in ["1.5 lakhs/cumm", "1,50,000 /cumm", "150000 cells/cumm"] {
            let (a, f, shown) = scores_with(printed);
            assert_eq!((a, f), (apri, fib4), "{printed}");
            assert!(shown.contains("= 150.00 10^3/uL"), "{printed}: {shown}");
        }
    }

    #[test]
    fn ast_uln_is_the_printed_limit_and_apri_uses_it() {
        let catalog = Catalog::builtin().unwrap();
        let mut d = EntryDraft::blank(&catalog, Sex::Male, date(2025, 7, 19), "t");
        for l in d.labs.iter_mut() {
            match l.code.as_str() {
                "ast" => {
                    l.value = "38".into();
                    l.ref_low = String::new();
                    l.ref_high = "40".into();
                }
                "platelets" => l.value = "150".into(),
                _ => {}
            }
        }
        let data = d
            .validate(&catalog, Sex::Male, date(1974, 1, 15), date(2030, 1, 1))
            .unwrap();
        let e = vec![Entry {
            id: 1,
            patient_id: 1,
            version: 1,
            recorded_at: String::new(),
            data,
        }];
        let s = scores(&e, 0, 7);
        assert_eq!(s.inputs.ast_uln, Some(40.0));
        assert_eq!(s.result(ScoreKind::Apri).unwrap().as_ref().unwrap().value, 0.63);
    }
}

#[cfg(test)]
mod calculator_tests {
    use super::*;

    #[test]
    fn si_values_are_converted_with_the_catalog_factors() {
        let catalog = Catalog::builtin().unwrap();
        let draft = CalculatorDraft {
            bilirubin: "54".into(),
            creatinine: "170".into(),
            albumin: "30".into(),
            inr: "2,0".into(),
            si: true,
            ..CalculatorDraft::default()
        };
        let i = draft.inputs(&catalog).unwrap();
        assert!((i.bilirubin.unwrap() - 54.0 / 17.1).abs() < 1e-12);
        assert!((i.creatinine.unwrap() - 170.0 / 88.4).abs() < 1e-12);
        assert_eq!(i.albumin, Some(3.0));
        assert_eq!(i.inr, Some(2.0));
        assert_eq!(i.sodium, None);
        assert_eq!(compute(ScoreKind::Meld, &i).unwrap().value, 25.0);
    }

    #[test]
    fn a_field_that_is_not_a_number_is_named() {
        let draft = CalculatorDraft {
            inr: "1.2.3".into(),
            ast_uln: "abc".into(),
            ..CalculatorDraft::default()
        };
        let errors = draft.inputs(&Catalog::builtin().unwrap()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["inr", "ast_uln"]);
    }
}
