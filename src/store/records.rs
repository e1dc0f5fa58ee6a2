//! Repositories: patients, entries with their observations, treatment
//! events and the audit trail. Each write is one transaction that also
//! appends its audit row.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::domain::catalog::SYMPTOM_UNIT;
use crate::domain::{
    Comparator, Decimal, Entry, EntryData, Flag, LabResult, Patient, PatientData, ReferenceInterval, ReferenceSource,
    Sex, SymptomRating, TreatmentData, TreatmentEvent, TreatmentKind,
};

/// A row of the patients list.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientSummary {
    pub patient: Patient,
    pub last_entry: Option<Date>,
    pub entry_count: i64,
}

/// One row of the audit trail.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub at_utc: String,
    pub user: String,
    pub action: String,
    pub table: String,
    pub row_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
}

pub(super) fn now_utc() -> String {
    Timestamp::now().to_string()
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what: "audit record",
        detail: e.to_string(),
    })
}

pub(super) struct Audit<'a> {
    pub(super) user: &'a str,
    pub(super) action: &'a str,
    pub(super) table: &'a str,
    pub(super) row_id: i64,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
    pub(super) reason: Option<&'a str>,
}

pub(super) fn append_audit(tx: &Transaction<'_>, a: Audit<'_>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (at_utc, user, action, table_name, row_id, before_json, after_json, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            now_utc(),
            a.user,
            a.action,
            a.table,
            a.row_id,
            a.before,
            a.after,
            a.reason
        ],
    )?;
    Ok(())
}

/// Writes the observations of one data version of an entry.
pub(super) fn insert_observations(
    tx: &Transaction<'_>,
    entry_id: i64,
    data_version: i64,
    patient_id: i64,
    data: &EntryData,
) -> Result<(), StoreError> {
    let date = data.collected_on.to_string();
    let mut insert = tx.prepare(
        "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code, kind,
             value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
        ])?;
    }
    Ok(())
}

/// A write to `patients` that broke the unique MRN says so by name.
pub(super) fn mrn_taken(result: rusqlite::Result<usize>, mrn: &str) -> Result<usize, StoreError> {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(StoreError::DuplicateMrn(mrn.to_owned()))
        }
        other => Ok(other?),
    }
}

pub(super) fn parse_date_col(s: &str, what: &'static str) -> Result<Date, StoreError> {
    s.parse::<Date>().map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("date \"{s}\": {e}"),
    })
}

pub(super) fn decimal_col(s: Option<String>, what: &'static str) -> Result<Option<Decimal>, StoreError> {
    s.map(|t| {
        Decimal::parse(&t).map_err(|e| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        })
    })
    .transpose()
}

pub(super) fn require_user(user: &str) -> Result<(), StoreError> {
    if user.trim().is_empty() {
        return Err(StoreError::Corrupt {
            what: "write",
            detail: "every write needs the name of who records it".to_owned(),
        });
    }
    Ok(())
}

/// The columns `audit_from_row` reads, in its order.
pub(super) const AUDIT_COLUMNS: &str = "at_utc, user, action, table_name, row_id, before_json, after_json, reason";

pub(super) fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        at_utc: r.get(0)?,
        user: r.get(1)?,
        action: r.get(2)?,
        table: r.get(3)?,
        row_id: r.get(4)?,
        before_json: r.get(5)?,
        after_json: r.get(6)?,
        reason: r.get(7)?,
    })
}

pub(super) const PATIENT_COLUMNS: &str =
    "id, version, archived, mrn, name, birth_date, sex, diagnosis, enrolled, notes";

pub(super) fn patient_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, i64, bool, [String; 7])> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        [
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
        ],
    ))
}

pub(super) fn build_patient(
    (id, version, archived, cols): (i64, i64, bool, [String; 7]),
) -> Result<Patient, StoreError> {
    let [mrn, name, birth, sex, diagnosis, enrolled, notes] = cols;
    Ok(Patient {
        id,
        version,
        archived,
        data: PatientData {
            mrn,
            name,
            birth_date: parse_date_col(&birth, "patient")?,
            sex: Sex::from_str_opt(&sex).ok_or_else(|| StoreError::Corrupt {
                what: "patient",
                detail: format!("sex \"{sex}\""),
            })?,
            diagnosis,
            enrolled: parse_date_col(&enrolled, "patient")?,
            notes,
        },
    })
}

impl Store {
    /// Registers a patient. A taken MRN is refused.
    pub fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError> {
        require_user(user)?;
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO patients (mrn, name, birth_date, sex, diagnosis, enrolled, notes, created_at,
                 changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
            params![
                data.mrn,
                data.name,
                data.birth_date.to_string(),
                data.sex.as_str(),
                data.diagnosis,
                data.enrolled.to_string(),
                data.notes,
                now_utc(),
                user
            ],
        );
        mrn_taken(inserted, &data.mrn)?;
        let id = tx.last_insert_rowid();
        append_audit(
            &tx,
            Audit {
                user,
                action: "create",
                table: "patients",
                row_id: id,
                before: None,
                after: Some(to_json(data)?),
                reason: None,
            },
        )?;
        tx.commit()?;
        self.patient(id)
    }

    pub fn patient(&self, id: i64) -> Result<Patient, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = ?1"),
                [id],
                patient_from_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "patient",
                id: id.to_string(),
            })?;
        build_patient(row)
    }

    pub fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE mrn = ?1"),
                [mrn],
                patient_from_row,
            )
            .optional()?
            .map(build_patient)
            .transpose()
    }

    /// Every patient not archived, by name, with the date of the last entry.
    pub fn patient_summaries(&self) -> Result<Vec<PatientSummary>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PATIENT_COLUMNS},
                (SELECT MAX(collected_on) FROM entries e WHERE e.patient_id = p.id AND e.voided_at IS NULL),
                (SELECT COUNT(*) FROM entries e WHERE e.patient_id = p.id AND e.voided_at IS NULL)
             FROM patients p WHERE archived = 0 ORDER BY name COLLATE NOCASE, mrn"
        ))?;
        let rows = stmt.query_map([], |row| {
            Ok((
                patient_from_row(row)?,
                row.get::<_, Option<String>>(10)?,
                row.get::<_, i64>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (p, last, count) = row?;
            out.push(PatientSummary {
                patient: build_patient(p)?,
                last_entry: last.map(|s| parse_date_col(&s, "entry")).transpose()?,
                entry_count: count,
            });
        }
        Ok(out)
    }

    /// Records an entry with all its observations in one transaction.
    pub fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError> {
        require_user(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        let recorded_at = now_utc();
        tx.execute(
            "INSERT INTO entries (patient_id, collected_on, note, recorded_by, recorded_at, changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
            params![
                patient_id,
                data.collected_on.to_string(),
                data.note,
                data.recorded_by,
                recorded_at,
                user
            ],
        )?;
        let entry_id = tx.last_insert_rowid();
        insert_observations(&tx, entry_id, 1, patient_id, data)?;
        append_audit(
            &tx,
            Audit {
                user,
                action: "create",
                table: "entries",
                row_id: entry_id,
                before: None,
                after: Some(to_json(data)?),
                reason: None,
            },
        )?;
        tx.commit()?;
        Ok(Entry {
            id: entry_id,
            patient_id,
            version: 1,
            recorded_at,
            data: data.clone(),
        })
    }

    /// The patient's entries that are not voided, newest first.
    pub fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self.conn.prepare(
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
        let mut stmt = self.conn.prepare(
            "SELECT o.entry_id, o.measure_code, o.kind, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high,
                 o.ref_source, o.flag
             FROM observations o JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
             WHERE o.patient_id = ?1 ORDER BY o.id",
        )?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, String>(9)?,
            ))
        })?;
        for row in rows {
            let (entry_id, code, kind, value_text, comparator, unit, low, high, source, flag) = row?;
            // Observations of voided entries have no entry here.
            let Some(&i) = index.get(&entry_id) else {
                continue;
            };
            let data = &mut entries[i].data;
            if kind == "symptom" {
                let value = value_text.parse::<u8>().map_err(|e| StoreError::Corrupt {
                    what: "symptom rating",
                    detail: format!("\"{value_text}\": {e}"),
                })?;
                data.symptoms.push(SymptomRating { code, value });
            } else {
                data.labs.push(LabResult {
                    code,
                    comparator: comparator.as_deref().and_then(Comparator::from_str_opt),
                    value: decimal_col(Some(value_text), "lab value")?.unwrap_or_else(|| Decimal::from_plain(0.0)),
                    unit,
                    reference: ReferenceInterval {
                        low: decimal_col(low, "reference interval")?,
                        high: decimal_col(high, "reference interval")?,
                    },
                    reference_source: if source.as_deref() == Some("report") {
                        ReferenceSource::Report
                    } else {
                        ReferenceSource::Catalog
                    },
                    flag: Flag::from_letter(&flag),
                });
            }
        }
        Ok(entries)
    }

    pub fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        require_user(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO treatment_events (patient_id, date, kind, product, dose, dose_unit, route, cycle, note,
                 recorded_by, recorded_at, changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11)",
            params![
                patient_id,
                data.date.to_string(),
                data.kind.as_str(),
                data.product,
                data.dose.as_ref().map(Decimal::as_str),
                data.dose_unit,
                data.route,
                data.cycle,
                data.note,
                data.recorded_by,
                now_utc(),
                user
            ],
        )?;
        let id = tx.last_insert_rowid();
        append_audit(
            &tx,
            Audit {
                user,
                action: "create",
                table: "treatment_events",
                row_id: id,
                before: None,
                after: Some(to_json(data)?),
                reason: None,
            },
        )?;
        tx.commit()?;
        Ok(TreatmentEvent {
            id,
            patient_id,
            version: 1,
            data: data.clone(),
        })
    }

    /// The patient's treatment events that are not voided, oldest first.
    pub fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, version, date, kind, product, dose, dose_unit, route, cycle, note, recorded_by
             FROM treatment_events WHERE patient_id = ?1 AND voided_at IS NULL ORDER BY date, id",
        )?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<u32>>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, version, date, kind, product, dose, dose_unit, route, cycle, note, recorded_by) = row?;
            out.push(TreatmentEvent {
                id,
                patient_id,
                version,
                data: TreatmentData {
                    date: parse_date_col(&date, "treatment event")?,
                    kind: TreatmentKind::from_str_opt(&kind).unwrap_or(TreatmentKind::Other),
                    product,
                    dose: decimal_col(dose, "treatment dose")?,
                    dose_unit,
                    route,
                    cycle,
                    note,
                    recorded_by,
                },
            });
        }
        Ok(out)
    }

    /// The audit trail, oldest first; for one table and row when given.
    pub fn audit_log(&self, table_row: Option<(&str, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
        let columns = format!("SELECT {AUDIT_COLUMNS} FROM audit_log");
        let to_record = audit_from_row;
        let records = match table_row {
            Some((table, row)) => {
                let mut stmt = self
                    .conn
                    .prepare(&format!("{columns} WHERE table_name = ?1 AND row_id = ?2 ORDER BY id"))?;
                stmt.query_map(params![table, row], to_record)?
                    .collect::<Result<_, _>>()?
            }
            None => {
                let mut stmt = self.conn.prepare(&format!("{columns} ORDER BY id"))?;
                stmt.query_map([], to_record)?.collect::<Result<_, _>>()?
            }
        };
        Ok(records)
    }

    /// Patients (archived ones too) with their entries oldest first, for
    /// export; one patient when `mrn` is given.
    pub fn patients_with_entries(&self, mrn: Option<&str>) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError> {
        let patients = match mrn {
            Some(mrn) => vec![self.patient_by_mrn(mrn)?.ok_or_else(|| StoreError::NotFound {
                what: "patient with MRN",
                id: mrn.to_owned(),
            })?],
            None => {
                let mut stmt = self
                    .conn
                    .prepare(&format!("SELECT {PATIENT_COLUMNS} FROM patients ORDER BY mrn"))?;
                let rows = stmt.query_map([], patient_from_row)?.collect::<Result<Vec<_>, _>>()?;
                rows.into_iter().map(build_patient).collect::<Result<_, _>>()?
            }
        };
        patients
            .into_iter()
            .map(|p| {
                let mut entries = self.entries(p.id)?;
                entries.reverse();
                Ok((p, entries))
            })
            .collect()
    }
}
