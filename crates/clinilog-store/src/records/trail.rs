//! Every record checked against its audit trail: a record is what its
//! audit rows say it is. Each record's current state (every column a
//! clinician sees or a score uses: values as printed, units, intervals,
//! flags, dates, signers, voids) must equal the state its latest audit row
//! holds, its version must count its audited changes, every version of an
//! entry's values must be the values of the audit row that wrote it, and
//! every record the trail names must exist. Run by `clinilog check` and
//! the window's check, on the file and on the server alike.
//!
//! Read a range of ids at a time, records and their audit rows side by
//! side, so that a large clinic is never held in memory whole.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::audit::table_of;
use crate::StoreError;
use crate::sql::{Row, Sql, vals};
use clinilog_domain::adverse::{AdverseEventData, NoEventsData};
use clinilog_domain::history::RecordKind;
use clinilog_domain::protocol::{AssignmentData, ClosureData, ShiftData};
use clinilog_domain::{Catalog, EntryData, Flag, PatientData, TreatmentData};

/// How many ids are read at a time.
const BATCH: i64 = 2000;

/// The first field where a record and its audited state differ: its name,
/// what the record says, what the audit row says.
type Difference = Option<(String, String, String)>;

/// Finds the first [`Difference`] between two states.
type Differ<'a> = &'a dyn Fn(&Json, &Json) -> Difference;

/// An entry's head as the check reads it: version, data version, void, own fields.
type EntryHead = (i64, i64, Option<Option<String>>, EntryData);

/// What the trail says of one record.
#[derive(Default)]
struct Audited {
    /// Each state written (create, then each edit): its JSON and the audit row's `seq`.
    states: Vec<(String, i64)>,
    /// The void, if the record was voided: its reason and `seq`.
    void: Option<(Option<String>, i64)>,
    edits: i64,
}

/// What the records table holds of one record.
struct Held {
    /// The record's state, as the audit rows write it.
    state: Json,
    version: i64,
    /// `Some(reason)` when voided.
    void: Option<Option<String>>,
}

/// The audit rows of records `from..=to` of `kind`, by record.
fn audited(sql: &mut dyn Sql, kind: RecordKind, from: i64, to: i64) -> Result<BTreeMap<i64, Audited>, StoreError> {
    let mut out: BTreeMap<i64, Audited> = BTreeMap::new();
    sql.query(
        "SELECT row_id, action, after_json, reason, seq FROM audit_log
         WHERE table_name = $1 AND row_id >= $2 AND row_id <= $3 ORDER BY row_id, seq, id",
        vals![table_of(kind), from, to],
        &mut |r| {
            let Some(id) = r.int_opt(0)? else { return Ok(()) };
            let a = out.entry(id).or_default();
            let seq = r.int_opt(4)?.unwrap_or(0);
            match r.text(1)? {
                "create" | "edit" => {
                    a.edits += i64::from(r.text(1)? == "edit");
                    a.states.push((r.string_opt(2)?.unwrap_or_default(), seq));
                }
                "void" => a.void = Some((r.string_opt(3)?, seq)),
                _ => {}
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// The highest id of `kind` in its table or in the trail.
fn last_id(sql: &mut dyn Sql, kind: RecordKind) -> Result<i64, StoreError> {
    let table = table_of(kind);
    let records = sql
        .query_opt(&format!("SELECT max(id) FROM {table}"), vals![], |r| r.int_opt(0))?
        .flatten();
    let audited = sql
        .query_opt(
            "SELECT max(row_id) FROM audit_log WHERE table_name = $1",
            vals![table],
            |r| r.int_opt(0),
        )?
        .flatten();
    Ok(records.unwrap_or(0).max(audited.unwrap_or(0)))
}

/// A state as JSON, to be compared field by field.
fn json<T: Serialize>(value: &T) -> Result<Json, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt {
        what: "record",
        detail: e.to_string(),
    })
}

/// An audited state read back as the record's type and written again, so
/// that both sides are spelled alike (`None`: it does not read).
fn audited_state<T: DeserializeOwned + Serialize>(text: &str) -> Option<Json> {
    let value: T = serde_json::from_str(text).ok()?;
    serde_json::to_value(value).ok()
}

/// A shift's or closure's audited state with its reason trimmed, as the
/// record keeps it (older trails hold the reason as typed).
fn trimmed_reason<T: DeserializeOwned + Serialize>(text: &str) -> Option<Json> {
    let mut value: Json = serde_json::from_str(text).ok()?;
    if let Some(Json::String(reason)) = value.get_mut("reason") {
        *reason = reason.trim().to_owned();
    }
    audited_state::<T>(&value.to_string())
}

fn shown(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "nothing".to_owned(),
        Some(Json::String(s)) => format!("\"{s}\""),
        Some(other) => other.to_string(),
    }
}

/// The first field where the record and its audited state differ.
fn first_difference(held: &Json, audited: &Json) -> Difference {
    let (Json::Object(h), Json::Object(a)) = (held, audited) else {
        return (held != audited).then(|| ("state".to_owned(), held.to_string(), audited.to_string()));
    };
    h.keys()
        .chain(a.keys().filter(|k| !h.contains_key(*k)))
        .find(|k| h.get(*k) != a.get(*k))
        .map(|k| (k.replace('_', " "), shown(h.get(k)), shown(a.get(k))))
}

/// Compares one record with its trail: its state, its void, its version
/// (`versioned`: 1 + its edits and void; plans move theirs with their
/// shifts and closures too, so theirs is not counted).
fn judge(
    (kind, id): (RecordKind, i64),
    held: &Held,
    audited: Option<&Audited>,
    reading: fn(&str) -> Option<Json>,
    (versioned, differ): (bool, Differ<'_>),
) -> Option<String> {
    let what = format!("{} {id}", kind.noun());
    // A record without the audit row of its creation is said by the rows'
    // check (`check.rs`).
    let a = audited.filter(|a| !a.states.is_empty())?;
    let (text, seq) = a.states.last()?;
    // A row written by an older Clinilog, in a shape this build no longer
    // reads, cannot be compared: it is left, not called changed.
    let state = reading(text)?;
    if let Some((field, record, trail)) = differ(&held.state, &state) {
        return Some(format!(
            "{what}: {field} is {record} in the record, {trail} in its audit row {seq}: changed without an audit row"
        ));
    }
    match (&held.void, &a.void) {
        // Patients are archived (by no store operation), not voided.
        (Some(_), None) if kind == RecordKind::Patient => {
            return Some(format!(
                "{what} is archived in the record, but no audit row archives it"
            ));
        }
        (Some(_), None) => return Some(format!("{what} is voided in the record, but no audit row voids it")),
        (None, Some((_, seq))) => return Some(format!("{what} is voided by audit row {seq}, but not in the record")),
        (Some(held), Some((trail, seq))) if held.as_deref().map(str::trim) != trail.as_deref().map(str::trim) => {
            return Some(format!(
                "{what}: its void reason is {} in the record, {} in its audit row {seq}",
                shown(held.clone().map(Json::String).as_ref()),
                shown(trail.clone().map(Json::String).as_ref()),
            ));
        }
        _ => {}
    }
    let expected = 1 + a.edits + i64::from(a.void.is_some());
    (versioned && held.version != expected).then(|| {
        format!(
            "{what} is at version {} in the record, but its audit rows write {expected}: changed without an audit row",
            held.version
        )
    })
}

/// Checks every record of one kind, a range of ids at a time. `select`
/// reads records `$1..=$2` by id: the record's id, version and void
/// (reason or NULL) first, then what `read` takes.
fn check_kind(
    sql: &mut dyn Sql,
    kind: RecordKind,
    select: &str,
    read: &dyn Fn(&dyn Row) -> Result<Json, StoreError>,
    reading: fn(&str) -> Option<Json>,
    problems: &mut Vec<String>,
) -> Result<(), StoreError> {
    let last = last_id(sql, kind)?;
    let mut from = 1;
    while from <= last {
        let to = from + BATCH - 1;
        let trail = audited(sql, kind, from, to)?;
        let mut seen = Vec::new();
        sql.query(select, vals![from, to], &mut |r| {
            let id = r.int(0)?;
            let voided = r.text_opt(2)?.is_some();
            let held = Held {
                state: read(r)?,
                version: r.int(1)?,
                void: voided.then(|| r.string_opt(3)).transpose()?,
            };
            let versioned = !matches!(kind, RecordKind::Assignment);
            problems.extend(judge(
                (kind, id),
                &held,
                trail.get(&id),
                reading,
                (versioned, &first_difference),
            ));
            seen.push(id);
            Ok(())
        })?;
        problems.extend(removed(kind, &trail, |id| seen.binary_search(&id).is_ok()));
        from = to + 1;
    }
    Ok(())
}

/// The records the trail names that the table no longer holds (`held`
/// says which it holds).
fn removed<'a>(
    kind: RecordKind,
    trail: &'a BTreeMap<i64, Audited>,
    held: impl Fn(i64) -> bool + 'a,
) -> impl Iterator<Item = String> + 'a {
    trail
        .iter()
        .filter(move |(id, _)| !held(**id))
        .filter_map(move |(id, a)| {
            let (_, seq) = a.states.first()?;
            Some(format!(
                "{} {id} is in its audit row {seq} but not in the records: removed",
                kind.noun()
            ))
        })
}

/// An entry's values as the check compares them: what the observations
/// keep of each (the flag's interval letter; what is kept only in the
/// audit row, such as a confirmed unusual value, left aside).
fn entry_state(mut data: EntryData) -> Result<Json, StoreError> {
    for lab in &mut data.labs {
        lab.flag = Flag::from_letter(lab.flag.interval().letter());
        lab.unit_checked = false;
        lab.interval_doubt = false;
        lab.confirmed_unusual = false;
    }
    json(&data)
}

fn entry_reading(text: &str) -> Option<Json> {
    entry_state(serde_json::from_str(text).ok()?).ok()
}

/// Entries: their own columns, and every data version of their values
/// against the audit row that wrote it (version `k`, the `k`-th create or
/// edit). Names the measure that differs.
fn check_entries(sql: &mut dyn Sql, catalog: &Catalog, problems: &mut Vec<String>) -> Result<(), StoreError> {
    let last = last_id(sql, RecordKind::Entry)?;
    let mut from = 1;
    while from <= last {
        let to = from + BATCH - 1;
        let trail = audited(sql, RecordKind::Entry, from, to)?;
        // Each entry's versions of its values, by entry and version.
        let mut versions: BTreeMap<(i64, i64), EntryData> = BTreeMap::new();
        let mut heads: BTreeMap<i64, EntryHead> = BTreeMap::new();
        sql.query(
            "SELECT id, version, data_version, voided_at, void_reason, collected_on, note, recorded_by FROM entries
             WHERE id >= $1 AND id <= $2 ORDER BY id",
            vals![from, to],
            &mut |r| {
                let data = EntryData {
                    collected_on: super::parse_date_col(r.text(5)?, "entry")?,
                    labs: Vec::new(),
                    symptoms: Vec::new(),
                    note: r.string(6)?,
                    recorded_by: r.string(7)?,
                };
                let void = r.text_opt(3)?.is_some().then(|| r.string_opt(4)).transpose()?;
                heads.insert(r.int(0)?, (r.int(1)?, r.int(2)?, void, data));
                Ok(())
            },
        )?;
        sql.query(
            &format!(
                "SELECT o.entry_id, o.entry_version, o.kind, {} FROM observations o
                 WHERE o.entry_id >= $1 AND o.entry_id <= $2 ORDER BY o.entry_id, o.entry_version, o.id",
                super::entries::LAB_COLUMNS
            ),
            vals![from, to],
            &mut |r| {
                let key = (r.int(0)?, r.int(1)?);
                let data = versions.entry(key).or_insert_with(|| EntryData {
                    collected_on: jiff::civil::Date::constant(2000, 1, 1),
                    labs: Vec::new(),
                    symptoms: Vec::new(),
                    note: String::new(),
                    recorded_by: String::new(),
                });
                super::entries::push_observation(data, r, 2)
            },
        )?;
        for (id, (version, data_version, void, head)) in &heads {
            let what = format!("entry {id}");
            let a = trail.get(id);
            // The entry's own columns with its current values.
            let mut current = head.clone();
            if let Some(values) = versions.get(&(*id, *data_version)) {
                current.labs = values.labs.clone();
                current.symptoms = values.symptoms.clone();
            }
            let held = Held {
                state: entry_state(current)?,
                version: *version,
                void: void.clone(),
            };
            let differ = |h: &Json, a: &Json| entry_difference(h, a, catalog);
            if let Some(p) = judge((RecordKind::Entry, *id), &held, a, entry_reading, (true, &differ)) {
                problems.push(p);
                continue;
            }
            let Some(a) = a else { continue };
            if *data_version != 1 + a.edits {
                problems.push(format!(
                    "{what} shows its values of version {data_version}, but its audit rows write {}: changed \
                     without an audit row",
                    1 + a.edits
                ));
                continue;
            }
            // Every earlier version of its values, against the row that wrote it.
            for (k, (text, seq)) in a.states.iter().enumerate() {
                let stored = versions.get(&(*id, k as i64 + 1));
                let Some(trail) = serde_json::from_str::<EntryData>(text).ok() else {
                    continue;
                };
                let values = |d: Option<&EntryData>| {
                    d.map(|d| {
                        let mut d = d.clone();
                        d.note.clear();
                        d.recorded_by.clear();
                        d.collected_on = jiff::civil::Date::constant(2000, 1, 1);
                        entry_state(d)
                    })
                    .transpose()
                };
                let (held, audited) = (values(stored)?, values(Some(&trail))?);
                if held != audited {
                    let (field, record, written) = match (&held, &audited) {
                        (Some(h), Some(a)) => entry_difference(h, a, catalog).unwrap_or_default(),
                        _ => ("its values".to_owned(), "nothing".to_owned(), "values".to_owned()),
                    };
                    problems.push(format!(
                        "{what}, version {} of its values: {field} is {record} in the record, {written} in its \
                         audit row {seq}: changed without an audit row",
                        k + 1
                    ));
                }
            }
        }
        problems.extend(removed(RecordKind::Entry, &trail, |id| heads.contains_key(&id)));
        from = to + 1;
    }
    Ok(())
}

/// An entry's values side by side: its own fields, then each value by
/// its measure's name ("Total bilirubin value", "ALT interval high"), a
/// value in one and not the other said as such.
fn entry_difference(held: &Json, audited: &Json, catalog: &Catalog) -> Difference {
    for key in ["collected_on", "note", "recorded_by"] {
        if held.get(key) != audited.get(key) {
            return Some((key.replace('_', " "), shown(held.get(key)), shown(audited.get(key))));
        }
    }
    let name = |code: &str| catalog.measure(code).map_or(code.to_owned(), |m| m.name.clone());
    for list in ["labs", "symptoms"] {
        let (h, a) = (values_by_code(held, list), values_by_code(audited, list));
        for (code, hv) in &h {
            let Some((_, av)) = a.iter().find(|(c, _)| c == code) else {
                return Some((name(code), described(hv), "nothing".to_owned()));
            };
            if let Some((field, x, y)) = hv
                .iter()
                .find(|(f, v)| av.iter().find(|(g, _)| g == f).map(|(_, w)| w) != Some(v))
                .map(|(f, v)| {
                    let other = av
                        .iter()
                        .find(|(g, _)| g == f)
                        .map_or("nothing".to_owned(), |(_, w)| w.clone());
                    (f, v.clone(), other)
                })
            {
                return Some((format!("{} {field}", name(code)), x, y));
            }
        }
        if let Some((code, av)) = a.iter().find(|(c, _)| !h.iter().any(|(d, _)| d == c)) {
            return Some((name(code), "nothing".to_owned(), described(av)));
        }
    }
    None
}

/// The values of one list (`labs`, `symptoms`) by measure code, each as
/// its fields shown: value, comparator, unit, interval, interval source, flag.
fn values_by_code(entry: &Json, list: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let Some(Json::Array(items)) = entry.get(list) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|v| {
            let code = v.get("code").and_then(Json::as_str).unwrap_or_default().to_owned();
            let reference = v.get("reference");
            let fields = [
                ("value", v.get("value")),
                ("comparator", v.get("comparator")),
                ("unit", v.get("unit")),
                ("interval low", reference.and_then(|r| r.get("low"))),
                ("interval high", reference.and_then(|r| r.get("high"))),
                ("interval source", v.get("reference_source")),
                ("flag", v.get("flag")),
            ];
            (code, fields.into_iter().map(|(f, x)| (f, shown(x))).collect())
        })
        .collect()
}

/// A value as a clinician reads it: `"12.30" "mg/dL"`.
fn described(fields: &[(&'static str, String)]) -> String {
    fields
        .iter()
        .filter(|(f, v)| matches!(*f, "value" | "unit") && v != "nothing")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every record against its trail (see the module's text).
pub(crate) fn trail_problems(sql: &mut dyn Sql, catalog: &Catalog) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    check_kind(
        sql,
        RecordKind::Patient,
        &format!(
            // No store operation archives a patient: one archived is one
            // hidden from the list without an audit row.
            "SELECT id, version, CASE WHEN archived <> 0 THEN 'archived' END, CAST(NULL AS TEXT), {} FROM patients
             WHERE id >= $1 AND id <= $2 ORDER BY id",
            super::patients::PATIENT_COLUMNS
        ),
        &|r| json(&super::patients::build_patient(&Offset(r, 4))?.data),
        audited_state::<PatientData>,
        &mut problems,
    )?;
    check_entries(sql, catalog, &mut problems)?;
    check_kind(
        sql,
        RecordKind::Treatment,
        &format!(
            "SELECT id, version, voided_at, void_reason, {}, patient_id FROM treatment_events
             WHERE id >= $1 AND id <= $2 ORDER BY id",
            super::treatments::TREATMENT_COLUMNS
        ),
        &|r| json(&super::treatments::build_treatment(0, &Offset(r, 4))?.data),
        audited_state::<TreatmentData>,
        &mut problems,
    )?;
    check_kind(
        sql,
        RecordKind::AdverseEvent,
        &format!(
            "SELECT id, version, voided_at, void_reason, {} FROM adverse_events
             WHERE id >= $1 AND id <= $2 ORDER BY id",
            super::adverse::ADVERSE_COLUMNS
        ),
        &|r| json(&super::adverse::build_adverse_event(0, &Offset(r, 4))?.data),
        audited_state::<AdverseEventData>,
        &mut problems,
    )?;
    check_kind(
        sql,
        RecordKind::NoAdverseEvents,
        "SELECT id, version, voided_at, void_reason, id, version, on_date, note, recorded_by FROM no_adverse_events
         WHERE id >= $1 AND id <= $2 ORDER BY id",
        &|r| json(&super::adverse::build_no_events(0, &Offset(r, 4))?.data),
        audited_state::<NoEventsData>,
        &mut problems,
    )?;
    check_kind(
        sql,
        RecordKind::Assignment,
        &format!(
            "SELECT a.id, a.version, a.voided_at, a.void_reason, {} FROM protocol_assignments a
             WHERE a.id >= $1 AND a.id <= $2 ORDER BY a.id",
            super::protocols::ASSIGNMENT_COLUMNS
        ),
        &|r| json(&super::protocols::build_assignment(&Offset(r, 4))?.data),
        audited_state::<AssignmentData>,
        &mut problems,
    )?;
    check_kind(
        sql,
        RecordKind::PlanShift,
        "SELECT id, 1, CAST(NULL AS TEXT), CAST(NULL AS TEXT), item, planned_on, days, reason, recorded_by
         FROM plan_shifts WHERE id >= $1 AND id <= $2 ORDER BY id",
        &|r| json(&super::protocols::build_shift(r, 4)?),
        trimmed_reason::<ShiftData>,
        &mut problems,
    )?;
    check_kind(
        sql,
        RecordKind::PlanClosure,
        "SELECT id, 1, CAST(NULL AS TEXT), CAST(NULL AS TEXT), item, planned_on, reason, recorded_by
         FROM plan_closures WHERE id >= $1 AND id <= $2 ORDER BY id",
        &|r| json(&super::protocols::build_closure(r, 4)?),
        trimmed_reason::<ClosureData>,
        &mut problems,
    )?;
    Ok(problems)
}

/// A row read from column `1` on: what a builder that reads from column 0
/// sees of a row that starts with other columns.
struct Offset<'a>(&'a dyn Row, usize);

impl Row for Offset<'_> {
    fn cell(&self, i: usize) -> Result<crate::sql::Cell<'_>, StoreError> {
        self.0.cell(i + self.1)
    }
}
