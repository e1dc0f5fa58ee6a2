//! Writing many records at once: everything in one transaction, all or
//! nothing, each record with its audit row naming where it came from. The
//! importer (`interop/import`) and the clinic generator (`cli/demo.rs`)
//! write through it.

use std::collections::HashMap;

use jiff::civil::Date;
use rusqlite::Transaction;

use super::entries::{insert_entry, read_entries};
use super::patients::{insert_patient, patient_by_mrn};
use super::treatments::insert_treatment;
use super::{Store, StoreError};
use clinilog_domain::import::ReadValue;
use clinilog_domain::{EntryData, Patient, PatientData, TreatmentData};

/// The current values of one patient, by collection date and measure code.
pub type StoredValues = HashMap<(Date, String), ReadValue>;

/// An import in progress. Dropped without [`ImportTx::commit`] (a refusal,
/// a cancel, an error), nothing of it is written.
pub struct ImportTx<'a> {
    tx: Transaction<'a>,
    user: String,
    reason: String,
    write: bool,
}

impl Store {
    /// Starts an import by `user`; `reason` goes on every audit row (the
    /// file's name and SHA-256). With `write` false it is a preview: it only
    /// reads, and works on a file open read-only.
    pub fn begin_import(&mut self, user: &str, reason: &str, write: bool) -> Result<ImportTx<'_>, StoreError> {
        if write {
            self.may_write(user)?;
        }
        Ok(ImportTx {
            tx: self.conn.transaction()?,
            user: user.to_owned(),
            reason: reason.to_owned(),
            write,
        })
    }
}

/// Many records written at once, in one transaction (all or nothing), each
/// with its audit row naming where it came from: an imported file, a
/// generated clinic. Both backends give one ([`super::ClinicStore::begin_batch`]).
pub trait Batch {
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError>;
    /// What is stored for the patient now (voided entries and replaced versions left out).
    fn stored_values(&self, patient_id: i64) -> Result<StoredValues, StoreError>;
    /// Registers a patient the file describes.
    fn create_patient(&mut self, data: &PatientData) -> Result<i64, StoreError>;
    /// Writes one entry with its values and its audit row.
    fn add_entry(&mut self, patient_id: i64, data: &EntryData) -> Result<i64, StoreError>;
    /// Writes one treatment event and its audit row.
    fn add_treatment(&mut self, patient_id: i64, data: &TreatmentData) -> Result<i64, StoreError>;
    /// Assigns a protocol and writes its audit row.
    fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &clinilog_domain::protocol::AssignmentData,
    ) -> Result<i64, StoreError>;
    /// Makes the whole batch permanent (a preview is left, never committed).
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The current values of entries (newest first) by date and measure.
pub(super) fn values_of(entries: Vec<clinilog_domain::Entry>) -> StoredValues {
    let mut out = HashMap::new();
    for entry in entries {
        let d = entry.data.collected_on;
        for lab in entry.data.labs {
            out.insert((d, lab.code.clone()), ReadValue::Lab(lab));
        }
        for s in entry.data.symptoms {
            out.insert((d, s.code.clone()), ReadValue::Symptom(s));
        }
    }
    out
}

/// A preview's refusal of a write.
pub(super) fn preview_writes_nothing() -> StoreError {
    StoreError::Corrupt {
        what: "import",
        detail: "a preview writes nothing".to_owned(),
    }
}

impl Batch for ImportTx<'_> {
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        patient_by_mrn(&self.tx, mrn)
    }

    /// What is stored for the patient now (voided entries and replaced
    /// versions left out).
    fn stored_values(&self, patient_id: i64) -> Result<StoredValues, StoreError> {
        Ok(values_of(read_entries(&self.tx, patient_id)?))
    }

    /// Registers a patient the file describes.
    fn create_patient(&mut self, data: &PatientData) -> Result<i64, StoreError> {
        self.writable()?;
        insert_patient(&self.tx, data, &self.user, Some(&self.reason))
    }

    /// Writes one entry with its values and its audit row.
    fn add_entry(&mut self, patient_id: i64, data: &EntryData) -> Result<i64, StoreError> {
        self.writable()?;
        Ok(insert_entry(&self.tx, patient_id, data, &self.user, Some(&self.reason))?.0)
    }

    /// Writes one treatment event and its audit row (a generated clinic).
    fn add_treatment(&mut self, patient_id: i64, data: &TreatmentData) -> Result<i64, StoreError> {
        self.writable()?;
        insert_treatment(&self.tx, patient_id, data, &self.user, Some(&self.reason))
    }

    /// Assigns a protocol and writes its audit row (a generated clinic).
    fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &clinilog_domain::protocol::AssignmentData,
    ) -> Result<i64, StoreError> {
        self.writable()?;
        super::protocols::insert_assignment(&self.tx, patient_id, data, &self.user, Some(&self.reason))
    }

    /// Makes the whole import permanent (a preview is left, never committed).
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.write {
            self.tx.commit()?;
        }
        Ok(())
    }
}

impl ImportTx<'_> {
    fn writable(&self) -> Result<(), StoreError> {
        if self.write {
            Ok(())
        } else {
            Err(preview_writes_nothing())
        }
    }
}
