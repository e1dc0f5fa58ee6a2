//! Edits, voids, history and drafts.
//!
//! Every edit names a reason and keeps what it replaces: the audit row holds
//! the record before and after, and an entry's old observations stay in the
//! file under their data version. Each editable record carries a version;
//! a save made on an older version than the file holds is refused with who
//! changed it and when, so two windows on one file never overwrite each
//! other unseen.

use rusqlite::{OptionalExtension, Transaction, params};

use super::records::{
    AUDIT_COLUMNS, Audit, PATIENT_COLUMNS, append_audit, audit_from_row, build_patient, insert_observations, mrn_taken,
    now_utc, patient_from_row, require_user, to_json,
};
use super::{AuditRecord, Store, StoreError, local_time};
use crate::domain::{Entry, EntryData, Patient, PatientData, TreatmentData, TreatmentEvent};

fn require_reason(reason: &str, what: &'static str) -> Result<String, StoreError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(StoreError::ReasonRequired(what));
    }
    Ok(r.to_owned())
}

/// Refuses a change based on an older version than the file holds.
fn check_version(
    tx: &Transaction<'_>,
    table: &'static str,
    what: &'static str,
    id: i64,
    expected: i64,
) -> Result<(), StoreError> {
    let row: Option<(i64, Option<String>, Option<String>)> = tx
        .query_row(
            &format!("SELECT version, changed_by, changed_at FROM {table} WHERE id = ?1"),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((version, by, at)) = row else {
        return Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        });
    };
    if version != expected {
        return Err(StoreError::Conflict {
            what,
            by: by.unwrap_or_else(|| "another window".to_owned()),
            at: at.map(|t| local_time(&t)).unwrap_or_default(),
        });
    }
    Ok(())
}

impl Store {
    /// Replaces an entry's date, values and note. The old values stay in the
    /// file and in the audit trail; `expected_version` is the version the
    /// editor started from.
    pub fn edit_entry(
        &mut self,
        entry: &Entry,
        data: &EntryData,
        reason: &str,
        user: &str,
    ) -> Result<Entry, StoreError> {
        require_user(user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, "entries", "entry", entry.id, entry.version)?;
        let voided: Option<String> =
            tx.query_row("SELECT voided_at FROM entries WHERE id = ?1", [entry.id], |r| r.get(0))?;
        if voided.is_some() {
            return Err(StoreError::NotFound {
                what: "entry (not voided)",
                id: entry.id.to_string(),
            });
        }
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
        append_audit(
            &tx,
            Audit {
                user,
                action: "edit",
                table: "entries",
                row_id: entry.id,
                before: Some(to_json(&entry.data)?),
                after: Some(to_json(data)?),
                reason: Some(&reason),
            },
        )?;
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
    /// file and the audit trail, with its reason.
    pub fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError> {
        require_user(user)?;
        let reason = require_reason(reason, "voiding an entry")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, "entries", "entry", entry.id, entry.version)?;
        let now = now_utc();
        let changed = tx.execute(
            "UPDATE entries SET voided_at = ?1, void_reason = ?2, version = version + 1, changed_by = ?3,
                 changed_at = ?1
             WHERE id = ?4 AND voided_at IS NULL",
            params![now, reason, user, entry.id],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "entry (not voided)",
                id: entry.id.to_string(),
            });
        }
        append_audit(
            &tx,
            Audit {
                user,
                action: "void",
                table: "entries",
                row_id: entry.id,
                before: Some(to_json(&entry.data)?),
                after: None,
                reason: Some(&reason),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Changes a patient's details; the previous details stay in the audit trail.
    pub fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError> {
        require_user(user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, "patients", "patient", patient.id, patient.version)?;
        let updated = tx.execute(
            "UPDATE patients SET mrn = ?1, name = ?2, birth_date = ?3, sex = ?4, diagnosis = ?5, enrolled = ?6,
                 notes = ?7, version = version + 1, changed_by = ?8, changed_at = ?9
             WHERE id = ?10",
            params![
                data.mrn,
                data.name,
                data.birth_date.to_string(),
                data.sex.as_str(),
                data.diagnosis,
                data.enrolled.to_string(),
                data.notes,
                user,
                now_utc(),
                patient.id
            ],
        );
        mrn_taken(updated, &data.mrn)?;
        append_audit(
            &tx,
            Audit {
                user,
                action: "edit",
                table: "patients",
                row_id: patient.id,
                before: Some(to_json(&patient.data)?),
                after: Some(to_json(data)?),
                reason: Some(&reason),
            },
        )?;
        let row = tx.query_row(
            &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = ?1"),
            [patient.id],
            patient_from_row,
        )?;
        tx.commit()?;
        build_patient(row)
    }

    /// Changes a treatment event; the previous version stays in the audit trail.
    pub fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        require_user(user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, "treatment_events", "treatment event", event.id, event.version)?;
        tx.execute(
            "UPDATE treatment_events SET date = ?1, kind = ?2, product = ?3, dose = ?4, dose_unit = ?5,
                 route = ?6, cycle = ?7, note = ?8, recorded_by = ?9, version = version + 1,
                 changed_by = ?10, changed_at = ?11
             WHERE id = ?12",
            params![
                data.date.to_string(),
                data.kind.as_str(),
                data.product,
                data.dose.as_ref().map(|d| d.as_str()),
                data.dose_unit,
                data.route,
                data.cycle,
                data.note,
                data.recorded_by,
                user,
                now_utc(),
                event.id
            ],
        )?;
        append_audit(
            &tx,
            Audit {
                user,
                action: "edit",
                table: "treatment_events",
                row_id: event.id,
                before: Some(to_json(&event.data)?),
                after: Some(to_json(data)?),
                reason: Some(&reason),
            },
        )?;
        tx.commit()?;
        Ok(TreatmentEvent {
            id: event.id,
            patient_id: event.patient_id,
            version: event.version + 1,
            data: data.clone(),
        })
    }

    /// Voids a treatment event (entered in error); it stays in the file.
    pub fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        require_user(user)?;
        let reason = require_reason(reason, "voiding a treatment event")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, "treatment_events", "treatment event", event.id, event.version)?;
        let now = now_utc();
        tx.execute(
            "UPDATE treatment_events SET voided_at = ?1, void_reason = ?2, version = version + 1,
                 changed_by = ?3, changed_at = ?1
             WHERE id = ?4 AND voided_at IS NULL",
            params![now, reason, user, event.id],
        )?;
        append_audit(
            &tx,
            Audit {
                user,
                action: "void",
                table: "treatment_events",
                row_id: event.id,
                before: Some(to_json(&event.data)?),
                after: None,
                reason: Some(&reason),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The audit trail of one patient: the patient's own row, its entries
    /// and its treatment events, oldest first.
    pub fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log a
             WHERE (a.table_name = 'patients' AND a.row_id = ?1)
                OR (a.table_name = 'entries' AND a.row_id IN (SELECT id FROM entries WHERE patient_id = ?1))
                OR (a.table_name = 'treatment_events'
                    AND a.row_id IN (SELECT id FROM treatment_events WHERE patient_id = ?1))
             ORDER BY a.id"
        ))?;
        let rows = stmt.query_map([patient_id], audit_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps what was typed into an unsaved form (`key` names the form).
    /// Drafts are not clinical records and are not audited.
    pub fn save_draft(&mut self, key: &str, json: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO drafts (key, json, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
            params![key, json, now_utc()],
        )?;
        Ok(())
    }

    /// The draft kept for `key`, with when it was last written (UTC).
    pub fn load_draft(&self, key: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT json, updated_at FROM drafts WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    pub fn discard_draft(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM drafts WHERE key = ?1", [key])?;
        Ok(())
    }
}
