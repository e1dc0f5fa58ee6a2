//! Treatment events: infusions, procedures, medications, by date and cycle.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::number::Decimal;
use super::validate::{FieldError, parse_cycle, parse_date, required};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreatmentKind {
    CellInfusion,
    ExosomeInfusion,
    Procedure,
    Medication,
    Other,
}

impl TreatmentKind {
    pub const ALL: [TreatmentKind; 5] = [
        TreatmentKind::CellInfusion,
        TreatmentKind::ExosomeInfusion,
        TreatmentKind::Procedure,
        TreatmentKind::Medication,
        TreatmentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TreatmentKind::CellInfusion => "cell_infusion",
            TreatmentKind::ExosomeInfusion => "exosome_infusion",
            TreatmentKind::Procedure => "procedure",
            TreatmentKind::Medication => "medication",
            TreatmentKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TreatmentKind::CellInfusion => "Cell infusion",
            TreatmentKind::ExosomeInfusion => "Exosome infusion",
            TreatmentKind::Procedure => "Procedure",
            TreatmentKind::Medication => "Medication",
            TreatmentKind::Other => "Other",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreatmentData {
    pub date: Date,
    pub kind: TreatmentKind,
    pub product: String,
    pub dose: Option<Decimal>,
    pub dose_unit: String,
    pub route: String,
    pub cycle: Option<u32>,
    pub note: String,
    pub recorded_by: String,
}

impl TreatmentData {
    /// Short label for plots: `C2` for cycle 2, else the kind.
    pub fn short_label(&self) -> String {
        match self.cycle {
            Some(c) => format!("C{c}"),
            None => self.kind.label().to_owned(),
        }
    }

    /// `200 million cells` or empty.
    pub fn dose_text(&self) -> String {
        match &self.dose {
            Some(d) => format!("{d} {}", self.dose_unit).trim().to_owned(),
            None => String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreatmentEvent {
    pub id: i64,
    pub patient_id: i64,
    pub version: i64,
    pub data: TreatmentData,
}

/// The "Add treatment" form as typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreatmentDraft {
    pub date: String,
    pub kind: TreatmentKind,
    pub product: String,
    pub dose: String,
    pub dose_unit: String,
    pub route: String,
    pub cycle: String,
    pub note: String,
    pub recorded_by: String,
}

pub mod field {
    pub const DATE: &str = "date";
    pub const PRODUCT: &str = "product";
    pub const DOSE: &str = "dose";
    pub const DOSE_UNIT: &str = "dose_unit";
    pub const CYCLE: &str = "cycle";
    pub const RECORDED_BY: &str = "recorded_by";
    pub const KIND: &str = "kind";
    pub const ROUTE: &str = "route";
    pub const NOTE: &str = "note";
}

impl TreatmentDraft {
    pub fn blank(date: Date, recorded_by: &str) -> Self {
        Self {
            date: date.to_string(),
            kind: TreatmentKind::CellInfusion,
            product: String::new(),
            dose: String::new(),
            dose_unit: String::new(),
            route: "IV".to_owned(),
            cycle: String::new(),
            note: String::new(),
            recorded_by: recorded_by.to_owned(),
        }
    }

    /// The form prefilled with a stored event, for an edit.
    pub fn from_data(d: &TreatmentData) -> Self {
        Self {
            date: d.date.to_string(),
            kind: d.kind,
            product: d.product.clone(),
            dose: d.dose.as_ref().map(|x| x.to_string()).unwrap_or_default(),
            dose_unit: d.dose_unit.clone(),
            route: d.route.clone(),
            cycle: d.cycle.map(|c| c.to_string()).unwrap_or_default(),
            note: d.note.clone(),
            recorded_by: d.recorded_by.clone(),
        }
    }

    pub fn validate(&self, birth_date: Date, today: Date) -> Result<TreatmentData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = parse_date(field::DATE, "Treatment date", &self.date, &mut errors);
        if let Some(d) = date {
            if d > today {
                errors.push(FieldError::new(
                    field::DATE,
                    format!("Treatment date {d} is in the future"),
                ));
            }
            if d < birth_date {
                errors.push(FieldError::new(
                    field::DATE,
                    format!("Treatment date {d} is before the patient's birth date {birth_date}"),
                ));
            }
        }
        let product = required(field::PRODUCT, "Product", &self.product, &mut errors);
        let dose = if self.dose.trim().is_empty() {
            None
        } else {
            match Decimal::parse(&self.dose) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError::new(field::DOSE, format!("Dose: {e}")));
                    None
                }
            }
        };
        let dose_unit = self.dose_unit.trim().to_owned();
        if !self.dose.trim().is_empty() && dose_unit.is_empty() {
            errors.push(FieldError::new(
                field::DOSE_UNIT,
                "Dose unit is required with a dose (for example: million cells, mg, mL)",
            ));
        }
        let cycle = parse_cycle(field::CYCLE, &self.cycle, &mut errors);
        let recorded_by = required(field::RECORDED_BY, "Recorded by", &self.recorded_by, &mut errors);
        match (date, product, recorded_by) {
            (Some(date), Some(product), Some(recorded_by)) if errors.is_empty() => Ok(TreatmentData {
                date,
                kind: self.kind,
                product,
                dose,
                dose_unit,
                route: self.route.trim().to_owned(),
                cycle,
                note: self.note.trim().to_owned(),
                recorded_by,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn draft() -> TreatmentDraft {
        let mut d = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
        d.product = "AD-MSC".into();
        d.dose = "66,7".into();
        d.dose_unit = "million cells".into();
        d.cycle = "1".into();
        d
    }

    #[test]
    fn valid_treatment_keeps_dose_as_typed() {
        let t = draft().validate(date(1974, 1, 1), date(2025, 8, 1)).unwrap();
        assert_eq!(t.dose_text(), "66.7 million cells");
        assert_eq!(t.short_label(), "C1");
        assert_eq!(t.route, "IV");
    }

    #[test]
    fn bad_fields_are_named() {
        let mut d = draft();
        d.product = " ".into();
        d.dose_unit = String::new();
        d.cycle = "0".into();
        d.date = "2026-01-01".into();
        let errors = d.validate(date(1974, 1, 1), date(2025, 8, 1)).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, [field::DATE, field::PRODUCT, field::DOSE_UNIT, field::CYCLE]);
    }
}
