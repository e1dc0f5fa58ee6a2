//! Entries and their observations: record, edit with a reason (the old
//! observations stay under their data version), void with a reason, read.

use rusqlite::{Transaction, params};

use super::audit::Change;
use super::rows::{check_version, now_utc, parse_date_col, require_reason};
use super::{Store, StoreError};
use crate::domain::catalog::SYMPTOM_UNIT;
use crate::domain::history::RecordKind;
use crate::domain::{
    Comparator, Decimal, Entry, EntryData, Flag, LabResult, ReferenceInterval, ReferenceSource, SymptomRating,
};

/// Writes the observations of one data version of an entry.
fn insert_observations(
    tx: &Transaction<'_>,
    entry_id: i64,
    data_version: i64,
    patient_id: i64,
    data: &EntryData,
) -> Result<(), StoreError> {
    let date = data.collected_on.to_string();
    let mut insert = tx.prepare_cached(
        "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code, kind,
             value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag, ref_unit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for lab in &data.labs {
        insert.execute(params![
            entry_id,
            data_version,
            patient_id,
            date,
            lab.code,
            "lab",
            lab.value.as_str(),
            lab.value.value(),
            lab.comparator.map(Comparator::as_str),
            lab.unit,
            lab.reference.low.as_ref().map(Decimal::as_str),
            lab.reference.high.as_ref().map(Decimal::as_str),
            lab.reference_source.as_str(),
            lab.flag.letter(),
            // One unit per line: the interval is in the value's unit.
            lab.unit,
        ])?;
    }
    for s in &data.symptoms {
        insert.execute(params![
            entry_id,
            data_version,
            patient_id,
            date,
            s.code,
            "symptom",
            s.value.to_string(),
            f64::from(s.value),
            None::<&str>,
            SYMPTOM_UNIT,
            None::<&str>,
            None::<&str>,
            None::<&str>,
            "",
            None::<&str>,
        ])?;
    }
    Ok(())
}

/// Writes a new entry, its observations and the audit row of its creation
/// (with `reason` when it came from elsewhere, such as an imported file).
/// Gives the entry's id and when it was recorded.
pub(super) fn insert_entry(
    tx: &Transaction<'_>,
    patient_id: i64,
    data: &EntryData,
    user: &str,
    reason: Option<&str>,
) -> Result<(i64, String), StoreError> {
    let recorded_at = now_utc();
    tx.prepare_cached(
        "INSERT INTO entries (patient_id, collected_on, note, recorded_by, recorded_at, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
    )?
    .execute(params![
        patient_id,
        data.collected_on.to_string(),
        data.note,
        data.recorded_by,
        recorded_at,
        user
    ])?;
    let entry_id = tx.last_insert_rowid();
    insert_observations(tx, entry_id, 1, patient_id, data)?;
    Change {
        user,
        kind: RecordKind::Entry,
        row_id: entry_id,
    }
    .created_because(tx, data, reason)?;
    Ok((entry_id, recorded_at))
}

impl Store {
    /// Records an entry with all its observations in one transaction.
    pub fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        let (entry_id, recorded_at) = insert_entry(&tx, patient_id, data, user, None)?;
        tx.commit()?;
        Ok(Entry {
            id: entry_id,
            patient_id,
            version: 1,
            recorded_at,
            data: data.clone(),
        })
    }

    /// Replaces an entry's date, values and note. The old values stay in the
    /// file and in the audit trail; `entry.version` is the version the
    /// editor started from.
    pub fn edit_entry(
        &mut self,
        entry: &Entry,
        data: &EntryData,
        reason: &str,
        user: &str,
    ) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, RecordKind::Entry, entry.id, entry.version)?;
        let now = now_utc();
        tx.execute(
            "UPDATE entries SET collected_on = ?1, note = ?2, recorded_by = ?3, version = version + 1,
                 data_version = data_version + 1, changed_by = ?4, changed_at = ?5
             WHERE id = ?6",
            params![
                data.collected_on.to_string(),
                data.note,
                data.recorded_by,
                user,
                now,
                entry.id
            ],
        )?;
        let (version, data_version): (i64, i64) = tx.query_row(
            "SELECT version, data_version FROM entries WHERE id = ?1",
            [entry.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        insert_observations(&tx, entry.id, data_version, entry.patient_id, data)?;
        Change {
            user,
            kind: RecordKind::Entry,
            row_id: entry.id,
        }
        .edited(&tx, &entry.data, data, &reason)?;
        tx.commit()?;
        Ok(Entry {
            id: entry.id,
            patient_id: entry.patient_id,
            version,
            recorded_at: entry.recorded_at.clone(),
            data: data.clone(),
        })
    }

    /// Voids an entry: it leaves the log and the plots but stays in the
    /// file and the audit trail, with its reason. A voided entry cannot be
    /// voided again.
    pub fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError> {
        let change = Change {
            user,
            kind: RecordKind::Entry,
            row_id: entry.id,
        };
        self.void_record(change, entry.version, &entry.data, reason, "voiding an entry")
    }

    /// The patient's entries that are not voided, newest first.
    pub fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
        read_entries(&self.conn, patient_id)
    }
}

/// The patient's entries that are not voided, newest first (a store's
/// connection or an open transaction).
pub(super) fn read_entries(conn: &rusqlite::Connection, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
    {
        let mut stmt = conn.prepare(
            "SELECT id, version, collected_on, note, recorded_by, recorded_at FROM entries
             WHERE patient_id = ?1 AND voided_at IS NULL ORDER BY collected_on DESC, id DESC",
        )?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut entries = Vec::new();
        let mut index = std::collections::HashMap::new();
        for row in rows {
            let (id, version, date, note, recorded_by, recorded_at) = row?;
            index.insert(id, entries.len());
            entries.push(Entry {
                id,
                patient_id,
                version,
                recorded_at,
                data: EntryData {
                    collected_on: parse_date_col(&date, "entry")?,
                    labs: Vec::new(),
                    symptoms: Vec::new(),
                    note,
                    recorded_by,
                },
            });
        }
        let mut stmt = conn.prepare(
            "SELECT o.entry_id, o.kind, o.measure_code, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high,
                 o.ref_source, o.flag, o.ref_unit
             FROM entries e JOIN observations o ON o.entry_id = e.id AND o.entry_version = e.data_version
             WHERE e.patient_id = ?1 AND e.voided_at IS NULL ORDER BY o.entry_id, o.id",
        )?;
        let mut rows = stmt.query([patient_id])?;
        while let Some(r) = rows.next()? {
            let entry_id: i64 = r.get(0)?;
            // Observations of voided entries have no entry here.
            let Some(&i) = index.get(&entry_id) else {
                continue;
            };
            let data = &mut entries[i].data;
            if text(r, 1)? == "symptom" {
                let value_text = text(r, 3)?;
                let value = value_text.parse::<u8>().map_err(|e| StoreError::Corrupt {
                    what: "symptom rating",
                    detail: format!("\"{value_text}\": {e}"),
                })?;
                data.symptoms.push(SymptomRating {
                    code: text(r, 2)?.to_owned(),
                    value,
                });
            } else {
                data.labs.push(lab_from_row(r, 2)?);
            }
        }
        Ok(entries)
    }
}

/// A text column, borrowed from the row.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, StoreError> {
    r.get_ref(i)?.as_str().map_err(|e| not_text(i, e))
}

/// A text column that may be NULL, borrowed from the row.
fn text_opt<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    r.get_ref(i)?.as_str_or_null().map_err(|e| not_text(i, e))
}

fn not_text(i: usize, e: rusqlite::types::FromSqlError) -> StoreError {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)).into()
}

fn decimal(s: Option<&str>, what: &'static str) -> Result<Option<Decimal>, StoreError> {
    s.map(|t| {
        Decimal::parse(t).map_err(|e| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        })
    })
    .transpose()
}

/// A lab observation from the row's columns `first..`: measure code, value
/// as printed, comparator, unit, interval low and high, interval source,
/// flag, interval unit. Only what the result keeps is copied out of the row.
pub(super) fn lab_from_row(r: &rusqlite::Row<'_>, first: usize) -> Result<LabResult, StoreError> {
    let c = |k: usize| first + k;
    let unit = text(r, c(3))?;
    let value = decimal(Some(text(r, c(1))?), "lab value")?.ok_or_else(|| StoreError::Corrupt {
        what: "lab value",
        detail: "empty".to_owned(),
    })?;
    Ok(LabResult {
        code: text(r, c(0))?.to_owned(),
        comparator: text_opt(r, c(2))?.and_then(Comparator::from_str_opt),
        value,
        unit: unit.to_owned(),
        reference: ReferenceInterval {
            low: decimal(text_opt(r, c(4))?, "reference interval")?,
            high: decimal(text_opt(r, c(5))?, "reference interval")?,
        },
        reference_source: if text_opt(r, c(6))? == Some("report") {
            ReferenceSource::Report
        } else {
            ReferenceSource::Catalog
        },
        flag: Flag::from_letter(text(r, c(7))?),
        unit_checked: text_opt(r, c(8))? == Some(unit),
        interval_doubt: false,
    })
}

/// A patient's latest value of one lab measure.
#[derive(Clone, Debug, PartialEq)]
pub struct LatestLab {
    pub patient_id: i64,
    pub collected_on: jiff::civil::Date,
    pub lab: LabResult,
}

impl Store {
    /// Every patient's latest value of each lab measure (entries that are
    /// not voided, their current data), where that value was flagged low or
    /// high when it was stored, handed to `each` one by one (a large clinic
    /// has hundreds of thousands). One grouped pass over the observations.
    pub fn each_latest_flagged_lab(&self, mut each: impl FnMut(LatestLab)) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            // SQLite takes the bare columns from the row that holds MAX().
            "SELECT patient_id, collected_on, measure_code, value_text, comparator, unit, ref_low, ref_high,
                 ref_source, flag, ref_unit
             FROM (SELECT o.patient_id, MAX(o.collected_on) AS collected_on, o.measure_code, o.value_text,
                       o.comparator, o.unit, o.ref_low, o.ref_high, o.ref_source, o.flag, o.ref_unit
                   FROM observations o
                   JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
                   WHERE e.voided_at IS NULL AND o.kind = 'lab'
                   GROUP BY o.patient_id, o.measure_code)
             WHERE flag <> ''",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(LatestLab {
                patient_id: r.get(0)?,
                collected_on: parse_date_col(text(r, 1)?, "observation")?,
                lab: lab_from_row(r, 2)?,
            });
        }
        Ok(())
    }
}
