//! Adverse events: what went wrong after a treatment, graded by CTCAE v5,
//! and the explicit record that nothing did ("no adverse events since the
//! last visit").
//!
//! The terms offered are a list of common CTCAE v5 terms
//! (`assets/ctcae_terms.txt`); any other text is accepted, as the
//! clinician wrote it. Relation, action and outcome are closed lists: the
//! relation uses the five-step scale of cell-therapy follow-up, the action
//! CDISC's "action taken with study treatment", the outcome FHIR R4's
//! `adverse-event-outcome` codes.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::validate::{FieldError, parse_cycle, parse_date, required};

/// Common CTCAE v5.0 terms, one per line, offered as the user types.
pub const CTCAE_TERMS_TXT: &str = include_str!("../../../assets/ctcae_terms.txt");

/// The CTCAE terms of [`CTCAE_TERMS_TXT`] (comment and blank lines skipped).
pub fn ctcae_terms() -> impl Iterator<Item = &'static str> {
    CTCAE_TERMS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The listed terms containing every word of `typed` (any case), in list
/// order; at most `limit`.
pub fn matching_terms(typed: &str, limit: usize) -> Vec<&'static str> {
    let words: Vec<String> = typed.split_whitespace().map(str::to_lowercase).collect();
    ctcae_terms()
        .filter(|t| {
            let t = t.to_lowercase();
            words.iter().all(|w| t.contains(w.as_str()))
        })
        .take(limit)
        .collect()
}

/// The term as listed when `typed` names a listed term in another case.
fn listed_spelling(typed: &str) -> Option<&'static str> {
    ctcae_terms().find(|t| t.eq_ignore_ascii_case(typed))
}

macro_rules! closed_list {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$v),+];

            /// The stored code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }

            /// As the form and the Log show it.
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label),+ }
            }

            pub fn from_str_opt(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

closed_list! {
    /// How likely the treatment caused the event.
    Relation {
        Unrelated = "unrelated", "Unrelated";
        Unlikely = "unlikely", "Unlikely";
        Possible = "possible", "Possible";
        Probable = "probable", "Probable";
        Definite = "definite", "Definite";
    }
}

closed_list! {
    /// What was done with the treatment because of the event (CDISC AEACN).
    ActionTaken {
        NotChanged = "not_changed", "Dose not changed";
        Reduced = "reduced", "Dose reduced";
        Interrupted = "interrupted", "Treatment interrupted (delayed)";
        Withdrawn = "withdrawn", "Treatment withdrawn";
        NotApplicable = "not_applicable", "Not applicable";
        Unknown = "unknown", "Unknown";
    }
}

closed_list! {
    /// How the event ended, as of the record (FHIR R4 adverse-event-outcome).
    Outcome {
        Ongoing = "ongoing", "Ongoing";
        Recovering = "recovering", "Recovering";
        Resolved = "resolved", "Resolved";
        ResolvedWithSequelae = "resolved_with_sequelae", "Resolved with sequelae";
        Fatal = "fatal", "Fatal";
        Unknown = "unknown", "Unknown";
    }
}

impl Outcome {
    /// The FHIR R4 code (`resolvedWithSequelae`).
    pub fn fhir_code(self) -> &'static str {
        match self {
            Outcome::ResolvedWithSequelae => "resolvedWithSequelae",
            o => o.as_str(),
        }
    }
}

/// The CTCAE v5 meaning of a grade, shown beside it.
pub fn grade_meaning(grade: u8) -> &'static str {
    match grade {
        1 => "mild",
        2 => "moderate",
        3 => "severe",
        4 => "life-threatening",
        5 => "death",
        _ => "not a grade",
    }
}

/// One adverse event as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdverseEventData {
    /// The CTCAE term, or the clinician's own words.
    pub term: String,
    /// CTCAE grade, 1 to 5.
    pub grade: u8,
    pub onset: Date,
    pub resolved_on: Option<Date>,
    pub serious: bool,
    pub relation: Relation,
    /// The treatment cycle the event followed.
    pub cycle: Option<u32>,
    pub action: ActionTaken,
    pub outcome: Outcome,
    pub note: String,
    pub recorded_by: String,
}

impl AdverseEventData {
    /// `Fever, grade 2 (moderate)`.
    pub fn headline(&self) -> String {
        format!("{}, grade {} ({})", self.term, self.grade, grade_meaning(self.grade))
    }

    /// `G2`: the marker on trend plots (the grade in text, not in color).
    pub fn marker(&self) -> String {
        format!("G{}", self.grade)
    }

    /// `serious; possible; after C2; resolved 2025-08-03`.
    pub fn details(&self) -> String {
        let mut parts = Vec::new();
        if self.serious {
            parts.push("serious".to_owned());
        }
        parts.push(format!("relation: {}", self.relation.label().to_lowercase()));
        if let Some(c) = self.cycle {
            parts.push(format!("after C{c}"));
        }
        parts.push(format!("action: {}", self.action.label().to_lowercase()));
        parts.push(match self.resolved_on {
            Some(d) => format!("{} on {d}", self.outcome.label().to_lowercase()),
            None => self.outcome.label().to_lowercase(),
        });
        parts.join("; ")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdverseEvent {
    pub id: i64,
    pub patient_id: i64,
    pub version: i64,
    pub data: AdverseEventData,
}

/// "No adverse events since the last visit", recorded on a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoEventsData {
    pub on: Date,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoEvents {
    pub id: i64,
    pub patient_id: i64,
    pub version: i64,
    pub data: NoEventsData,
}

pub mod field {
    pub const TERM: &str = "term";
    pub const GRADE: &str = "grade";
    pub const ONSET: &str = "onset";
    pub const RESOLVED_ON: &str = "resolved_on";
    pub const SERIOUS: &str = "serious";
    pub const RELATION: &str = "relation";
    pub const CYCLE: &str = "cycle";
    pub const ACTION: &str = "action";
    pub const OUTCOME: &str = "outcome";
    pub const NOTE: &str = "note";
    pub const RECORDED_BY: &str = "recorded_by";
}

/// The adverse-event form as typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdverseEventDraft {
    pub term: String,
    pub grade: String,
    pub onset: String,
    pub resolved_on: String,
    pub serious: bool,
    /// None until chosen: the relation is a judgement, never a default.
    pub relation: Option<Relation>,
    pub cycle: String,
    pub action: ActionTaken,
    pub outcome: Outcome,
    pub note: String,
    pub recorded_by: String,
}

impl AdverseEventDraft {
    pub fn blank(onset: Date, cycle: Option<u32>, recorded_by: &str) -> Self {
        Self {
            term: String::new(),
            grade: String::new(),
            onset: onset.to_string(),
            resolved_on: String::new(),
            serious: false,
            relation: None,
            cycle: cycle.map(|c| c.to_string()).unwrap_or_default(),
            action: ActionTaken::NotChanged,
            outcome: Outcome::Ongoing,
            note: String::new(),
            recorded_by: recorded_by.to_owned(),
        }
    }

    /// The form prefilled with a stored event, for an edit.
    pub fn from_data(d: &AdverseEventData) -> Self {
        Self {
            term: d.term.clone(),
            grade: d.grade.to_string(),
            onset: d.onset.to_string(),
            resolved_on: d.resolved_on.map(|x| x.to_string()).unwrap_or_default(),
            serious: d.serious,
            relation: Some(d.relation),
            cycle: d.cycle.map(|c| c.to_string()).unwrap_or_default(),
            action: d.action,
            outcome: d.outcome,
            note: d.note.clone(),
            recorded_by: d.recorded_by.clone(),
        }
    }

    /// The event, or every field's problem. Refused: no term, a grade
    /// other than 1-5, a date that is not a date, in the future or before
    /// birth, a resolution before the onset, no relation, a cycle that is
    /// not a whole number from 1.
    pub fn validate(&self, birth_date: Date, today: Date) -> Result<AdverseEventData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let term = required(field::TERM, "Term", &self.term, &mut errors)
            .map(|t| listed_spelling(&t).map_or(t, str::to_owned));
        let grade = match self.grade.trim() {
            "" => {
                errors.push(FieldError::new(
                    field::GRADE,
                    "Grade is required: 1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death (CTCAE v5)",
                ));
                None
            }
            t => match t.parse::<u8>() {
                Ok(g @ 1..=5) => Some(g),
                _ => {
                    errors.push(FieldError::new(
                        field::GRADE,
                        format!("Grade \"{t}\" is not a CTCAE grade: enter a whole number from 1 to 5"),
                    ));
                    None
                }
            },
        };
        let in_life = |d: Date, label: &str, f: &str, errors: &mut Vec<FieldError>| {
            if d > today {
                errors.push(FieldError::new(f, format!("{label} {d} is in the future")));
            }
            if d < birth_date {
                errors.push(FieldError::new(
                    f,
                    format!("{label} {d} is before the patient's birth date {birth_date}"),
                ));
            }
        };
        let onset = parse_date(field::ONSET, "Onset", &self.onset, &mut errors);
        if let Some(d) = onset {
            in_life(d, "Onset", field::ONSET, &mut errors);
        }
        let resolved_on = if self.resolved_on.trim().is_empty() {
            None
        } else {
            parse_date(field::RESOLVED_ON, "Resolved on", &self.resolved_on, &mut errors)
        };
        if let Some(r) = resolved_on {
            in_life(r, "Resolved on", field::RESOLVED_ON, &mut errors);
            if let Some(o) = onset
                && r < o
            {
                errors.push(FieldError::new(
                    field::RESOLVED_ON,
                    format!("Resolved on {r} is before the onset {o}: enter a date on or after the onset"),
                ));
            }
        }
        if resolved_on.is_some() && matches!(self.outcome, Outcome::Ongoing) {
            errors.push(FieldError::new(
                field::OUTCOME,
                "Outcome \"Ongoing\" with a resolution date: choose Resolved (or Resolved with sequelae), or clear the date",
            ));
        }
        if self.relation.is_none() {
            errors.push(FieldError::new(
                field::RELATION,
                "Relation to treatment is required: unrelated, unlikely, possible, probable or definite",
            ));
        }
        let cycle = parse_cycle(field::CYCLE, &self.cycle, &mut errors);
        let recorded_by = required(field::RECORDED_BY, "Recorded by", &self.recorded_by, &mut errors);
        match (term, grade, onset, self.relation, recorded_by) {
            (Some(term), Some(grade), Some(onset), Some(relation), Some(recorded_by)) if errors.is_empty() => {
                Ok(AdverseEventData {
                    term,
                    grade,
                    onset,
                    resolved_on,
                    serious: self.serious,
                    relation,
                    cycle,
                    action: self.action,
                    outcome: self.outcome,
                    note: self.note.trim().to_owned(),
                    recorded_by,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the form says but does not refuse: an event before the patient's
/// first treatment (a baseline condition, or the wrong date?), a grade 5
/// whose outcome is not fatal, a fatal outcome below grade 5, a grade 4 or
/// 5 not marked serious.
pub fn warnings(d: &AdverseEventData, first_treatment: Option<Date>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match first_treatment {
        Some(t) if d.onset < t => out.push((
            field::ONSET,
            format!(
                "Onset {} is before the first treatment ({t}): check the date; a condition present before treatment is usually a medical history item",
                d.onset
            ),
        )),
        None => out.push((
            field::ONSET,
            "The patient has no treatment recorded: an adverse event usually follows one".to_owned(),
        )),
        _ => {}
    }
    if d.grade == 5 && d.outcome != Outcome::Fatal {
        out.push((
            field::OUTCOME,
            "Grade 5 is death related to the event: the outcome would be Fatal".to_owned(),
        ));
    }
    if d.outcome == Outcome::Fatal && d.grade != 5 {
        out.push((field::GRADE, "A fatal outcome is grade 5 in CTCAE".to_owned()));
    }
    if d.grade >= 4 && !d.serious {
        out.push((
            field::SERIOUS,
            format!("Grade {} ({}) is usually serious", d.grade, grade_meaning(d.grade)),
        ));
    }
    out
}

/// The cycle an event on `onset` followed: the latest cycle numbered on or
/// before it, from `(date, cycle)` of the patient's treatments.
pub fn cycle_before(onset: Date, cycles: impl IntoIterator<Item = (Date, Option<u32>)>) -> Option<u32> {
    cycles
        .into_iter()
        .filter(|(d, c)| *d <= onset && c.is_some())
        .max_by_key(|(d, _)| *d)
        .and_then(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn draft() -> AdverseEventDraft {
        let mut d = AdverseEventDraft::blank(date(2025, 7, 22), Some(1), "Dr Rao");
        d.term = "fever".into();
        d.grade = "2".into();
        d.relation = Some(Relation::Possible);
        d
    }

    fn check(d: &AdverseEventDraft) -> Result<AdverseEventData, Vec<FieldError>> {
        d.validate(date(1974, 1, 1), date(2025, 9, 1))
    }

    fn fields(d: &AdverseEventDraft) -> Vec<String> {
        check(d).unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_listed_term_takes_its_listed_spelling_and_free_text_stays() {
        let e = check(&draft()).unwrap();
        assert_eq!(e.term, "Fever");
        assert_eq!(e.headline(), "Fever, grade 2 (moderate)");
        assert_eq!(e.marker(), "G2");
        assert_eq!(
            e.details(),
            "relation: possible; after C1; action: dose not changed; ongoing"
        );
        let mut d = draft();
        d.term = "Flushing of the neck during infusion".into();
        assert_eq!(check(&d).unwrap().term, "Flushing of the neck during infusion");
    }

    #[test]
    fn a_grade_outside_1_to_5_is_refused_with_what_is_accepted() {
        let mut d = draft();
        d.grade = "6".into();
        let errors = check(&d).unwrap_err();
        assert_eq!(errors[0].field, field::GRADE);
        assert!(errors[0].message.contains("from 1 to 5"), "{}", errors[0].message);
        for bad in ["0", "2.5", "two", "-1"] {
            d.grade = bad.into();
            assert_eq!(fields(&d), [field::GRADE], "{bad}");
        }
        d.grade = String::new();
        assert!(check(&d).unwrap_err()[0].message.contains("1 mild"));
    }

    #[test]
    fn a_resolution_before_the_onset_is_refused() {
        let mut d = draft();
        d.resolved_on = "2025-07-20".into();
        d.outcome = Outcome::Resolved;
        let errors = check(&d).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, field::RESOLVED_ON);
        assert!(errors[0].message.contains("before the onset 2025-07-22"));
        d.resolved_on = "2025-07-22".into();
        assert_eq!(check(&d).unwrap().resolved_on, Some(date(2025, 7, 22)), "same day");
        d.outcome = Outcome::Ongoing;
        assert_eq!(fields(&d), [field::OUTCOME], "ongoing yet resolved");
    }

    #[test]
    fn relation_term_cycle_and_dates_are_named_when_wrong() {
        let mut d = draft();
        d.relation = None;
        d.term = " ".into();
        d.cycle = "0".into();
        d.onset = "2025-13-01".into();
        assert_eq!(fields(&d), [field::TERM, field::ONSET, field::RELATION, field::CYCLE]);
        let mut d = draft();
        d.onset = "2025-10-01".into();
        assert!(check(&d).unwrap_err()[0].message.contains("in the future"));
    }

    #[test]
    fn an_event_before_the_first_treatment_is_a_warning_not_a_refusal() {
        let mut d = draft();
        d.onset = "2025-07-18".into();
        let e = check(&d).unwrap();
        let w = warnings(&e, Some(date(2025, 7, 21)));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, field::ONSET);
        assert!(w[0].1.contains("before the first treatment (2025-07-21)"));
        assert!(warnings(&check(&draft()).unwrap(), Some(date(2025, 7, 21))).is_empty());
        assert_eq!(warnings(&e, None).len(), 1, "no treatment at all");
    }

    #[test]
    fn grades_4_and_5_ask_for_consistency() {
        let mut d = draft();
        d.grade = "5".into();
        let e = check(&d).unwrap();
        let w: Vec<_> = warnings(&e, Some(date(2025, 7, 21))).into_iter().map(|w| w.0).collect();
        assert_eq!(w, [field::OUTCOME, field::SERIOUS]);
        d.outcome = Outcome::Fatal;
        d.serious = true;
        assert!(warnings(&check(&d).unwrap(), Some(date(2025, 7, 21))).is_empty());
    }

    #[test]
    fn terms_are_found_by_any_of_their_words() {
        let found = matching_terms("bilirubin", 5);
        assert_eq!(found, ["Blood bilirubin increased"]);
        let found = matching_terms("INFUSION reaction", 5);
        assert_eq!(found, ["Infusion related reaction"]);
        assert!(matching_terms("", 100).len() >= 40);
        assert_eq!(matching_terms("", 3).len(), 3);
    }

    #[test]
    fn the_cycle_an_event_followed() {
        let t = [
            (date(2025, 7, 21), Some(1)),
            (date(2025, 8, 4), Some(2)),
            (date(2025, 8, 5), None),
        ];
        assert_eq!(cycle_before(date(2025, 7, 20), t), None);
        assert_eq!(cycle_before(date(2025, 7, 21), t), Some(1));
        assert_eq!(cycle_before(date(2025, 8, 10), t), Some(2));
    }

    #[test]
    fn codes_round_trip() {
        for r in Relation::ALL {
            assert_eq!(Relation::from_str_opt(r.as_str()), Some(*r));
        }
        for a in ActionTaken::ALL {
            assert_eq!(ActionTaken::from_str_opt(a.as_str()), Some(*a));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_str_opt(o.as_str()), Some(*o));
        }
        assert_eq!(Outcome::ResolvedWithSequelae.fhir_code(), "resolvedWithSequelae");
    }
}
