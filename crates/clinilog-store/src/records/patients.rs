//! Patients: register, read, list, and edit details with a reason. The
//! previous details stay in the audit trail.

use jiff::civil::Date;

use super::audit::Change;
use super::{check_version, now_utc, parse_date_col};
use crate::StoreError;
use crate::sql::{Row, Sql, Value, vals};
use clinilog_domain::history::RecordKind;
use clinilog_domain::{Entry, Patient, PatientData, Sex};

/// A row of the patients list.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientSummary {
    pub patient: Patient,
    pub last_entry: Option<Date>,
    pub entry_count: i64,
}

/// The columns `build_patient` reads, in its order.
pub(crate) const PATIENT_COLUMNS: &str =
    "id, version, archived, mrn, name, birth_date, sex, diagnosis, enrolled, notes";

pub(crate) fn build_patient(r: &dyn Row) -> Result<Patient, StoreError> {
    let sex = r.text(6)?;
    Ok(Patient {
        id: r.int(0)?,
        version: r.int(1)?,
        archived: r.int(2)? != 0,
        data: PatientData {
            mrn: r.string(3)?,
            name: r.string(4)?,
            birth_date: parse_date_col(r.text(5)?, "patient")?,
            sex: Sex::from_str_opt(sex).ok_or_else(|| StoreError::Corrupt {
                what: "patient",
                detail: format!("sex \"{sex}\""),
            })?,
            diagnosis: r.string(7)?,
            enrolled: parse_date_col(r.text(8)?, "patient")?,
            notes: r.string(9)?,
        },
    })
}

/// The patient's details in the column order of `mrn, name, birth_date,
/// sex, diagnosis, enrolled, notes` (both the insert and the update).
fn data_values(d: &PatientData) -> [Value<'_>; 7] {
    [
        (&d.mrn).into(),
        (&d.name).into(),
        d.birth_date.to_string().into(),
        d.sex.as_str().into(),
        (&d.diagnosis).into(),
        d.enrolled.to_string().into(),
        (&d.notes).into(),
    ]
}

/// A write to `patients` that broke the unique MRN says so by name.
fn mrn_taken<T>(result: Result<T, StoreError>, mrn: &str) -> Result<T, StoreError> {
    match result {
        Err(StoreError::Taken(_)) => Err(StoreError::DuplicateMrn(mrn.to_owned())),
        other => other,
    }
}

pub(crate) fn read_patient(sql: &mut dyn Sql, id: i64) -> Result<Patient, StoreError> {
    sql.query_opt(
        &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = $1"),
        vals![id],
        build_patient,
    )?
    .ok_or(StoreError::NotFound {
        what: "patient",
        id: id.to_string(),
    })
}

pub(crate) fn patient_by_mrn(sql: &mut dyn Sql, mrn: &str) -> Result<Option<Patient>, StoreError> {
    sql.query_opt(
        &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE mrn = $1"),
        vals![mrn],
        build_patient,
    )
}

/// Registers a patient inside an open transaction, with the audit row of
/// its creation (`reason` says where it came from when not typed).
pub(crate) fn insert_patient(
    sql: &mut dyn Sql,
    data: &PatientData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let now = now_utc();
    let mut params = data_values(data).to_vec();
    params.extend([Value::from(now), user.into()]);
    let id = mrn_taken(
        sql.query_int(
            "INSERT INTO patients (mrn, name, birth_date, sex, diagnosis, enrolled, notes, created_at,
                 changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id",
            &params,
        ),
        &data.mrn,
    )?;
    Change::of(user, RecordKind::Patient, id, id).created(sql, data, reason)?;
    Ok(id)
}

/// Changes a patient's details in an open transaction (reason checked);
/// gives the patient as now stored.
pub(crate) fn update_patient(
    sql: &mut dyn Sql,
    patient: &Patient,
    data: &PatientData,
    reason: &str,
    user: &str,
) -> Result<Patient, StoreError> {
    check_version(sql, RecordKind::Patient, patient.id, patient.version)?;
    let mut params = data_values(data).to_vec();
    params.extend([Value::from(user), now_utc().into(), patient.id.into()]);
    mrn_taken(
        sql.execute(
            "UPDATE patients SET mrn = $1, name = $2, birth_date = $3, sex = $4, diagnosis = $5, enrolled = $6,
                 notes = $7, version = version + 1, changed_by = $8, changed_at = $9
             WHERE id = $10",
            &params,
        ),
        &data.mrn,
    )?;
    Change::of(user, RecordKind::Patient, patient.id, patient.id).edited(sql, &patient.data, data, reason)?;
    read_patient(sql, patient.id)
}

/// How many patients are not archived.
pub(crate) fn patient_count(sql: &mut dyn Sql) -> Result<usize, StoreError> {
    let n = sql.query_int("SELECT count(*) FROM patients WHERE archived = 0", vals![])?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Every patient not archived, handed to `each` in the order they were
/// registered (by id), streamed from the table.
pub(crate) fn each_patient(sql: &mut dyn Sql, each: &mut dyn FnMut(Patient)) -> Result<(), StoreError> {
    sql.query(
        &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE archived = 0 ORDER BY id"),
        vals![],
        &mut |r| {
            each(build_patient(r)?);
            Ok(())
        },
    )
}

/// For each patient with entries (not voided): the patient's id, the
/// date of the last entry and the count, by patient id. One grouped pass
/// that SQLite streams from the entries' index (no temporary index or
/// sort), not two subqueries per patient.
pub(crate) fn each_entry_summary(sql: &mut dyn Sql, each: &mut dyn FnMut(i64, Date, i64)) -> Result<(), StoreError> {
    sql.query(
        "SELECT patient_id, MAX(collected_on), COUNT(*) FROM entries WHERE voided_at IS NULL
         GROUP BY patient_id ORDER BY patient_id",
        vals![],
        &mut |r| {
            each(r.int(0)?, parse_date_col(r.text(1)?, "entry")?, r.int(2)?);
            Ok(())
        },
    )
}

/// Patients (archived ones too) with their entries oldest first, for
/// export; one patient when `mrn` is given.
pub(crate) fn patients_with_entries(
    sql: &mut dyn Sql,
    mrn: Option<&str>,
) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError> {
    let patients = match mrn {
        Some(mrn) => vec![patient_by_mrn(sql, mrn)?.ok_or_else(|| StoreError::NotFound {
            what: "patient with MRN",
            id: mrn.to_owned(),
        })?],
        None => sql.query_all(
            &format!("SELECT {PATIENT_COLUMNS} FROM patients ORDER BY mrn"),
            vals![],
            build_patient,
        )?,
    };
    patients
        .into_iter()
        .map(|p| {
            let mut entries = super::entries::read_entries(sql, p.id)?;
            entries.reverse();
            Ok((p, entries))
        })
        .collect()
}
