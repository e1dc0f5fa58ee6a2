//! The pure models of the patient screen: the Log table (one column per
//! measure recorded for this patient, scores first, entries newest first)
//! and the History rows. Built when the patient is loaded or the units or
//! carry days change; drawn by `mod.rs` without a query.

use jiff::civil::Date;

use clinilog_domain::catalog::{UnitSystem, display_unit};
use clinilog_domain::history::describe;
use clinilog_domain::score_inputs::EntryScores;
use clinilog_domain::scores::ScoreKind;
use clinilog_domain::{Catalog, Entry, Flag, Origin, Patient};
use clinilog_store::{AuditRecord, local_time};

/// One cell of the log table.
#[derive(Clone, Debug, PartialEq)]
pub struct LogCell {
    pub text: String,
    pub flag: Flag,
    pub calculated: bool,
    /// Why a score is missing, or which inputs were carried.
    pub hover: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    pub entry_id: i64,
    pub date: Date,
    pub cells: Vec<Option<LogCell>>,
    pub note: String,
    pub recorded_by: String,
}

/// The Log tab's table: a column per score this patient has at least once,
/// then one per measure ever recorded for this patient (catalog order, unit
/// in the header), entries newest first. Scores never computed for this
/// patient collapse into one note that says what they lack, instead of
/// columns of `-` before the first value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogModel {
    pub headers: Vec<String>,
    /// The scores with a column (the first `score_kinds.len()` headers).
    pub score_kinds: Vec<ScoreKind>,
    /// `MELD, MELD-Na: need INR, creatinine (mg/dL)`, one line per set of
    /// missing inputs, for the scores without a column.
    pub missing_scores: Vec<String>,
    pub rows: Vec<LogRow>,
}

/// The scores computed for at least one entry, and a line per group of
/// the others saying what they need (from the newest entry).
fn score_columns(scores: &[EntryScores]) -> (Vec<ScoreKind>, Vec<String>) {
    let shown: Vec<ScoreKind> = ScoreKind::ALL
        .into_iter()
        .filter(|k| scores.iter().any(|s| matches!(s.result(*k), Some(Ok(_)))))
        .collect();
    let mut needs: Vec<(String, Vec<&'static str>)> = Vec::new();
    for kind in ScoreKind::ALL.into_iter().filter(|k| !shown.contains(k)) {
        let need = match scores.first().and_then(|s| s.result(kind)) {
            Some(Err(clinilog_domain::scores::ScoreError::Missing { missing, .. })) => {
                missing.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ")
            }
            Some(Err(e)) => e.to_string(),
            _ => "no entry yet".to_owned(),
        };
        match needs.iter_mut().find(|(n, _)| *n == need) {
            Some((_, kinds)) => kinds.push(kind.label()),
            None => needs.push((need, vec![kind.label()])),
        }
    }
    let lines = needs
        .into_iter()
        .map(|(need, kinds)| {
            let verb = if kinds.len() == 1 { "needs" } else { "need" };
            format!("{} {verb} {need}", kinds.join(", "))
        })
        .collect();
    (shown, lines)
}

impl LogModel {
    /// `scores` are the entries' scores, in the same order as `entries`.
    pub fn build(
        entries: &[Entry],
        catalog: &Catalog,
        patient: &Patient,
        scores: &[EntryScores],
        units: UnitSystem,
    ) -> Self {
        let sex = patient.data.sex;
        // Every value in the unit of the display preference.
        let per_entry: Vec<Vec<_>> = entries
            .iter()
            .map(|e| {
                e.data
                    .lab_values(catalog, sex)
                    .into_iter()
                    .map(|(lab, origin)| match catalog.measure(&lab.code).and_then(|m| m.lab()) {
                        Some(spec) => (lab.in_unit(spec, spec.unit_for(units)), origin),
                        None => (lab.into_owned(), origin),
                    })
                    .collect()
            })
            .collect();
        let mut codes: Vec<&str> = Vec::new();
        for values in &per_entry {
            for (lab, _) in values {
                if !codes.contains(&lab.code.as_str()) {
                    codes.push(&lab.code);
                }
            }
        }
        for e in entries {
            for s in &e.data.symptoms {
                if !codes.contains(&s.code.as_str()) {
                    codes.push(&s.code);
                }
            }
        }
        codes.sort_by_key(|c| catalog.order_of(c));
        // Scores first: they are what a decision looks at.
        let (score_kinds, missing_scores) = score_columns(scores);
        let headers = score_kinds
            .iter()
            .map(|k| k.label().to_owned())
            .chain(codes.iter().map(|c| {
                catalog.measure(c).map_or_else(
                    || (*c).to_owned(),
                    |m| match m.lab() {
                        Some(spec) => format!("{} ({})", m.name, display_unit(spec.unit_for(units))),
                        None => m.label_with_unit(),
                    },
                )
            }))
            .collect();
        let rows = entries
            .iter()
            .zip(&per_entry)
            .enumerate()
            .map(|(i, (e, values))| LogRow {
                entry_id: e.id,
                date: e.data.collected_on,
                cells: score_kinds
                    .iter()
                    .map(|kind| score_cell(scores.get(i), *kind))
                    .chain(codes.iter().map(|code| {
                        if let Some((lab, origin)) = values.iter().find(|(l, _)| l.code == *code) {
                            let calculated = *origin == Origin::Calculated;
                            return Some(LogCell {
                                text: if calculated {
                                    format!("{} (calc.)", lab.display())
                                } else {
                                    lab.display()
                                },
                                flag: lab.flag,
                                calculated,
                                hover: lab.doubt_note(),
                            });
                        }
                        let value = e.data.symptom(code)?;
                        let scale = catalog.measure(code).and_then(|m| m.scale())?;
                        Some(LogCell {
                            text: scale.short(value),
                            flag: Flag::Normal,
                            calculated: false,
                            hover: None,
                        })
                    }))
                    .collect(),
                note: e.data.note.clone(),
                recorded_by: e.data.recorded_by.clone(),
            })
            .collect();
        Self {
            headers,
            score_kinds,
            missing_scores,
            rows,
        }
    }
}

/// A score cell: the value and class, or "-" with the missing inputs on hover.
fn score_cell(scores: Option<&EntryScores>, kind: ScoreKind) -> Option<LogCell> {
    let result = scores?.result(kind)?;
    Some(match result {
        Ok(r) => {
            let carried: Vec<String> = scores?
                .carried()
                .iter()
                .map(|u| format!("{} {} ({})", u.name, u.value, u.source.describe()))
                .collect();
            LogCell {
                text: r.display(),
                flag: Flag::Normal,
                calculated: true,
                hover: Some(if carried.is_empty() {
                    r.version.to_owned()
                } else {
                    format!("{}\nCarried: {}", r.version, carried.join("; "))
                }),
            }
        }
        Err(e) => LogCell {
            text: "-".to_owned(),
            flag: Flag::Normal,
            calculated: false,
            hover: Some(e.to_string()),
        },
    })
}

/// One row of the History tab, built when the patient is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub changes: Vec<String>,
    pub reason: String,
}

impl HistoryRow {
    pub fn build(records: &[AuditRecord], catalog: &Catalog) -> Vec<Self> {
        records
            .iter()
            .rev()
            .map(|a| {
                let line = describe(
                    a.kind,
                    a.action,
                    a.before_json.as_deref(),
                    a.after_json.as_deref(),
                    catalog,
                );
                HistoryRow {
                    when: local_time(&a.at_utc),
                    who: a.user.clone(),
                    what: line.what,
                    changes: line.changes,
                    reason: a.reason.clone().unwrap_or_default(),
                }
            })
            .collect()
    }
}
