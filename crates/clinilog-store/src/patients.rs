//! Patients: register, read, list, and edit details with a reason. The
//! previous details stay in the audit trail.

use jiff::civil::Date;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params_from_iter};

use super::audit::Change;
use super::rows::{check_version, parse_date_col, require_reason};
use super::stamp::now_utc;
use super::{Store, StoreError};
use clinilog_domain::history::RecordKind;
use clinilog_domain::{Entry, Patient, PatientData, Sex};

/// A row of the patients list.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientSummary {
    pub patient: Patient,
    pub last_entry: Option<Date>,
    pub entry_count: i64,
}

/// The columns `patient_from_row` reads, in its order.
pub(super) const PATIENT_COLUMNS: &str =
    "id, version, archived, mrn, name, birth_date, sex, diagnosis, enrolled, notes";

pub(super) type RawPatient = (i64, i64, bool, [String; 7]);

fn patient_from_row(row: &Row<'_>) -> rusqlite::Result<RawPatient> {
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

pub(super) fn build_patient((id, version, archived, cols): RawPatient) -> Result<Patient, StoreError> {
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

/// The patient's details in the column order of `mrn, name, birth_date,
/// sex, diagnosis, enrolled, notes` (both the insert and the update).
pub(super) fn data_values(d: &PatientData) -> [Value; 7] {
    [
        d.mrn.clone().into(),
        d.name.clone().into(),
        d.birth_date.to_string().into(),
        d.sex.as_str().to_owned().into(),
        d.diagnosis.clone().into(),
        d.enrolled.to_string().into(),
        d.notes.clone().into(),
    ]
}

/// The patient with this MRN (a store's connection or an open transaction).
pub(super) fn patient_by_mrn(conn: &rusqlite::Connection, mrn: &str) -> Result<Option<Patient>, StoreError> {
    conn.prepare_cached(&format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE mrn = ?1"))?
        .query_row([mrn], patient_from_row)
        .optional()?
        .map(build_patient)
        .transpose()
}

/// Registers a patient inside an open transaction, with the audit row of
/// its creation (`reason` says where it came from when not typed).
pub(super) fn insert_patient(
    tx: &rusqlite::Transaction<'_>,
    data: &PatientData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let inserted = tx.execute(
        "INSERT INTO patients (mrn, name, birth_date, sex, diagnosis, enrolled, notes, created_at,
             changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
        params_from_iter(
            data_values(data)
                .into_iter()
                .chain([now_utc().into(), user.to_owned().into()]),
        ),
    );
    mrn_taken(inserted, &data.mrn)?;
    let id = tx.last_insert_rowid();
    Change {
        user,
        kind: RecordKind::Patient,
        row_id: id,
    }
    .created_because(tx, data, reason)?;
    Ok(id)
}

/// A write to `patients` that broke the unique MRN says so by name.
fn mrn_taken(result: rusqlite::Result<usize>, mrn: &str) -> Result<usize, StoreError> {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(StoreError::DuplicateMrn(mrn.to_owned()))
        }
        other => Ok(other?),
    }
}

impl Store {
    /// Registers a patient. A taken MRN is refused.
    pub fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError> {
        self.may_write(user)?;
        let tx = self.conn.transaction()?;
        let id = insert_patient(&tx, data, user, None)?;
        tx.commit()?;
        self.patient(id)
    }

    /// Changes a patient's details; the previous details stay in the audit trail.
    pub fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, RecordKind::Patient, patient.id, patient.version)?;
        let updated = tx.execute(
            "UPDATE patients SET mrn = ?1, name = ?2, birth_date = ?3, sex = ?4, diagnosis = ?5, enrolled = ?6,
                 notes = ?7, version = version + 1, changed_by = ?8, changed_at = ?9
             WHERE id = ?10",
            params_from_iter(data_values(data).into_iter().chain([
                user.to_owned().into(),
                now_utc().into(),
                patient.id.into(),
            ])),
        );
        mrn_taken(updated, &data.mrn)?;
        Change {
            user,
            kind: RecordKind::Patient,
            row_id: patient.id,
        }
        .edited(&tx, &patient.data, data, &reason)?;
        let row = tx.query_row(
            &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = ?1"),
            [patient.id],
            patient_from_row,
        )?;
        tx.commit()?;
        build_patient(row)
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
        patient_by_mrn(&self.conn, mrn)
    }

    /// How many patients are not archived.
    pub fn patient_count(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM patients WHERE archived = 0", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Every patient not archived, handed to `each` in the order they were
    /// registered (by id), streamed from the table.
    pub fn each_patient(&self, mut each: impl FnMut(Patient)) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PATIENT_COLUMNS} FROM patients WHERE archived = 0 ORDER BY id"
        ))?;
        for p in stmt.query_map([], patient_from_row)? {
            each(build_patient(p?)?);
        }
        Ok(())
    }

    /// For each patient with entries (not voided): the patient's id, the
    /// date of the last entry and the count, by patient id. One grouped
    /// pass that SQLite streams from the entries' index (no temporary
    /// index or sort), not two subqueries per patient.
    pub fn each_entry_summary(&self, mut each: impl FnMut(i64, Date, i64)) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT patient_id, MAX(collected_on), COUNT(*) FROM entries WHERE voided_at IS NULL
             GROUP BY patient_id ORDER BY patient_id",
        )?;
        let groups = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        for g in groups {
            let (id, last, count) = g?;
            each(id, parse_date_col(&last, "entry")?, count);
        }
        Ok(())
    }

    /// Every patient not archived, by id, with the date of the last entry
    /// and the number of entries.
    pub fn patient_summaries(&self) -> Result<Vec<PatientSummary>, StoreError> {
        let mut out = Vec::with_capacity(self.patient_count()?);
        self.each_patient(|patient| {
            out.push(PatientSummary {
                patient,
                last_entry: None,
                entry_count: 0,
            })
        })?;
        self.each_entry_summary(|id, last, count| {
            // Archived patients are not in the list.
            if let Ok(i) = out.binary_search_by_key(&id, |s| s.patient.id) {
                out[i].last_entry = Some(last);
                out[i].entry_count = count;
            }
        })?;
        Ok(out)
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
