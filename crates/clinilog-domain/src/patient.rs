//! Patients: who is followed, and the form that registers one.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::validate::{FieldError, parse_date, required};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Female => "Female",
            Sex::Male => "Male",
            Sex::Other => "Other",
            Sex::Unknown => "Unknown",
        }
    }

    /// Short form for tables: F, M, O, U.
    pub fn short(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Other => "O",
            Sex::Unknown => "U",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Text as search compares it: lower case, accents and other combining
/// marks dropped (`José` and `jose` are one name), other scripts kept.
pub fn search_key(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What is known about a patient, without the database identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatientData {
    /// Clinic record number, unique in the file.
    pub mrn: String,
    pub name: String,
    pub birth_date: Date,
    pub sex: Sex,
    /// Diagnosis or etiology (free text: "Cirrhosis, alcohol-related").
    pub diagnosis: String,
    pub enrolled: Date,
    pub notes: String,
}

/// A stored patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    pub id: i64,
    pub version: i64,
    pub archived: bool,
    pub data: PatientData,
}

impl Patient {
    pub fn age_on(&self, date: Date) -> i64 {
        age_on(self.data.birth_date, date)
    }
}

/// Completed years of age on `date`.
pub fn age_on(birth: Date, date: Date) -> i64 {
    let mut years = i64::from(date.year()) - i64::from(birth.year());
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The "New patient" form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientDraft {
    pub mrn: String,
    pub name: String,
    pub birth_date: String,
    pub sex: Option<Sex>,
    pub diagnosis: String,
    pub enrolled: String,
    pub notes: String,
}

pub mod field {
    pub const MRN: &str = "mrn";
    pub const NAME: &str = "name";
    pub const BIRTH_DATE: &str = "birth_date";
    pub const SEX: &str = "sex";
    pub const DIAGNOSIS: &str = "diagnosis";
    pub const ENROLLED: &str = "enrolled";
    pub const NOTES: &str = "notes";
}

impl PatientDraft {
    /// A blank form; enrollment defaults to `today`.
    pub fn blank(today: Date) -> Self {
        Self {
            enrolled: today.to_string(),
            ..Self::default()
        }
    }

    /// The form prefilled with stored details, for an edit.
    pub fn from_data(d: &PatientData) -> Self {
        Self {
            mrn: d.mrn.clone(),
            name: d.name.clone(),
            birth_date: d.birth_date.to_string(),
            sex: Some(d.sex),
            diagnosis: d.diagnosis.clone(),
            enrolled: d.enrolled.to_string(),
            notes: d.notes.clone(),
        }
    }

    /// Checks the form; `today` bounds the dates.
    pub fn validate(&self, today: Date) -> Result<PatientData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mrn = required(field::MRN, "MRN", &self.mrn, &mut errors);
        if let Some(mrn) = &mrn
            && !mrn.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.".contains(c))
        {
            errors.push(FieldError::new(
                field::MRN,
                format!("MRN \"{mrn}\": use letters, digits and - _ / . only (no spaces)"),
            ));
        }
        let name = required(field::NAME, "Name", &self.name, &mut errors);
        let birth = parse_date(field::BIRTH_DATE, "Birth date", &self.birth_date, &mut errors);
        if let Some(b) = birth
            && b > today
        {
            errors.push(FieldError::new(
                field::BIRTH_DATE,
                format!("Birth date {b} is in the future"),
            ));
        }
        if self.sex.is_none() {
            errors.push(FieldError::new(
                field::SEX,
                "Sex is required: choose Female, Male, Other or Unknown",
            ));
        }
        let enrolled = parse_date(field::ENROLLED, "Enrollment date", &self.enrolled, &mut errors);
        if let (Some(b), Some(e)) = (birth, enrolled)
            && e < b
        {
            errors.push(FieldError::new(
                field::ENROLLED,
                format!("Enrollment date {e} is before the birth date {b}"),
            ));
        }
        if let Some(e) = enrolled
            && e > today
        {
            errors.push(FieldError::new(
                field::ENROLLED,
                format!("Enrollment date {e} is in the future"),
            ));
        }
        match (mrn, name, birth, self.sex, enrolled) {
            (Some(mrn), Some(name), Some(birth_date), Some(sex), Some(enrolled)) if errors.is_empty() => {
                Ok(PatientData {
                    mrn,
                    name,
                    birth_date,
                    sex,
                    diagnosis: self.diagnosis.trim().to_owned(),
                    enrolled,
                    notes: self.notes.trim().to_owned(),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn draft() -> PatientDraft {
        PatientDraft {
            mrn: " MRN-1 ".into(),
            name: "Ana Diaz".into(),
            birth_date: "1974-03-02".into(),
            sex: Some(Sex::Female),
            diagnosis: "Cirrhosis".into(),
            enrolled: "2025-07-19".into(),
            notes: String::new(),
        }
    }

    #[test]
    fn valid_draft_becomes_patient_data() {
        let data = draft().validate(date(2025, 8, 1)).unwrap();
        assert_eq!(data.mrn, "MRN-1");
        assert_eq!(data.birth_date, date(1974, 3, 2));
    }

    #[test]
    fn each_missing_field_is_named() {
        let errors = PatientDraft::default().validate(date(2025, 8, 1)).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [field::MRN, field::NAME, field::BIRTH_DATE, field::SEX, field::ENROLLED] {
            assert!(fields.contains(&f), "{f} not reported: {errors:?}");
        }
    }

    #[test]
    fn dates_are_checked_against_each_other_and_today() {
        let mut d = draft();
        d.birth_date = "2030-01-01".into();
        let errors = d.validate(date(2025, 8, 1)).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.field == field::BIRTH_DATE && e.message.contains("future"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.field == field::ENROLLED && e.message.contains("before the birth"))
        );
        let mut d = draft();
        d.mrn = "MRN 1".into();
        assert!(
            d.validate(date(2025, 8, 1)).unwrap_err()[0]
                .message
                .contains("no spaces")
        );
    }

    #[test]
    fn age_counts_completed_years() {
        assert_eq!(age_on(date(1974, 3, 2), date(2025, 3, 1)), 50);
        assert_eq!(age_on(date(1974, 3, 2), date(2025, 3, 2)), 51);
    }
}
