//! Writing many records at once: everything in one transaction, all or
//! nothing, each record with its audit row naming where it came from. The
//! importer (`interop/import`) and the clinic generator (`cli/demo.rs`)
//! write through it.

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::civil::Date;

use crate::StoreError;
use crate::sql::Tx;
use clinilog_domain::import::ReadValue;
use clinilog_domain::protocol::AssignmentData;
use clinilog_domain::{EntryData, Patient, PatientData, TreatmentData};

/// What a patient already has, by date and measure code.
pub type StoredValues = HashMap<(Date, String), ReadValue>;

/// A batch of writes by one user for one reason, in one transaction: a
/// preview (`write` false) only reads, and its transaction is rolled back.
pub trait Batch {
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError>;
    /// The values already stored for a patient, by date and measure code.
    fn stored_values(&self, patient_id: i64) -> Result<StoredValues, StoreError>;
    fn create_patient(&mut self, data: &PatientData) -> Result<i64, StoreError>;
    fn add_entry(&mut self, patient_id: i64, data: &EntryData) -> Result<i64, StoreError>;
    fn add_treatment(&mut self, patient_id: i64, data: &TreatmentData) -> Result<i64, StoreError>;
    fn assign_protocol(&mut self, patient_id: i64, data: &AssignmentData) -> Result<i64, StoreError>;
    /// Commits the writes (a preview writes nothing).
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Every backend's batch: its transaction, who writes and why.
pub(crate) struct TxBatch<'a> {
    pub(crate) tx: RefCell<Box<dyn Tx + 'a>>,
    pub(crate) user: String,
    pub(crate) reason: String,
    pub(crate) write: bool,
}

fn values_of(entries: Vec<clinilog_domain::Entry>) -> StoredValues {
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

impl TxBatch<'_> {
    /// The transaction to write in, and who writes and why; refused in a preview.
    fn writable(&mut self) -> Result<(&mut dyn crate::sql::Sql, &str, &str), StoreError> {
        if !self.write {
            return Err(StoreError::Corrupt {
                what: "import",
                detail: "a preview writes nothing".to_owned(),
            });
        }
        Ok((self.tx.get_mut().as_sql(), &self.user, &self.reason))
    }
}

impl Batch for TxBatch<'_> {
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        super::patients::patient_by_mrn(self.tx.borrow_mut().as_sql(), mrn)
    }

    fn stored_values(&self, patient_id: i64) -> Result<StoredValues, StoreError> {
        Ok(values_of(super::entries::read_entries(
            self.tx.borrow_mut().as_sql(),
            patient_id,
        )?))
    }

    fn create_patient(&mut self, data: &PatientData) -> Result<i64, StoreError> {
        let (sql, user, reason) = self.writable()?;
        super::patients::insert_patient(sql, data, user, Some(reason))
    }

    fn add_entry(&mut self, patient_id: i64, data: &EntryData) -> Result<i64, StoreError> {
        let (sql, user, reason) = self.writable()?;
        Ok(super::entries::insert_entry(sql, patient_id, data, user, Some(reason))?.0)
    }

    fn add_treatment(&mut self, patient_id: i64, data: &TreatmentData) -> Result<i64, StoreError> {
        let (sql, user, reason) = self.writable()?;
        super::treatments::insert_treatment(sql, patient_id, data, user, Some(reason))
    }

    fn assign_protocol(&mut self, patient_id: i64, data: &AssignmentData) -> Result<i64, StoreError> {
        let (sql, user, reason) = self.writable()?;
        super::protocols::insert_assignment(sql, patient_id, data, user, Some(reason))
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.write {
            self.tx.into_inner().commit()?;
        }
        Ok(())
    }
}
