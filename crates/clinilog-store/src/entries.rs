//! Entries and their observations: record, edit with a reason (the old
//! observations stay under their data version), void with a reason, read.

use rusqlite::{Transaction, params};

use super::audit::Change;
use super::rows::{check_version, parse_date_col, require_reason};
use super::stamp::now_utc;
use super::{Store, StoreError};
use clinilog_domain::catalog::SYMPTOM_UNIT;
use clinilog_domain::history::RecordKind;
use clinilog_domain::{
    Comparator, Decimal, Entry, EntryData, Flag, LabResult, ReferenceInterval, ReferenceSource, SymptomRating,
};

/// One observation row of an entry's values, as both backends write it.
pub(super) struct ObservationRow<'a> {
    pub(super) code: &'a str,
    pub(super) kind: &'static str,
    pub(super) value_text: String,
    pub(super) value: f64,
    pub(super) comparator: Option<&'static str>,
    pub(super) unit: &'a str,
    pub(super) ref_low: Option<&'a str>,
    pub(super) ref_high: Option<&'a str>,
    pub(super) ref_source: Option<&'static str>,
    pub(super) flag: &'static str,
    pub(super) ref_unit: Option<&'a str>,
}

/// The observation rows of an entry's values: labs as printed, with their
/// interval in the value's unit (one unit per line), then symptom ratings.
pub(super) fn observation_rows(data: &EntryData) -> Vec<ObservationRow<'_>> {
    let labs = data.labs.iter().map(|lab| ObservationRow {
        code: &lab.code,
        kind: "lab",
        value_text: lab.value.as_str().to_owned(),
        value: lab.value.value(),
        comparator: lab.comparator.map(Comparator::as_str),
        unit: &lab.unit,
        ref_low: lab.reference.low.as_ref().map(Decimal::as_str),
        ref_high: lab.reference.high.as_ref().map(Decimal::as_str),
        ref_source: Some(lab.reference_source.as_str()),
        flag: lab.flag.interval().letter(),
        ref_unit: Some(&lab.unit),
    });
    let symptoms = data.symptoms.iter().map(|s| ObservationRow {
        code: &s.code,
        kind: "symptom",
        value_text: s.value.to_string(),
        value: f64::from(s.value),
        comparator: None,
        unit: SYMPTOM_UNIT,
        ref_low: None,
        ref_high: None,
        ref_source: None,
        flag: "",
        ref_unit: None,
    });
    labs.chain(symptoms).collect()
}

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
    for o in observation_rows(data) {
        insert.execute(params![
            entry_id,
            data_version,
            patient_id,
            date,
            o.code,
            o.kind,
            o.value_text,
            o.value,
            o.comparator,
            o.unit,
            o.ref_low,
            o.ref_high,
            o.ref_source,
            o.flag,
            o.ref_unit,
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

/// Builds a patient's entries from their rows (newest first) and their
/// current observations' rows: what both backends read the same way.
#[derive(Default)]
pub(super) struct EntryAssembler {
    entries: Vec<Entry>,
    index: std::collections::HashMap<i64, usize>,
}

impl EntryAssembler {
    /// An entry's own row: id, version, date, note, recorded by, recorded at.
    pub(super) fn head(
        &mut self,
        patient_id: i64,
        (id, version, date, note, recorded_by, recorded_at): (i64, i64, &str, String, String, String),
    ) -> Result<(), StoreError> {
        self.index.insert(id, self.entries.len());
        self.entries.push(Entry {
            id,
            patient_id,
            version,
            recorded_at,
            data: EntryData {
                collected_on: parse_date_col(date, "entry")?,
                labs: Vec::new(),
                symptoms: Vec::new(),
                note,
                recorded_by,
            },
        });
        Ok(())
    }

    /// One observation of entry `entry_id`: a symptom rating (`kind`
    /// "symptom", its value in `cols.value_text`) or a lab value.
    pub(super) fn observation(&mut self, entry_id: i64, kind: &str, cols: LabCols<'_>) -> Result<(), StoreError> {
        // Observations of voided entries have no entry here.
        let Some(&i) = self.index.get(&entry_id) else {
            return Ok(());
        };
        let data = &mut self.entries[i].data;
        if kind == "symptom" {
            let value = cols.value_text.parse::<u8>().map_err(|e| StoreError::Corrupt {
                what: "symptom rating",
                detail: format!("\"{}\": {e}", cols.value_text),
            })?;
            data.symptoms.push(SymptomRating {
                code: cols.code.to_owned(),
                value,
            });
        } else {
            data.labs.push(cols.build()?);
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Vec<Entry> {
        self.entries
    }
}

/// The columns of the entries' rows and of their current observations,
/// `$1` the patient (SQLite reads `$1` as its first parameter too).
pub(super) const ENTRY_HEADS_SQL: &str = "SELECT id, version, collected_on, note, recorded_by, recorded_at FROM entries
     WHERE patient_id = $1 AND voided_at IS NULL ORDER BY collected_on DESC, id DESC";
pub(super) const ENTRY_OBSERVATIONS_SQL: &str =
    "SELECT o.entry_id, o.kind, o.measure_code, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high,
         o.ref_source, o.flag, o.ref_unit
     FROM entries e JOIN observations o ON o.entry_id = e.id AND o.entry_version = e.data_version
     WHERE e.patient_id = $1 AND e.voided_at IS NULL ORDER BY o.entry_id, o.id";

/// The patient's entries that are not voided, newest first (a store's
/// connection or an open transaction).
pub(super) fn read_entries(conn: &rusqlite::Connection, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
    let mut out = EntryAssembler::default();
    let mut stmt = conn.prepare(ENTRY_HEADS_SQL)?;
    let mut rows = stmt.query([patient_id])?;
    while let Some(r) = rows.next()? {
        out.head(
            patient_id,
            (r.get(0)?, r.get(1)?, text(r, 2)?, r.get(3)?, r.get(4)?, r.get(5)?),
        )?;
    }
    let mut stmt = conn.prepare(ENTRY_OBSERVATIONS_SQL)?;
    let mut rows = stmt.query([patient_id])?;
    while let Some(r) = rows.next()? {
        out.observation(r.get(0)?, text(r, 1)?, lab_cols(r, 2)?)?;
    }
    Ok(out.finish())
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

/// A lab observation's columns as stored: measure code, value as printed,
/// comparator, unit, interval low and high, interval source, flag,
/// interval unit.
pub(super) struct LabCols<'a> {
    pub(super) code: &'a str,
    pub(super) value_text: &'a str,
    pub(super) comparator: Option<&'a str>,
    pub(super) unit: &'a str,
    pub(super) low: Option<&'a str>,
    pub(super) high: Option<&'a str>,
    pub(super) source: Option<&'a str>,
    pub(super) flag: &'a str,
    pub(super) ref_unit: Option<&'a str>,
}

impl LabCols<'_> {
    /// The lab result these columns hold; only what it keeps is copied.
    pub(super) fn build(&self) -> Result<LabResult, StoreError> {
        let value = decimal(Some(self.value_text), "lab value")?.ok_or_else(|| StoreError::Corrupt {
            what: "lab value",
            detail: "empty".to_owned(),
        })?;
        Ok(LabResult {
            code: self.code.to_owned(),
            comparator: self.comparator.and_then(Comparator::from_str_opt),
            value,
            unit: self.unit.to_owned(),
            reference: ReferenceInterval {
                low: decimal(self.low, "reference interval")?,
                high: decimal(self.high, "reference interval")?,
            },
            reference_source: if self.source == Some("report") {
                ReferenceSource::Report
            } else {
                ReferenceSource::Catalog
            },
            flag: Flag::from_letter(self.flag),
            unit_checked: self.ref_unit == Some(self.unit),
            interval_doubt: false,
            // Kept in the audit row of the save, not in the observation.
            confirmed_unusual: false,
        })
    }
}

/// The columns `first..` of a row, borrowed, in the order of [`LabCols`].
fn lab_cols<'r>(r: &'r rusqlite::Row<'_>, first: usize) -> Result<LabCols<'r>, StoreError> {
    let c = |k: usize| first + k;
    Ok(LabCols {
        code: text(r, c(0))?,
        value_text: text(r, c(1))?,
        comparator: text_opt(r, c(2))?,
        unit: text(r, c(3))?,
        low: text_opt(r, c(4))?,
        high: text_opt(r, c(5))?,
        source: text_opt(r, c(6))?,
        flag: text(r, c(7))?,
        ref_unit: text_opt(r, c(8))?,
    })
}

/// A lab observation from the row's columns `first..` (see [`LabCols`]).
pub(super) fn lab_from_row(r: &rusqlite::Row<'_>, first: usize) -> Result<LabResult, StoreError> {
    lab_cols(r, first)?.build()
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
