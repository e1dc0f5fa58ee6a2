//! One store interface, two implementations: the clinic's records behind
//! [`ClinicStore`], kept in a SQLite file ([`super::Store`]) or on a
//! PostgreSQL server ([`super::pg::PgStore`]). Each backend keeps its own
//! SQL and migrations; what calls the trait does not know which one it
//! talks to. Both give the same guarantees: one transaction per save with
//! its audit row, nothing clinical deleted, a stale save refused with who
//! changed the record and when, a newer schema refused.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use super::import::Batch;
use super::pg::{PgStore, PgTarget, is_server_address};
use super::{AuditRecord, CohortFilter, DraftKey, LatestLab, PatientSummary, Store, StoreError};
use clinilog_domain::adverse::{AdverseEvent, AdverseEventData, NoEvents, NoEventsData};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::cohort::{Align, CohortMeasure, PatientValues};
use clinilog_domain::history::RecordKind;
use clinilog_domain::protocol::{Assignment, AssignmentData, PatientDue, ShiftData};
use clinilog_domain::{Catalog, Entry, EntryData, LabResult, Patient, PatientData, TreatmentData, TreatmentEvent};

/// Where a clinic's records are: a SQLite file, or a database on a
/// PostgreSQL server (`postgres://user@host:port/db`).
#[derive(Clone, Debug)]
pub enum Location {
    File(PathBuf),
    Server(Box<PgTarget>),
}

impl Location {
    /// `--db`: a server address, else a file's path.
    pub fn parse(db: &Path) -> Result<Self, StoreError> {
        match db.to_str() {
            Some(text) if is_server_address(text) => Ok(Location::Server(Box::new(PgTarget::parse(text)?))),
            _ => Ok(Location::File(db.to_owned())),
        }
    }

    /// Opens the records for reading and writing (a file that may not be
    /// written opens read-only).
    pub fn open(&self) -> Result<Box<dyn ClinicStore>, StoreError> {
        Ok(match self {
            Location::File(path) => Box::new(Store::open(path)?),
            Location::Server(target) => Box::new(PgStore::open(target)?),
        })
    }

    /// Opens the records on a connection of their own that never writes
    /// (a thread reading a list).
    pub fn open_read_only(&self) -> Result<Box<dyn ClinicStore>, StoreError> {
        Ok(match self {
            Location::File(path) => Box::new(Store::open_read_only(path)?),
            Location::Server(target) => Box::new(PgStore::open_read_only(target)?),
        })
    }

    /// The file, when the records are one (backups, the file's own check).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }

    /// The file's path, or `postgres: user@host:port/db`.
    pub fn describe(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Server(target) => target.describe(),
        }
    }
}

/// The records of a clinic, wherever they are kept.
pub trait ClinicStore: Send {
    /// Where the records are, for the title bar and messages: a file's
    /// path, or `postgres: user@host:port/db` (never a password).
    fn describe(&self) -> String;
    /// Whether every write is refused (a backup looked at, a read-only share).
    fn read_only(&self) -> bool;
    /// The schema version the records are kept in.
    fn schema(&self) -> Result<i64, StoreError>;
    /// This connection's id on a server (its notifications are its own
    /// saves); `None` for a file.
    fn connection_id(&self) -> Option<i32> {
        None
    }
    /// Who is logged in, on a server set up by `server init`: the server
    /// signs every change with this login, and nobody else may be named.
    /// `None` for a file or a server that was not set up.
    fn server_login(&self) -> Option<super::pg::server::Login> {
        None
    }
    /// The audit trail's hash chain, recomputed (`chain.rs`): the first
    /// broken row, gaps, and the head to anchor elsewhere.
    fn audit_chain(&self) -> Result<super::chain::ChainReport, StoreError>;
    /// The last audit row's `(seq, hash)` as stored (no recomputation): the
    /// anchor a report, an export or a backup names. `None` before any.
    fn audit_head(&self) -> Result<Option<super::chain::Anchor>, StoreError>;
    /// The application's own check of the records (`clinilog check`):
    /// each problem in a sentence, none when all is well.
    fn check(&self, catalog: &Catalog) -> Result<Vec<String>, StoreError>;

    /// Starts a batch by `user` (an imported file, a generated clinic);
    /// `reason` goes on every audit row. With `write` false it is a
    /// preview: it only reads.
    fn begin_batch(&mut self, user: &str, reason: &str, write: bool) -> Result<Box<dyn Batch + '_>, StoreError>;

    // Patients.
    fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError>;
    fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError>;
    fn patient(&self, id: i64) -> Result<Patient, StoreError>;
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError>;
    /// How many patients are not archived.
    fn patient_count(&self) -> Result<usize, StoreError>;
    /// Every patient not archived, by id.
    fn for_each_patient(&self, each: &mut dyn FnMut(Patient)) -> Result<(), StoreError>;
    /// For each patient with entries not voided: id, last date, count, by id.
    fn for_each_entry_summary(&self, each: &mut dyn FnMut(i64, Date, i64)) -> Result<(), StoreError>;

    /// Every patient not archived, by id, with the date of the last entry
    /// and the number of entries.
    /// Patients (archived ones too) with their entries oldest first, for
    /// export; one patient when `mrn` is given.
    fn patients_with_entries(&self, mrn: Option<&str>) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError>;

    fn patient_summaries(&self) -> Result<Vec<PatientSummary>, StoreError> {
        let mut out = Vec::with_capacity(self.patient_count()?);
        self.for_each_patient(&mut |patient| {
            out.push(PatientSummary {
                patient,
                last_entry: None,
                entry_count: 0,
            })
        })?;
        self.for_each_entry_summary(&mut |id, last, count| {
            // Archived patients are not in the list.
            if let Ok(i) = out.binary_search_by_key(&id, |s| s.patient.id) {
                out[i].last_entry = Some(last);
                out[i].entry_count = count;
            }
        })?;
        Ok(out)
    }

    // Entries.
    fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError>;
    fn edit_entry(&mut self, entry: &Entry, data: &EntryData, reason: &str, user: &str) -> Result<Entry, StoreError>;
    fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError>;
    /// The patient's entries that are not voided, newest first.
    fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError>;

    // The printed reports entries were read from (`documents.rs`).
    /// Records an entry with the report it was read from, in one transaction.
    fn record_entry_with_source(
        &mut self,
        _patient_id: i64,
        _data: &EntryData,
        _doc: &clinilog_domain::capture::SourceDocument,
        _user: &str,
    ) -> Result<Entry, StoreError> {
        Err(StoreError::Corrupt {
            what: "report",
            detail: format!(
                "{} keeps no reports yet: save the entry in a clinic file, or type it from the report",
                self.describe()
            ),
        })
    }
    /// The report an entry was read from.
    fn entry_source(&self, _entry_id: i64) -> Result<Option<clinilog_domain::capture::DocumentInfo>, StoreError> {
        Ok(None)
    }
    /// A kept report's bytes, its SHA-256 checked.
    fn document_bytes(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::NotFound {
            what: "report",
            id: id.to_string(),
        })
    }
    /// Every entry read from a report: its SHA-256, by entry id.
    fn entry_sources(&self) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        Ok(Default::default())
    }
    /// The reports a patient's entries were read from, by entry id.
    fn patient_documents(
        &self,
        _patient_id: i64,
    ) -> Result<std::collections::HashMap<i64, clinilog_domain::capture::DocumentInfo>, StoreError> {
        Ok(Default::default())
    }
    /// Every patient's latest value of each lab measure where it was flagged.
    fn for_each_latest_flagged_lab(&self, each: &mut dyn FnMut(LatestLab)) -> Result<(), StoreError>;

    // Treatment events.
    fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError>;
    fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError>;
    fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError>;
    /// The patient's treatment events that are not voided, oldest first.
    fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError>;

    // Drafts of unsaved forms (on a server, each workstation's own).
    fn save_draft(&mut self, key: DraftKey, json: &str) -> Result<(), StoreError>;
    /// The draft's JSON and when it was saved (UTC).
    fn load_draft(&self, key: DraftKey) -> Result<Option<(String, String)>, StoreError>;
    fn discard_draft(&mut self, key: DraftKey) -> Result<(), StoreError>;

    // The audit trail.
    /// Oldest first; for one record when given.
    fn audit_log(&self, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError>;
    /// One patient's trail: the patient, entries, treatments, follow-up records.
    fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError>;

    // Protocols and their plans.
    fn assign_protocol(&mut self, patient_id: i64, data: &AssignmentData, user: &str)
    -> Result<Assignment, StoreError>;
    fn void_assignment(&mut self, a: &Assignment, reason: &str, user: &str) -> Result<(), StoreError>;
    /// Shifts an item and what follows it; refused on a plan shifted meanwhile.
    fn shift_plan(&mut self, a: &Assignment, shift: &ShiftData, user: &str) -> Result<Assignment, StoreError>;
    /// Closes a late or missed item of the plan as not done, with its
    /// reason (also in the audit row); the assignment's version moves on.
    fn close_plan_item(
        &mut self,
        a: &Assignment,
        closure: &clinilog_domain::protocol::ClosureData,
        user: &str,
    ) -> Result<Assignment, StoreError>;
    /// The patient's protocols not voided, with their shifts, oldest first.
    fn assignments(&self, patient_id: i64) -> Result<Vec<Assignment>, StoreError>;
    /// Every assignment not voided of a patient not archived, with its shifts, by patient.
    fn active_assignments(&self) -> Result<Vec<Assignment>, StoreError>;
    /// The names of the protocols assigned (not voided), sorted.
    fn protocol_names(&self) -> Result<Vec<String>, StoreError>;
    /// The patients on this protocol (assigned, not voided).
    fn patients_on_protocol(&self, protocol: &str) -> Result<HashSet<i64>, StoreError>;
    /// Each entry not voided as patient, entry id and date (of patients on a
    /// protocol only, when asked), by patient, date and id.
    fn for_each_entry_date(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, i64, Date),
    ) -> Result<(), StoreError>;
    /// Each treatment not voided as patient, date and cycle (of patients on
    /// a protocol only, when asked), by patient, date and id.
    fn for_each_treatment_cycle(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, Date, Option<u32>),
    ) -> Result<(), StoreError>;
    /// The measure codes of an entry's current values.
    fn entry_measures(&self, entry_id: i64) -> Result<Vec<String>, StoreError>;
    /// The patient's current values of one lab measure, by date.
    fn for_each_lab_value(
        &self,
        patient_id: i64,
        code: &str,
        each: &mut dyn FnMut(Date, LabResult),
    ) -> Result<(), StoreError>;

    /// The clinic's due list for the week containing `day` (see `protocols::due_list`).
    fn due_list(&self, day: Date, catalog: &Catalog) -> Result<Vec<PatientDue>, StoreError> {
        super::protocols::due_list(self, day, catalog)
    }

    /// One measure's values of every patient the filter keeps, aligned on day 0.
    fn cohort_values(
        &self,
        measure: &CohortMeasure,
        align: Align,
        system: UnitSystem,
        catalog: &Catalog,
        filter: &CohortFilter,
    ) -> Result<Vec<PatientValues>, StoreError> {
        super::cohort::cohort_values(self, measure, align, system, catalog, filter)
    }

    // Adverse events and records of none.
    fn add_adverse_event(
        &mut self,
        patient_id: i64,
        data: &AdverseEventData,
        user: &str,
    ) -> Result<AdverseEvent, StoreError>;
    fn edit_adverse_event(
        &mut self,
        event: &AdverseEvent,
        data: &AdverseEventData,
        reason: &str,
        user: &str,
    ) -> Result<AdverseEvent, StoreError>;
    fn void_adverse_event(&mut self, event: &AdverseEvent, reason: &str, user: &str) -> Result<(), StoreError>;
    /// The patient's adverse events not voided, by onset.
    fn adverse_events(&self, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError>;
    fn record_no_adverse_events(
        &mut self,
        patient_id: i64,
        data: &NoEventsData,
        user: &str,
    ) -> Result<NoEvents, StoreError>;
    fn void_no_adverse_events(&mut self, record: &NoEvents, reason: &str, user: &str) -> Result<(), StoreError>;
    /// The patient's records of no adverse events not voided, by date.
    fn no_adverse_events(&self, patient_id: i64) -> Result<Vec<NoEvents>, StoreError>;
}

impl ClinicStore for Store {
    fn describe(&self) -> String {
        self.path().display().to_string()
    }
    fn read_only(&self) -> bool {
        self.is_read_only()
    }
    fn schema(&self) -> Result<i64, StoreError> {
        self.schema_version()
    }
    fn audit_chain(&self) -> Result<super::chain::ChainReport, StoreError> {
        Store::audit_chain(self)
    }

    fn audit_head(&self) -> Result<Option<super::chain::Anchor>, StoreError> {
        Store::audit_head(self)
    }

    fn check(&self, catalog: &Catalog) -> Result<Vec<String>, StoreError> {
        Store::check(self, catalog)
    }
    fn begin_batch(&mut self, user: &str, reason: &str, write: bool) -> Result<Box<dyn Batch + '_>, StoreError> {
        Ok(Box::new(self.begin_import(user, reason, write)?))
    }
    fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError> {
        Store::create_patient(self, data, user)
    }
    fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError> {
        Store::update_patient(self, patient, data, reason, user)
    }
    fn patient(&self, id: i64) -> Result<Patient, StoreError> {
        Store::patient(self, id)
    }
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        Store::patient_by_mrn(self, mrn)
    }
    fn patient_count(&self) -> Result<usize, StoreError> {
        Store::patient_count(self)
    }
    fn for_each_patient(&self, each: &mut dyn FnMut(Patient)) -> Result<(), StoreError> {
        self.each_patient(each)
    }
    fn for_each_entry_summary(&self, each: &mut dyn FnMut(i64, Date, i64)) -> Result<(), StoreError> {
        self.each_entry_summary(each)
    }
    fn patient_summaries(&self) -> Result<Vec<PatientSummary>, StoreError> {
        Store::patient_summaries(self)
    }
    fn patients_with_entries(&self, mrn: Option<&str>) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError> {
        Store::patients_with_entries(self, mrn)
    }
    fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError> {
        Store::record_entry(self, patient_id, data, user)
    }
    fn edit_entry(&mut self, entry: &Entry, data: &EntryData, reason: &str, user: &str) -> Result<Entry, StoreError> {
        Store::edit_entry(self, entry, data, reason, user)
    }
    fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError> {
        Store::void_entry(self, entry, reason, user)
    }
    fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
        Store::entries(self, patient_id)
    }
    fn record_entry_with_source(
        &mut self,
        patient_id: i64,
        data: &EntryData,
        doc: &clinilog_domain::capture::SourceDocument,
        user: &str,
    ) -> Result<Entry, StoreError> {
        Store::record_entry_with_source(self, patient_id, data, doc, user)
    }
    fn entry_source(&self, entry_id: i64) -> Result<Option<clinilog_domain::capture::DocumentInfo>, StoreError> {
        Store::entry_source(self, entry_id)
    }
    fn document_bytes(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        Store::document_bytes(self, id)
    }
    fn entry_sources(&self) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        Store::entry_sources(self)
    }
    fn patient_documents(
        &self,
        patient_id: i64,
    ) -> Result<std::collections::HashMap<i64, clinilog_domain::capture::DocumentInfo>, StoreError> {
        Store::patient_documents(self, patient_id)
    }
    fn for_each_latest_flagged_lab(&self, each: &mut dyn FnMut(LatestLab)) -> Result<(), StoreError> {
        self.each_latest_flagged_lab(each)
    }
    fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        Store::add_treatment(self, patient_id, data, user)
    }
    fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        Store::edit_treatment(self, event, data, reason, user)
    }
    fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        Store::void_treatment(self, event, reason, user)
    }
    fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
        Store::treatments(self, patient_id)
    }
    fn save_draft(&mut self, key: DraftKey, json: &str) -> Result<(), StoreError> {
        Store::save_draft(self, key, json)
    }
    fn load_draft(&self, key: DraftKey) -> Result<Option<(String, String)>, StoreError> {
        Store::load_draft(self, key)
    }
    fn discard_draft(&mut self, key: DraftKey) -> Result<(), StoreError> {
        Store::discard_draft(self, key)
    }
    fn audit_log(&self, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
        Store::audit_log(self, record)
    }
    fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
        Store::history(self, patient_id)
    }
    fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &AssignmentData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        Store::assign_protocol(self, patient_id, data, user)
    }
    fn void_assignment(&mut self, a: &Assignment, reason: &str, user: &str) -> Result<(), StoreError> {
        Store::void_assignment(self, a, reason, user)
    }
    fn shift_plan(&mut self, a: &Assignment, shift: &ShiftData, user: &str) -> Result<Assignment, StoreError> {
        Store::shift_plan(self, a, shift, user)
    }
    fn close_plan_item(
        &mut self,
        a: &Assignment,
        closure: &clinilog_domain::protocol::ClosureData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        Store::close_plan_item(self, a, closure, user)
    }
    fn assignments(&self, patient_id: i64) -> Result<Vec<Assignment>, StoreError> {
        Store::assignments(self, patient_id)
    }
    fn active_assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        Store::active_assignments(self)
    }
    fn protocol_names(&self) -> Result<Vec<String>, StoreError> {
        Store::protocol_names(self)
    }
    fn patients_on_protocol(&self, protocol: &str) -> Result<HashSet<i64>, StoreError> {
        Store::patients_on_protocol(self, protocol)
    }
    fn for_each_entry_date(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, i64, Date),
    ) -> Result<(), StoreError> {
        self.each_entry_date(on_protocol_only, each)
    }
    fn for_each_treatment_cycle(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, Date, Option<u32>),
    ) -> Result<(), StoreError> {
        self.each_treatment_cycle(on_protocol_only, each)
    }
    fn entry_measures(&self, entry_id: i64) -> Result<Vec<String>, StoreError> {
        Store::entry_measures(self, entry_id)
    }
    fn for_each_lab_value(
        &self,
        patient_id: i64,
        code: &str,
        each: &mut dyn FnMut(Date, LabResult),
    ) -> Result<(), StoreError> {
        self.lab_values(patient_id, code, each)
    }
    fn add_adverse_event(
        &mut self,
        patient_id: i64,
        data: &AdverseEventData,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        Store::add_adverse_event(self, patient_id, data, user)
    }
    fn edit_adverse_event(
        &mut self,
        event: &AdverseEvent,
        data: &AdverseEventData,
        reason: &str,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        Store::edit_adverse_event(self, event, data, reason, user)
    }
    fn void_adverse_event(&mut self, event: &AdverseEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        Store::void_adverse_event(self, event, reason, user)
    }
    fn adverse_events(&self, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError> {
        Store::adverse_events(self, patient_id)
    }
    fn record_no_adverse_events(
        &mut self,
        patient_id: i64,
        data: &NoEventsData,
        user: &str,
    ) -> Result<NoEvents, StoreError> {
        Store::record_no_adverse_events(self, patient_id, data, user)
    }
    fn void_no_adverse_events(&mut self, record: &NoEvents, reason: &str, user: &str) -> Result<(), StoreError> {
        Store::void_no_adverse_events(self, record, reason, user)
    }
    fn no_adverse_events(&self, patient_id: i64) -> Result<Vec<NoEvents>, StoreError> {
        Store::no_adverse_events(self, patient_id)
    }
}
