//! The audit trail written for a reader: what changed, from what to what.
//!
//! The store keeps each change's record before and after as JSON; this
//! turns a pair into a sentence naming the record and one line per changed
//! value ("Total bilirubin: 12.30 mg/dL -> 12.03 mg/dL").

use serde::de::DeserializeOwned;

use super::adverse::{AdverseEventData, NoEventsData, grade_meaning};
use super::catalog::{Catalog, display_unit};
use super::entry::EntryData;
use super::patient::PatientData;
use super::protocol::{AssignmentData, ShiftData};
use super::treatment::TreatmentData;

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryLine {
    pub what: String,
    pub changes: Vec<String>,
}

fn parse<T: DeserializeOwned>(json: Option<&str>) -> Option<T> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// What a change did to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    Create,
    Edit,
    Void,
    /// The whole file was restored from a backup.
    Restore,
}

impl AuditAction {
    /// The past participle a History line ends with.
    pub fn verb(self) -> &'static str {
        match self {
            AuditAction::Create => "recorded",
            AuditAction::Edit => "edited",
            AuditAction::Void => "voided",
            AuditAction::Restore => "restored",
        }
    }
}

/// The kinds of clinical record the audit trail speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Patient,
    Entry,
    Treatment,
    /// The file as a whole (a restore).
    Database,
    /// A protocol assigned to a patient.
    Assignment,
    /// A shift of a patient's plan.
    PlanShift,
    /// A visit or cycle closed as not done.
    PlanClosure,
    AdverseEvent,
    /// "No adverse events since the last visit".
    NoAdverseEvents,
}

impl RecordKind {
    /// How a message names one record of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            RecordKind::Patient => "patient",
            RecordKind::Entry => "entry",
            RecordKind::Treatment => "treatment event",
            RecordKind::Database => "file",
            RecordKind::Assignment => "protocol assignment",
            RecordKind::PlanShift => "plan shift",
            RecordKind::PlanClosure => "visit closed as not done",
            RecordKind::AdverseEvent => "adverse event",
            RecordKind::NoAdverseEvents => "record of no adverse events",
        }
    }
}

/// Every value of an entry as `name: value unit`, keyed by code.
fn entry_values(d: &EntryData, catalog: &Catalog) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for lab in &d.labs {
        let name = catalog.measure(&lab.code).map_or(lab.code.clone(), |m| m.name.clone());
        out.push((
            name,
            format!(
                "{} {}{} (interval {}){}",
                lab.value_text(),
                display_unit(&lab.unit),
                // In words: a letter after a unit ending in L ("10^3/uL L") reads as part of it.
                match lab.flag {
                    super::entry::Flag::Normal => String::new(),
                    f => format!(", {}", f.words()),
                },
                lab.reference.describe(),
                if lab.confirmed_unusual {
                    ", unusual: confirmed as printed"
                } else {
                    ""
                }
            ),
        ));
    }
    for s in &d.symptoms {
        let (name, text) = match catalog.measure(&s.code) {
            Some(m) => (
                m.name.clone(),
                m.scale().map_or(s.value.to_string(), |sc| sc.describe(s.value)),
            ),
            None => (s.code.clone(), s.value.to_string()),
        };
        out.push((name, text));
    }
    out.push(("Collection date".to_owned(), d.collected_on.to_string()));
    if !d.note.is_empty() {
        out.push(("Note".to_owned(), d.note.clone()));
    }
    out
}

/// `name: before -> after` for every value that differs.
fn diff(before: &[(String, String)], after: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, b) in before {
        match after.iter().find(|(n, _)| n == name) {
            Some((_, a)) if a != b => out.push(format!("{name}: {b} -> {a}")),
            None => out.push(format!("{name}: {b} -> (removed)")),
            _ => {}
        }
    }
    for (name, a) in after {
        if !before.iter().any(|(n, _)| n == name) {
            out.push(format!("{name}: (none) -> {a}"));
        }
    }
    out
}

fn patient_values(p: &PatientData) -> Vec<(String, String)> {
    vec![
        ("MRN".into(), p.mrn.clone()),
        ("Name".into(), p.name.clone()),
        ("Birth date".into(), p.birth_date.to_string()),
        ("Sex".into(), p.sex.label().into()),
        ("Diagnosis".into(), p.diagnosis.clone()),
        ("Enrolled".into(), p.enrolled.to_string()),
        ("Notes".into(), p.notes.clone()),
    ]
}

fn treatment_values(t: &TreatmentData) -> Vec<(String, String)> {
    vec![
        ("Date".into(), t.date.to_string()),
        ("Kind".into(), t.kind.label().into()),
        ("Product".into(), t.product.clone()),
        ("Dose".into(), t.dose_text()),
        ("Route".into(), t.route.clone()),
        ("Cycle".into(), t.cycle.map_or(String::new(), |c| c.to_string())),
        ("Note".into(), t.note.clone()),
    ]
}

fn adverse_values(e: &AdverseEventData) -> Vec<(String, String)> {
    vec![
        ("Term".into(), e.term.clone()),
        ("Grade".into(), format!("{} ({})", e.grade, grade_meaning(e.grade))),
        ("Onset".into(), e.onset.to_string()),
        (
            "Resolved on".into(),
            e.resolved_on.map_or(String::new(), |d| d.to_string()),
        ),
        ("Serious".into(), if e.serious { "yes" } else { "no" }.into()),
        ("Relation".into(), e.relation.label().into()),
        ("Cycle".into(), e.cycle.map_or(String::new(), |c| format!("C{c}"))),
        ("Action".into(), e.action.label().into()),
        ("Outcome".into(), e.outcome.label().into()),
        ("Note".into(), e.note.clone()),
    ]
}

/// `name: value` for each non-empty value of a created record.
fn listed(values: Vec<(String, String)>) -> Vec<String> {
    values
        .into_iter()
        .filter(|(_, x)| !x.is_empty())
        .map(|(n, x)| format!("{n}: {x}"))
        .collect()
}

/// Describes one audit row.
pub fn describe(
    kind: RecordKind,
    action: AuditAction,
    before: Option<&str>,
    after: Option<&str>,
    catalog: &Catalog,
) -> HistoryLine {
    let v = action.verb();
    match kind {
        RecordKind::Entry => {
            let b: Option<EntryData> = parse(before);
            let a: Option<EntryData> = parse(after);
            let date = a
                .as_ref()
                .or(b.as_ref())
                .map_or(String::new(), |d| d.collected_on.to_string());
            let changes = match (&b, &a) {
                (Some(b), Some(a)) => diff(&entry_values(b, catalog), &entry_values(a, catalog)),
                (None, Some(a)) => entry_values(a, catalog)
                    .into_iter()
                    .map(|(n, x)| format!("{n}: {x}"))
                    .collect(),
                _ => Vec::new(),
            };
            HistoryLine {
                what: format!("Entry of {date} {v}"),
                changes,
            }
        }
        RecordKind::Patient => {
            let b: Option<PatientData> = parse(before);
            let a: Option<PatientData> = parse(after);
            let changes = match (&b, &a) {
                (Some(b), Some(a)) => diff(&patient_values(b), &patient_values(a)),
                _ => Vec::new(),
            };
            let what = if action == AuditAction::Create {
                "Patient registered".to_owned()
            } else {
                format!("Patient details {v}")
            };
            HistoryLine { what, changes }
        }
        RecordKind::Database => HistoryLine {
            what: format!("File {v} from a backup"),
            changes: Vec::new(),
        },
        RecordKind::Assignment => {
            let a: Option<AssignmentData> = parse(after).or(parse(before));
            let what = a.as_ref().map_or(format!("Protocol {v}"), |a| {
                if action == AuditAction::Create {
                    format!("Protocol \"{}\" assigned from {}", a.protocol, a.start)
                } else {
                    format!("Protocol \"{}\" from {} {v}", a.protocol, a.start)
                }
            });
            let changes = match (&a, action) {
                (Some(a), AuditAction::Create) if !a.note.is_empty() => vec![format!("Note: {}", a.note)],
                _ => Vec::new(),
            };
            HistoryLine { what, changes }
        }
        RecordKind::PlanShift => {
            let s: Option<ShiftData> = parse(after);
            let what = s.map_or("Plan shifted".to_owned(), |s| {
                let to = s.planned_on.saturating_add(jiff::Span::new().days(s.days));
                let by = match s.days {
                    d if d > 0 => format!("delayed {d} day{}", if d == 1 { "" } else { "s" }),
                    d => format!("brought forward {} day{}", -d, if d == -1 { "" } else { "s" }),
                };
                format!(
                    "Plan shifted: {} {by}, {} -> {to}, with what follows it",
                    s.item, s.planned_on
                )
            });
            HistoryLine {
                what,
                changes: Vec::new(),
            }
        }
        RecordKind::PlanClosure => {
            let c: Option<crate::protocol::ClosureData> = parse(after);
            HistoryLine {
                what: c.map_or("Visit closed as not done".to_owned(), |c| {
                    format!("{} of {} closed as not done", c.item, c.planned_on)
                }),
                changes: Vec::new(),
            }
        }
        RecordKind::AdverseEvent => {
            let b: Option<AdverseEventData> = parse(before);
            let a: Option<AdverseEventData> = parse(after);
            let label = a
                .as_ref()
                .or(b.as_ref())
                .map_or(String::new(), |e| format!(" {} of {}", e.headline(), e.onset));
            let changes = match (&b, &a) {
                (Some(b), Some(a)) => diff(&adverse_values(b), &adverse_values(a)),
                (None, Some(a)) => listed(adverse_values(a)),
                _ => Vec::new(),
            };
            HistoryLine {
                what: format!("Adverse event{label} {v}"),
                changes,
            }
        }
        RecordKind::NoAdverseEvents => {
            let a: Option<NoEventsData> = parse(after).or(parse(before));
            let on = a.as_ref().map_or(String::new(), |n| format!(" on {}", n.on));
            HistoryLine {
                what: format!("No adverse events since the last visit{on}: {v}"),
                changes: a
                    .filter(|n| !n.note.is_empty())
                    .map(|n| vec![format!("Note: {}", n.note)])
                    .unwrap_or_default(),
            }
        }
        RecordKind::Treatment => {
            let b: Option<TreatmentData> = parse(before);
            let a: Option<TreatmentData> = parse(after);
            let label = a
                .as_ref()
                .or(b.as_ref())
                .map_or(String::new(), |t| format!("{} of {}", t.short_label(), t.date));
            let changes = match (&b, &a) {
                (Some(b), Some(a)) => diff(&treatment_values(b), &treatment_values(a)),
                _ => Vec::new(),
            };
            HistoryLine {
                what: format!("Treatment {label} {v}"),
                changes,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EntryDraft;
    use crate::patient::Sex;
    use jiff::civil::date;

    fn data(values: &[(&str, &str)], note: &str) -> EntryData {
        let catalog = Catalog::builtin().unwrap();
        let mut d = EntryDraft::blank(&catalog, Sex::Male, date(2025, 7, 19), "t");
        for (code, v) in values {
            if let Some(l) = d.labs.iter_mut().find(|l| l.code == *code) {
                l.value = (*v).into();
            } else {
                d.symptoms.iter_mut().find(|s| s.code == *code).unwrap().value = (*v).into();
            }
        }
        d.note = note.into();
        d.validate(&catalog, Sex::Male, date(1970, 1, 1), date(2030, 1, 1))
            .unwrap()
    }

    /// A value confirmed as printed although unusual says so in History.
    #[test]
    fn a_confirmed_unusual_value_says_so() {
        let catalog = Catalog::builtin().unwrap();
        let mut d = EntryDraft::blank(&catalog, Sex::Male, date(2025, 7, 19), "t");
        let alp = d.labs.iter_mut().find(|l| l.code == "alp").unwrap();
        alp.value = "13862".into();
        alp.confirmed = "13862".into();
        let data = d
            .validate(&catalog, Sex::Male, date(1970, 1, 1), date(2030, 1, 1))
            .unwrap();
        let after = serde_json::to_string(&data).unwrap();
        let line = describe(RecordKind::Entry, AuditAction::Create, None, Some(&after), &catalog);
        assert!(
            line.changes.iter().any(
                |c| c == "Alkaline phosphatase: 13862 U/L, high (interval 40 - 130), unusual: confirmed as printed"
            ),
            "{:?}",
            line.changes
        );
    }

    #[test]
    fn an_entry_edit_lists_each_changed_value() {
        let catalog = Catalog::builtin().unwrap();
        let before = serde_json::to_string(&data(&[("bili_total", "12.30"), ("fatigue", "7")], "")).unwrap();
        let after = serde_json::to_string(&data(
            &[("bili_total", "12.03"), ("fatigue", "7"), ("alt", "60")],
            "typo",
        ))
        .unwrap();
        let line = describe(
            RecordKind::Entry,
            AuditAction::Edit,
            Some(&before),
            Some(&after),
            &catalog,
        );
        assert_eq!(line.what, "Entry of 2025-07-19 edited");
        assert_eq!(
            line.changes,
            [
                "Total bilirubin: 12.30 mg/dL, high (interval 0.1 - 1.2) -> 12.03 mg/dL, high (interval 0.1 - 1.2)",
                "ALT (SGPT): (none) -> 60 U/L, high (interval 7 - 55)",
                "Note: (none) -> typo",
            ]
        );
    }

    #[test]
    fn creates_and_voids_read_plainly() {
        let catalog = Catalog::builtin().unwrap();
        let json = serde_json::to_string(&data(&[("jaundice", "1")], "")).unwrap();
        let created = describe(RecordKind::Entry, AuditAction::Create, None, Some(&json), &catalog);
        assert_eq!(created.what, "Entry of 2025-07-19 recorded");
        assert!(
            created.changes.contains(&"Jaundice (skin/eyes): present".to_owned()),
            "{:?}",
            created.changes
        );
        let voided = describe(RecordKind::Entry, AuditAction::Void, Some(&json), None, &catalog);
        assert_eq!(voided.what, "Entry of 2025-07-19 voided");
    }
}
