//! The records on the server: [`ClinicStore`] for [`PgStore`], each write
//! one transaction with its audit row and its notification.

use jiff::civil::Date;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Transaction};
use serde::Serialize;

use std::collections::HashSet;

use super::{ChangeNote, PgStore};
use crate::adverse::{ADVERSE_EVENTS_SQL, NO_EVENTS_SQL, RawAdverseEvent, build_adverse_event, build_no_events};
use crate::audit::{AUDIT_COLUMNS, RawAudit, action_text, build_audit, history_filter, table_of};
use crate::backup::{entry_values_problem, record_problems};
use crate::clinic::ClinicStore;
use crate::cohort::{LAB_VALUES_SQL, ON_PROTOCOL_SQL};
use crate::entries::{ENTRY_HEADS_SQL, ENTRY_OBSERVATIONS_SQL, EntryAssembler, LabCols, observation_rows};
use crate::import::{Batch, StoredValues, values_of};
use crate::patients::{PATIENT_COLUMNS, RawPatient, build_patient};
use crate::protocols::{
    ASSIGNMENT_COLUMNS, AssignmentRow, CLOSURES_SQL, ENTRY_MEASURES_SQL, ON_PROTOCOL, SHIFTS_SQL, build_assignment,
    build_closure, build_shift,
};
use crate::rows::{judge_version, parse_date_col, require_reason, voided_column};
use crate::stamp::{now_utc, to_json};
use crate::treatments::{TREATMENTS_SQL, build_treatment};
use crate::{AuditRecord, DraftKey, LatestLab, StoreError};
use clinilog_domain::Catalog;
use clinilog_domain::adverse::{AdverseEvent, AdverseEventData, NoEvents, NoEventsData};
use clinilog_domain::history::{AuditAction, RecordKind};
use clinilog_domain::protocol::{Assignment, AssignmentData, ShiftData};
use clinilog_domain::{Entry, EntryData, LabResult, Patient, PatientData, TreatmentData, TreatmentEvent};

type Params<'a> = [&'a (dyn ToSql + Sync)];

/// Who changes which record of which patient: the audit row and the
/// notification of a write, in its transaction.
struct Trail<'a> {
    user: &'a str,
    kind: RecordKind,
    row_id: i64,
    patient_id: i64,
}

impl Trail<'_> {
    fn append(
        &self,
        tx: &mut Transaction<'_>,
        action: AuditAction,
        before: Option<String>,
        after: Option<String>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let table = table_of(self.kind);
        tx.execute(
            "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &now_utc(),
                &self.user,
                &action_text(action),
                &table,
                &self.row_id,
                &before,
                &after,
                &reason,
            ],
        )?;
        // Delivered to the other workstations when the transaction commits.
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&super::CHANNEL, &ChangeNote::payload(table, self.patient_id, self.user)],
        )?;
        Ok(())
    }

    /// The record was created as `after` (with where it came from, for a batch).
    fn created<T: Serialize>(
        &self,
        tx: &mut Transaction<'_>,
        after: &T,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.append(tx, AuditAction::Create, None, Some(to_json(after)?), reason)
    }

    fn edited<T: Serialize>(
        &self,
        tx: &mut Transaction<'_>,
        before: &T,
        after: &T,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.append(
            tx,
            AuditAction::Edit,
            Some(to_json(before)?),
            Some(to_json(after)?),
            Some(reason),
        )
    }

    fn voided<T: Serialize>(&self, tx: &mut Transaction<'_>, before: &T, reason: &str) -> Result<(), StoreError> {
        self.append(tx, AuditAction::Void, Some(to_json(before)?), None, Some(reason))
    }
}

/// Refuses a change based on another version than the server holds (who
/// changed it and when), and a change to a voided record. The row stays
/// locked until the transaction ends, so two workstations cannot both pass.
fn check_version(tx: &mut Transaction<'_>, kind: RecordKind, id: i64, expected: i64) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT version, changed_by, changed_at, {}::text FROM {} WHERE id = $1 FOR UPDATE",
        voided_column(kind),
        table_of(kind)
    );
    let row = tx
        .query_opt(&sql, &[&id])?
        .map(|r| -> Result<_, postgres::Error> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)) })
        .transpose()?;
    judge_version(kind, id, row, expected)
}

/// A write to `patients` that broke the unique MRN says so by name.
fn mrn_taken<T>(result: Result<T, postgres::Error>, mrn: &str) -> Result<T, StoreError> {
    match result {
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(StoreError::DuplicateMrn(mrn.to_owned())),
        other => Ok(other?),
    }
}

fn raw_patient(r: &postgres::Row) -> Result<RawPatient, postgres::Error> {
    Ok((
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get::<_, i64>(2)? != 0,
        [
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
            r.try_get(7)?,
            r.try_get(8)?,
            r.try_get(9)?,
        ],
    ))
}

fn read_patient(client: &mut impl postgres::GenericClient, id: i64) -> Result<Patient, StoreError> {
    let row = client
        .query_opt(&format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = $1"), &[&id])?
        .ok_or(StoreError::NotFound {
            what: "patient",
            id: id.to_string(),
        })?;
    build_patient(raw_patient(&row)?)
}

/// The patient's details in the column order of `mrn, name, birth_date,
/// sex, diagnosis, enrolled, notes`.
fn patient_values(d: &PatientData) -> [Box<dyn ToSql + Sync + '_>; 7] {
    [
        Box::new(&d.mrn),
        Box::new(&d.name),
        Box::new(d.birth_date.to_string()),
        Box::new(d.sex.as_str()),
        Box::new(&d.diagnosis),
        Box::new(d.enrolled.to_string()),
        Box::new(&d.notes),
    ]
}

fn treatment_values(d: &TreatmentData) -> [Box<dyn ToSql + Sync + '_>; 9] {
    [
        Box::new(d.date.to_string()),
        Box::new(d.kind.as_str()),
        Box::new(&d.product),
        Box::new(d.dose.as_ref().map(|x| x.as_str())),
        Box::new(&d.dose_unit),
        Box::new(&d.route),
        Box::new(d.cycle.map(i64::from)),
        Box::new(&d.note),
        Box::new(&d.recorded_by),
    ]
}

/// The parameters `first` then `rest`, borrowed as the driver takes them.
fn params<'a>(first: &'a [Box<dyn ToSql + Sync + 'a>], rest: &'a Params<'a>) -> Vec<&'a (dyn ToSql + Sync)> {
    first
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .chain(rest.iter().copied())
        .collect()
}

fn insert_observations(
    tx: &mut Transaction<'_>,
    entry_id: i64,
    data_version: i64,
    patient_id: i64,
    data: &EntryData,
) -> Result<(), StoreError> {
    let date = data.collected_on.to_string();
    let insert = tx.prepare(
        "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code, kind,
             value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag, ref_unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )?;
    for o in observation_rows(data) {
        tx.execute(
            &insert,
            &[
                &entry_id,
                &data_version,
                &patient_id,
                &date,
                &o.code,
                &o.kind,
                &o.value_text,
                &o.value,
                &o.comparator,
                &o.unit,
                &o.ref_low,
                &o.ref_high,
                &o.ref_source,
                &o.flag,
                &o.ref_unit,
            ],
        )?;
    }
    Ok(())
}

/// Registers a patient inside an open transaction, with the audit row of
/// its creation (`reason`: where it came from, when not typed).
fn insert_patient(
    tx: &mut Transaction<'_>,
    data: &PatientData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let values = patient_values(data);
    let inserted = tx.query_one(
        "INSERT INTO patients (mrn, name, birth_date, sex, diagnosis, enrolled, notes, created_at,
             changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id",
        &params(&values, &[&now_utc(), &user]),
    );
    let id: i64 = mrn_taken(inserted, &data.mrn)?.try_get(0)?;
    Trail {
        user,
        kind: RecordKind::Patient,
        row_id: id,
        patient_id: id,
    }
    .created(tx, data, reason)?;
    Ok(id)
}

/// Writes a new entry, its observations and the audit row of its creation;
/// gives its id and when it was recorded.
fn insert_entry(
    tx: &mut Transaction<'_>,
    patient_id: i64,
    data: &EntryData,
    user: &str,
    reason: Option<&str>,
) -> Result<(i64, String), StoreError> {
    let recorded_at = now_utc();
    let id: i64 = tx
        .query_one(
            "INSERT INTO entries (patient_id, collected_on, note, recorded_by, recorded_at, changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
            &[
                &patient_id,
                &data.collected_on.to_string(),
                &data.note,
                &data.recorded_by,
                &recorded_at,
                &user,
            ],
        )?
        .try_get(0)?;
    insert_observations(tx, id, 1, patient_id, data)?;
    Trail {
        user,
        kind: RecordKind::Entry,
        row_id: id,
        patient_id,
    }
    .created(tx, data, reason)?;
    Ok((id, recorded_at))
}

/// Writes a new treatment event and the audit row of its creation.
fn insert_treatment(
    tx: &mut Transaction<'_>,
    patient_id: i64,
    data: &TreatmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let values = treatment_values(data);
    let id: i64 = tx
        .query_one(
            "INSERT INTO treatment_events (date, kind, product, dose, dose_unit, route, cycle, note,
                 recorded_by, patient_id, recorded_at, changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11) RETURNING id",
            &params(&values, &[&patient_id, &now_utc(), &user]),
        )?
        .try_get(0)?;
    Trail {
        user,
        kind: RecordKind::Treatment,
        row_id: id,
        patient_id,
    }
    .created(tx, data, reason)?;
    Ok(id)
}

/// Writes a protocol assignment and the audit row of its creation.
fn insert_assignment(
    tx: &mut Transaction<'_>,
    patient_id: i64,
    data: &AssignmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO protocol_assignments (patient_id, protocol, protocol_text, start_date, note,
                 recorded_by, recorded_at, changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id",
            &[
                &patient_id,
                &data.protocol,
                &data.protocol_text,
                &data.start.to_string(),
                &data.note,
                &data.recorded_by,
                &now_utc(),
                &user,
            ],
        )?
        .try_get(0)?;
    Trail {
        user,
        kind: RecordKind::Assignment,
        row_id: id,
        patient_id,
    }
    .created(tx, data, reason)?;
    Ok(id)
}

/// A batch on the server: one transaction (read-only for a preview).
struct PgBatch<'a> {
    tx: std::cell::RefCell<Transaction<'a>>,
    user: String,
    reason: String,
    write: bool,
}

impl<'a> PgBatch<'a> {
    fn writable(&mut self) -> Result<&mut Transaction<'a>, StoreError> {
        if !self.write {
            return Err(crate::import::preview_writes_nothing());
        }
        Ok(self.tx.get_mut())
    }
}

impl Batch for PgBatch<'_> {
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        self.tx
            .borrow_mut()
            .query_opt(
                &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE mrn = $1"),
                &[&mrn],
            )?
            .map(|r| build_patient(raw_patient(&r)?))
            .transpose()
    }

    fn stored_values(&self, patient_id: i64) -> Result<StoredValues, StoreError> {
        Ok(values_of(read_entries(&mut *self.tx.borrow_mut(), patient_id)?))
    }

    fn create_patient(&mut self, data: &PatientData) -> Result<i64, StoreError> {
        let (user, reason) = (self.user.clone(), self.reason.clone());
        insert_patient(self.writable()?, data, &user, Some(&reason))
    }

    fn add_entry(&mut self, patient_id: i64, data: &EntryData) -> Result<i64, StoreError> {
        let (user, reason) = (self.user.clone(), self.reason.clone());
        Ok(insert_entry(self.writable()?, patient_id, data, &user, Some(&reason))?.0)
    }

    fn add_treatment(&mut self, patient_id: i64, data: &TreatmentData) -> Result<i64, StoreError> {
        let (user, reason) = (self.user.clone(), self.reason.clone());
        insert_treatment(self.writable()?, patient_id, data, &user, Some(&reason))
    }

    fn assign_protocol(&mut self, patient_id: i64, data: &AssignmentData) -> Result<i64, StoreError> {
        let (user, reason) = (self.user.clone(), self.reason.clone());
        insert_assignment(self.writable()?, patient_id, data, &user, Some(&reason))
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.write {
            self.tx.into_inner().commit()?;
        }
        Ok(())
    }
}

/// A patient's entries not voided, newest first (a connection or a transaction).
fn read_entries(c: &mut impl postgres::GenericClient, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
    let mut out = EntryAssembler::default();
    for r in c.query(ENTRY_HEADS_SQL, &[&patient_id])? {
        let date: &str = r.try_get(2)?;
        out.head(
            patient_id,
            (
                r.try_get(0)?,
                r.try_get(1)?,
                date,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            ),
        )?;
    }
    for r in c.query(ENTRY_OBSERVATIONS_SQL, &[&patient_id])? {
        out.observation(r.try_get(0)?, r.try_get(1)?, lab_cols(&r, 2)?)?;
    }
    Ok(out.finish())
}

impl PgStore {
    /// Edits a record in one transaction: refuses an empty reason, a stale
    /// version or a voided record, runs `update` (which moves the version
    /// on), and appends the audit row with the record before and after.
    fn edit_record<T: Serialize>(
        &self,
        trail: Trail<'_>,
        (version, before, after, reason): (i64, &T, &T, &str),
        update: &str,
        params: &Params<'_>,
    ) -> Result<(), StoreError> {
        self.may_write(trail.user)?;
        let reason = require_reason(reason, "an edit")?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            check_version(&mut tx, trail.kind, trail.row_id, version)?;
            tx.execute(update, params)?;
            trail.edited(&mut tx, before, after, &reason)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// What a shift and a closure share: in one transaction, the
    /// assignment's version checked and moved on, the record inserted by
    /// `insert` (given the reason and the time; it returns the new id), and
    /// its audit row of `kind` with the notification. Gives the reason as
    /// kept (trimmed).
    fn add_to_plan<T: Serialize>(
        &self,
        a: &Assignment,
        user: &str,
        (reason, what): (&str, &'static str),
        kind: RecordKind,
        record: &T,
        insert: impl FnOnce(&mut Transaction<'_>, &str, &str) -> Result<postgres::Row, postgres::Error>,
    ) -> Result<String, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, what)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            check_version(&mut tx, RecordKind::Assignment, a.id, a.version)?;
            let now = now_utc();
            tx.execute(
                "UPDATE protocol_assignments SET version = version + 1, changed_by = $1, changed_at = $2 WHERE id = $3",
                &[&user, &now, &a.id],
            )?;
            let id: i64 = insert(&mut tx, &reason, &now)?.try_get(0)?;
            Trail {
                user,
                kind,
                row_id: id,
                patient_id: a.patient_id,
            }
            .append(
                &mut tx,
                AuditAction::Create,
                None,
                Some(to_json(record)?),
                Some(&reason),
            )?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(reason)
    }

    /// Voids a record of `kind` in one transaction (reason, version, audit, notification).
    fn void_record<T: Serialize>(
        &self,
        trail: Trail<'_>,
        version: i64,
        before: &T,
        reason: &str,
        what: &'static str,
    ) -> Result<(), StoreError> {
        self.may_write(trail.user)?;
        let reason = require_reason(reason, what)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            check_version(&mut tx, trail.kind, trail.row_id, version)?;
            tx.execute(
                &format!(
                    "UPDATE {} SET voided_at = $1, void_reason = $2, version = version + 1, changed_by = $3,
                         changed_at = $1
                     WHERE id = $4",
                    table_of(trail.kind)
                ),
                &[&now_utc(), &reason, &trail.user, &trail.row_id],
            )?;
            trail.voided(&mut tx, before, &reason)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn audit_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(|c| {
            c.query(sql, params)?
                .iter()
                .map(|r| {
                    let raw: RawAudit = (
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                        r.try_get(8)?,
                    );
                    build_audit(raw)
                })
                .collect()
        })
    }
}

impl ClinicStore for PgStore {
    fn describe(&self) -> String {
        self.target.describe()
    }

    fn read_only(&self) -> bool {
        self.read_only
    }

    fn connection_id(&self) -> Option<i32> {
        Some(self.backend_pid)
    }

    fn server_login(&self) -> Option<super::server::Login> {
        self.login.clone()
    }

    fn schema(&self) -> Result<i64, StoreError> {
        self.with(|c| {
            Ok(c.query_one("SELECT schema_version FROM clinilog_meta", &[])?
                .try_get(0)?)
        })
    }

    /// The check of a file but SQLite's integrity check (the server keeps
    /// its own pages): every record has the audit row of its creation,
    /// every observation belongs to an entry, each entry's current values
    /// are those of its newest audited version, and what `record_problems`
    /// finds in the records.
    fn audit_chain(&self) -> Result<crate::chain::ChainReport, StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        self.with(|c| {
            let rows = c.query_raw(
                "SELECT id, seq, row_hash, at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason
                 FROM audit_log ORDER BY seq NULLS FIRST, id",
                std::iter::empty::<i64>(),
            )?;
            let rows = rows.iterator().map(|r| {
                let r = r?;
                Ok(crate::chain::ChainRow {
                    id: r.try_get(0)?,
                    seq: r.try_get(1)?,
                    row_hash: r.try_get(2)?,
                    at_utc: r.try_get(3)?,
                    user: r.try_get(4)?,
                    action: r.try_get(5)?,
                    table_name: r.try_get(6)?,
                    row_id: r.try_get(7)?,
                    before_json: r.try_get(8)?,
                    after_json: r.try_get(9)?,
                    reason: r.try_get(10)?,
                })
            });
            crate::chain::verify(rows)
        })
    }

    fn audit_head(&self) -> Result<Option<crate::chain::Anchor>, StoreError> {
        self.with(|c| {
            let row = c.query_opt("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1", &[])?;
            Ok(match row {
                Some(r) => Some(crate::chain::Anchor {
                    seq: r.try_get(0)?,
                    hash: r.try_get(1)?,
                }),
                None => None,
            })
        })
    }

    fn check(&self, catalog: &Catalog) -> Result<Vec<String>, StoreError> {
        let (mut problems, assignments, drafts) = self.with(|c| {
            let problems = check_rows(c)?;
            let assignments = read_assignments(c, "WHERE a.voided_at IS NULL", &[])?;
            let drafts = c
                .query("SELECT workstation || ':' || key, json FROM drafts ORDER BY 1", &[])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok((problems, assignments, drafts))
        })?;
        problems.extend(record_problems(self, catalog, &assignments, &drafts)?);
        Ok(problems)
    }

    fn begin_batch(&mut self, user: &str, reason: &str, write: bool) -> Result<Box<dyn Batch + '_>, StoreError> {
        if write {
            self.may_write(user)?;
        }
        let target = self.target.clone();
        let mut tx = self.client.get_mut().transaction().map_err(|e| target.lost(e))?;
        if !write {
            tx.batch_execute("SET TRANSACTION READ ONLY")
                .map_err(|e| target.lost(e))?;
        }
        Ok(Box::new(PgBatch {
            tx: std::cell::RefCell::new(tx),
            user: user.to_owned(),
            reason: reason.to_owned(),
            write,
        }))
    }

    fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            let id = insert_patient(&mut tx, data, user, None)?;
            let patient = read_patient(&mut tx, id)?;
            tx.commit()?;
            Ok(patient)
        })
    }

    fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, "an edit")?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            check_version(&mut tx, RecordKind::Patient, patient.id, patient.version)?;
            let values = patient_values(data);
            let updated = tx.execute(
                "UPDATE patients SET mrn = $1, name = $2, birth_date = $3, sex = $4, diagnosis = $5, enrolled = $6,
                     notes = $7, version = version + 1, changed_by = $8, changed_at = $9
                 WHERE id = $10",
                &params(&values, &[&user, &now_utc(), &patient.id]),
            );
            mrn_taken(updated, &data.mrn)?;
            Trail {
                user,
                kind: RecordKind::Patient,
                row_id: patient.id,
                patient_id: patient.id,
            }
            .edited(&mut tx, &patient.data, data, &reason)?;
            let updated = read_patient(&mut tx, patient.id)?;
            tx.commit()?;
            Ok(updated)
        })
    }

    fn patient(&self, id: i64) -> Result<Patient, StoreError> {
        self.with(|c| read_patient(c, id))
    }

    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        self.with(|c| {
            c.query_opt(
                &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE mrn = $1"),
                &[&mrn],
            )?
            .map(|r| build_patient(raw_patient(&r)?))
            .transpose()
        })
    }

    fn patient_count(&self) -> Result<usize, StoreError> {
        self.with(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM patients WHERE archived = 0", &[])?
                .try_get(0)?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    fn for_each_patient(&self, each: &mut dyn FnMut(Patient)) -> Result<(), StoreError> {
        self.with(|c| {
            let sql = format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE archived = 0 ORDER BY id");
            // Streamed: a large clinic's list is not held twice.
            let mut rows = c.query_raw(sql.as_str(), std::iter::empty::<i64>())?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                each(build_patient(raw_patient(&r)?)?);
            }
            Ok(())
        })
    }

    fn for_each_entry_summary(&self, each: &mut dyn FnMut(i64, Date, i64)) -> Result<(), StoreError> {
        self.with(|c| {
            let mut rows = c.query_raw(
                "SELECT patient_id, MAX(collected_on), COUNT(*) FROM entries WHERE voided_at IS NULL
                 GROUP BY patient_id ORDER BY patient_id",
                std::iter::empty::<i64>(),
            )?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let last: &str = r.try_get(1)?;
                each(r.try_get(0)?, parse_date_col(last, "entry")?, r.try_get(2)?);
            }
            Ok(())
        })
    }

    fn patients_with_entries(&self, mrn: Option<&str>) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError> {
        let patients = match mrn {
            Some(mrn) => vec![self.patient_by_mrn(mrn)?.ok_or_else(|| StoreError::NotFound {
                what: "patient with MRN",
                id: mrn.to_owned(),
            })?],
            None => self.with(|c| {
                c.query(&format!("SELECT {PATIENT_COLUMNS} FROM patients ORDER BY mrn"), &[])?
                    .iter()
                    .map(|r| build_patient(raw_patient(r)?))
                    .collect::<Result<Vec<_>, _>>()
            })?,
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

    fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            read_patient(&mut tx, patient_id)?;
            let (id, recorded_at) = insert_entry(&mut tx, patient_id, data, user, None)?;
            tx.commit()?;
            Ok(Entry {
                id,
                patient_id,
                version: 1,
                recorded_at,
                data: data.clone(),
            })
        })
    }

    fn edit_entry(&mut self, entry: &Entry, data: &EntryData, reason: &str, user: &str) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, "an edit")?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            check_version(&mut tx, RecordKind::Entry, entry.id, entry.version)?;
            let row = tx.query_one(
                "UPDATE entries SET collected_on = $1, note = $2, recorded_by = $3, version = version + 1,
                     data_version = data_version + 1, changed_by = $4, changed_at = $5
                 WHERE id = $6 RETURNING version, data_version",
                &[
                    &data.collected_on.to_string(),
                    &data.note,
                    &data.recorded_by,
                    &user,
                    &now_utc(),
                    &entry.id,
                ],
            )?;
            let (version, data_version): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            insert_observations(&mut tx, entry.id, data_version, entry.patient_id, data)?;
            Trail {
                user,
                kind: RecordKind::Entry,
                row_id: entry.id,
                patient_id: entry.patient_id,
            }
            .edited(&mut tx, &entry.data, data, &reason)?;
            tx.commit()?;
            Ok(Entry {
                id: entry.id,
                patient_id: entry.patient_id,
                version,
                recorded_at: entry.recorded_at.clone(),
                data: data.clone(),
            })
        })
    }

    fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::Entry,
            row_id: entry.id,
            patient_id: entry.patient_id,
        };
        self.void_record(trail, entry.version, &entry.data, reason, "voiding an entry")
    }

    fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
        self.with(|c| read_entries(c, patient_id))
    }

    fn for_each_latest_flagged_lab(&self, each: &mut dyn FnMut(LatestLab)) -> Result<(), StoreError> {
        self.with(|c| {
            let mut rows = c.query_raw(
                "SELECT * FROM (
                     SELECT DISTINCT ON (o.patient_id, o.measure_code) o.patient_id, o.collected_on, o.measure_code,
                         o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high, o.ref_source, o.flag, o.ref_unit
                     FROM observations o
                     JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
                     WHERE e.voided_at IS NULL AND o.kind = 'lab'
                     ORDER BY o.patient_id, o.measure_code, o.collected_on DESC, o.id DESC) latest
                 WHERE flag <> ''",
                std::iter::empty::<i64>(),
            )?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let date: &str = r.try_get(1)?;
                each(LatestLab {
                    patient_id: r.try_get(0)?,
                    collected_on: parse_date_col(date, "observation")?,
                    lab: lab_cols(&r, 2)?.build()?,
                });
            }
            Ok(())
        })
    }

    fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            read_patient(&mut tx, patient_id)?;
            let id = insert_treatment(&mut tx, patient_id, data, user, None)?;
            tx.commit()?;
            Ok(TreatmentEvent {
                id,
                patient_id,
                version: 1,
                data: data.clone(),
            })
        })
    }

    fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::Treatment,
            row_id: event.id,
            patient_id: event.patient_id,
        };
        let values = treatment_values(data);
        let now = now_utc();
        self.edit_record(
            trail,
            (event.version, &event.data, data, reason),
            "UPDATE treatment_events SET date = $1, kind = $2, product = $3, dose = $4, dose_unit = $5,
                 route = $6, cycle = $7, note = $8, recorded_by = $9, version = version + 1,
                 changed_by = $10, changed_at = $11
             WHERE id = $12",
            &params(&values, &[&user, &now, &event.id]),
        )?;
        Ok(TreatmentEvent {
            id: event.id,
            patient_id: event.patient_id,
            version: event.version + 1,
            data: data.clone(),
        })
    }

    fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::Treatment,
            row_id: event.id,
            patient_id: event.patient_id,
        };
        self.void_record(trail, event.version, &event.data, reason, "voiding a treatment event")
    }

    fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
        self.with(|c| {
            c.query(TREATMENTS_SQL, &[&patient_id])?
                .iter()
                .map(|r| {
                    let raw = (
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                        r.try_get(8)?,
                        r.try_get(9)?,
                        r.try_get(10)?,
                    );
                    build_treatment(patient_id, raw)
                })
                .collect()
        })
    }

    fn save_draft(&mut self, key: DraftKey, json: &str) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        let station = self.workstation.clone();
        self.with(|c| {
            c.execute(
                "INSERT INTO drafts (workstation, key, json, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workstation, key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
                &[&station, &key.as_text(), &json, &now_utc()],
            )?;
            Ok(())
        })
    }

    fn load_draft(&self, key: DraftKey) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            c.query_opt(
                "SELECT json, updated_at FROM drafts WHERE workstation = $1 AND key = $2",
                &[&self.workstation, &key.as_text()],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    fn discard_draft(&mut self, key: DraftKey) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        let station = self.workstation.clone();
        self.with(|c| {
            c.execute(
                "DELETE FROM drafts WHERE workstation = $1 AND key = $2",
                &[&station, &key.as_text()],
            )?;
            Ok(())
        })
    }

    fn audit_log(&self, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
        let columns = format!("SELECT {AUDIT_COLUMNS} FROM audit_log");
        match record {
            Some((kind, row)) => self.audit_rows(
                &format!("{columns} WHERE table_name = $1 AND row_id = $2 ORDER BY id"),
                &[&table_of(kind), &row],
            ),
            None => self.audit_rows(&format!("{columns} ORDER BY id"), &[]),
        }
    }

    fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_rows(
            &format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log a WHERE {} ORDER BY a.id",
                history_filter("$1")
            ),
            &[&patient_id],
        )
    }

    fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &AssignmentData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            read_patient(&mut tx, patient_id)?;
            let id = insert_assignment(&mut tx, patient_id, data, user, None)?;
            tx.commit()?;
            Ok(Assignment {
                id,
                patient_id,
                version: 1,
                data: data.clone(),
                shifts: Vec::new(),
                closures: Vec::new(),
            })
        })
    }

    fn void_assignment(&mut self, a: &Assignment, reason: &str, user: &str) -> Result<(), StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::Assignment,
            row_id: a.id,
            patient_id: a.patient_id,
        };
        self.void_record(trail, a.version, &a.data, reason, "voiding a protocol assignment")
    }

    fn shift_plan(&mut self, a: &Assignment, shift: &ShiftData, user: &str) -> Result<Assignment, StoreError> {
        let why = (shift.reason.as_str(), "shifting a plan");
        let reason = self.add_to_plan(a, user, why, RecordKind::PlanShift, shift, |tx, reason, now| {
            tx.query_one(
                "INSERT INTO plan_shifts (assignment_id, item, planned_on, days, reason, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    &a.id,
                    &shift.item,
                    &shift.planned_on.to_string(),
                    &shift.days,
                    &reason,
                    &shift.recorded_by,
                    &now,
                ],
            )
        })?;
        let mut out = a.clone();
        out.version += 1;
        out.shifts.push(ShiftData {
            reason,
            ..shift.clone()
        });
        Ok(out)
    }

    fn close_plan_item(
        &mut self,
        a: &Assignment,
        closure: &clinilog_domain::protocol::ClosureData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        let why = (closure.reason.as_str(), "closing a visit as not done");
        let reason = self.add_to_plan(a, user, why, RecordKind::PlanClosure, closure, |tx, reason, now| {
            tx.query_one(
                "INSERT INTO plan_closures (assignment_id, item, planned_on, reason, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &a.id,
                    &closure.item,
                    &closure.planned_on.to_string(),
                    &reason,
                    &closure.recorded_by,
                    &now,
                ],
            )
        })?;
        let mut out = a.clone();
        out.version += 1;
        out.closures.push(clinilog_domain::protocol::ClosureData {
            reason,
            ..closure.clone()
        });
        Ok(out)
    }

    fn assignments(&self, patient_id: i64) -> Result<Vec<Assignment>, StoreError> {
        self.with(|c| read_assignments(c, "WHERE a.patient_id = $1 AND a.voided_at IS NULL", &[&patient_id]))
    }

    fn active_assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        self.with(|c| {
            read_assignments(
                c,
                "JOIN patients p ON p.id = a.patient_id WHERE a.voided_at IS NULL AND p.archived = 0",
                &[],
            )
        })
    }

    fn protocol_names(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            c.query(
                "SELECT DISTINCT protocol FROM protocol_assignments WHERE voided_at IS NULL ORDER BY protocol",
                &[],
            )?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
        })
    }

    fn patients_on_protocol(&self, protocol: &str) -> Result<HashSet<i64>, StoreError> {
        self.with(|c| {
            c.query(ON_PROTOCOL_SQL, &[&protocol])?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect()
        })
    }

    fn for_each_entry_date(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, i64, Date),
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT patient_id, id, collected_on FROM entries
                 WHERE voided_at IS NULL {} ORDER BY patient_id, collected_on, id",
                if on_protocol_only { ON_PROTOCOL } else { "" }
            );
            let mut rows = c.query_raw(sql.as_str(), std::iter::empty::<i64>())?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let date: &str = r.try_get(2)?;
                each(r.try_get(0)?, r.try_get(1)?, parse_date_col(date, "entry")?);
            }
            Ok(())
        })
    }

    fn for_each_treatment_cycle(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, Date, Option<u32>),
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT patient_id, date, cycle FROM treatment_events
                 WHERE voided_at IS NULL {} ORDER BY patient_id, date, id",
                if on_protocol_only { ON_PROTOCOL } else { "" }
            );
            let mut rows = c.query_raw(sql.as_str(), std::iter::empty::<i64>())?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let date: &str = r.try_get(1)?;
                let cycle: Option<i64> = r.try_get(2)?;
                each(
                    r.try_get(0)?,
                    parse_date_col(date, "treatment event")?,
                    cycle.and_then(|c| u32::try_from(c).ok()),
                );
            }
            Ok(())
        })
    }

    fn entry_measures(&self, entry_id: i64) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            c.query(ENTRY_MEASURES_SQL, &[&entry_id])?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect()
        })
    }

    fn for_each_lab_value(
        &self,
        patient_id: i64,
        code: &str,
        each: &mut dyn FnMut(Date, LabResult),
    ) -> Result<(), StoreError> {
        self.with(|c| {
            for r in c.query(LAB_VALUES_SQL, &[&patient_id, &code])? {
                let date: &str = r.try_get(0)?;
                each(parse_date_col(date, "entry")?, lab_cols(&r, 1)?.build()?);
            }
            Ok(())
        })
    }

    fn add_adverse_event(
        &mut self,
        patient_id: i64,
        data: &AdverseEventData,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            read_patient(&mut tx, patient_id)?;
            let values = adverse_values(data);
            let id: i64 = tx
                .query_one(
                    "INSERT INTO adverse_events (term, grade, onset, resolved_on, serious, relation, cycle, action,
                         outcome, note, recorded_by, patient_id, recorded_at, changed_by, changed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13) RETURNING id",
                    &params(&values, &[&patient_id, &now_utc(), &user]),
                )?
                .try_get(0)?;
            Trail {
                user,
                kind: RecordKind::AdverseEvent,
                row_id: id,
                patient_id,
            }
            .created(&mut tx, data, None)?;
            tx.commit()?;
            Ok(AdverseEvent {
                id,
                patient_id,
                version: 1,
                data: data.clone(),
            })
        })
    }

    fn edit_adverse_event(
        &mut self,
        event: &AdverseEvent,
        data: &AdverseEventData,
        reason: &str,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::AdverseEvent,
            row_id: event.id,
            patient_id: event.patient_id,
        };
        let values = adverse_values(data);
        let now = now_utc();
        self.edit_record(
            trail,
            (event.version, &event.data, data, reason),
            "UPDATE adverse_events SET term = $1, grade = $2, onset = $3, resolved_on = $4, serious = $5,
                 relation = $6, cycle = $7, action = $8, outcome = $9, note = $10, recorded_by = $11,
                 version = version + 1, changed_by = $12, changed_at = $13
             WHERE id = $14",
            &params(&values, &[&user, &now, &event.id]),
        )?;
        Ok(AdverseEvent {
            id: event.id,
            patient_id: event.patient_id,
            version: event.version + 1,
            data: data.clone(),
        })
    }

    fn void_adverse_event(&mut self, event: &AdverseEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::AdverseEvent,
            row_id: event.id,
            patient_id: event.patient_id,
        };
        self.void_record(trail, event.version, &event.data, reason, "voiding an adverse event")
    }

    fn adverse_events(&self, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError> {
        self.with(|c| {
            c.query(ADVERSE_EVENTS_SQL, &[&patient_id])?
                .iter()
                .map(|r| {
                    let raw: RawAdverseEvent = (
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                        r.try_get(8)?,
                        r.try_get(9)?,
                        r.try_get(10)?,
                        r.try_get(11)?,
                        r.try_get(12)?,
                    );
                    build_adverse_event(patient_id, raw)
                })
                .collect()
        })
    }

    fn record_no_adverse_events(
        &mut self,
        patient_id: i64,
        data: &NoEventsData,
        user: &str,
    ) -> Result<NoEvents, StoreError> {
        self.may_write(user)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            read_patient(&mut tx, patient_id)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO no_adverse_events (patient_id, on_date, note, recorded_by, recorded_at, changed_by,
                         changed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
                    &[
                        &patient_id,
                        &data.on.to_string(),
                        &data.note,
                        &data.recorded_by,
                        &now_utc(),
                        &user,
                    ],
                )?
                .try_get(0)?;
            Trail {
                user,
                kind: RecordKind::NoAdverseEvents,
                row_id: id,
                patient_id,
            }
            .created(&mut tx, data, None)?;
            tx.commit()?;
            Ok(NoEvents {
                id,
                patient_id,
                version: 1,
                data: data.clone(),
            })
        })
    }

    fn void_no_adverse_events(&mut self, record: &NoEvents, reason: &str, user: &str) -> Result<(), StoreError> {
        let trail = Trail {
            user,
            kind: RecordKind::NoAdverseEvents,
            row_id: record.id,
            patient_id: record.patient_id,
        };
        self.void_record(
            trail,
            record.version,
            &record.data,
            reason,
            "voiding a record of no adverse events",
        )
    }

    fn no_adverse_events(&self, patient_id: i64) -> Result<Vec<NoEvents>, StoreError> {
        self.with(|c| {
            c.query(NO_EVENTS_SQL, &[&patient_id])?
                .iter()
                .map(|r| {
                    build_no_events(
                        patient_id,
                        (
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                        ),
                    )
                })
                .collect()
        })
    }
}

fn adverse_values(d: &AdverseEventData) -> [Box<dyn ToSql + Sync + '_>; 11] {
    [
        Box::new(&d.term),
        Box::new(i64::from(d.grade)),
        Box::new(d.onset.to_string()),
        Box::new(d.resolved_on.map(|x| x.to_string())),
        Box::new(i64::from(d.serious)),
        Box::new(d.relation.as_str()),
        Box::new(d.cycle.map(i64::from)),
        Box::new(d.action.as_str()),
        Box::new(d.outcome.as_str()),
        Box::new(&d.note),
        Box::new(&d.recorded_by),
    ]
}

/// Assignments with their shifts: `filter` after `FROM protocol_assignments a`.
fn read_assignments(client: &mut Client, filter: &str, params: &Params<'_>) -> Result<Vec<Assignment>, StoreError> {
    let sql = format!("SELECT {ASSIGNMENT_COLUMNS} FROM protocol_assignments a {filter} ORDER BY a.patient_id, a.id");
    let mut out = Vec::new();
    for r in client.query(&sql, params)? {
        let raw: AssignmentRow = (
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
            r.try_get(7)?,
        );
        out.push(build_assignment(raw)?);
    }
    let shifts = client.prepare(SHIFTS_SQL)?;
    for a in &mut out {
        for r in client.query(&shifts, &[&a.id])? {
            a.shifts.push(build_shift((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))?);
        }
    }
    let closures = client.prepare(CLOSURES_SQL)?;
    for a in &mut out {
        for r in client.query(&closures, &[&a.id])? {
            a.closures.push(build_closure((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
            ))?);
        }
    }
    Ok(out)
}

/// The columns `first..` of a row, borrowed, in the order of [`LabCols`].
fn lab_cols(r: &postgres::Row, first: usize) -> Result<LabCols<'_>, StoreError> {
    let c = |k: usize| first + k;
    Ok(LabCols {
        code: r.try_get(c(0))?,
        value_text: r.try_get(c(1))?,
        comparator: r.try_get(c(2))?,
        unit: r.try_get(c(3))?,
        low: r.try_get(c(4))?,
        high: r.try_get(c(5))?,
        source: r.try_get(c(6))?,
        flag: r.try_get(c(7))?,
        ref_unit: r.try_get(c(8))?,
    })
}

/// The checks of rows that the server answers in SQL (see `check`).
fn check_rows(client: &mut Client) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    for (table, what) in [
        ("patients", "patient"),
        ("entries", "entry"),
        ("treatment_events", "treatment event"),
        ("protocol_assignments", "protocol assignment"),
        ("plan_shifts", "plan shift"),
        ("adverse_events", "adverse event"),
        ("no_adverse_events", "record of no adverse events"),
    ] {
        let sql = format!(
            "SELECT t.id FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.table_name = '{table}' AND a.row_id = t.id AND a.action = 'create') ORDER BY t.id"
        );
        for r in client.query(&sql, &[])? {
            let id: i64 = r.try_get(0)?;
            problems.push(format!("{what} {id} has no audit row of its creation"));
        }
    }
    for r in client.query(
        "SELECT o.id FROM observations o LEFT JOIN entries e ON e.id = o.entry_id WHERE e.id IS NULL",
        &[],
    )? {
        let id: i64 = r.try_get(0)?;
        problems.push(format!("observation {id} belongs to no entry"));
    }
    // Each entry's current observations are the values of its newest audited version.
    for r in client.query(
        "SELECT e.id, e.data_version,
             (SELECT count(*) FROM observations o WHERE o.entry_id = e.id AND o.entry_version = e.data_version),
             (SELECT a.after_json FROM audit_log a WHERE a.table_name = 'entries' AND a.row_id = e.id
                  AND a.action IN ('create', 'edit') ORDER BY a.id DESC LIMIT 1)
         FROM entries e ORDER BY e.id",
        &[],
    )? {
        problems.extend(entry_values_problem(
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
        ));
    }
    Ok(problems)
}
