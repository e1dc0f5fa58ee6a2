//! One store interface, implemented once: the clinic's records behind
//! [`ClinicStore`], kept in a SQLite file ([`crate::FileStore`]) or on a
//! PostgreSQL server ([`crate::pg::PgStore`]). Each operation is written
//! once in `records/` over the connection trait (`sql.rs`); a backend
//! says only how to connect, read, begin a transaction and who may write
//! ([`Backend`]). What calls the trait does not know which one it talks
//! to. Both give the same guarantees: one transaction per save with its
//! audit row, nothing clinical deleted, a stale save refused with who
//! changed the record and when, a newer schema refused.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

use crate::records::batch::{Batch, TxBatch};
use crate::records::{
    self, adverse, audit, documents, drafts, entries, patients, protocols, require_reason, treatments,
};
use crate::sql::{Backend, read, transact};
use crate::{AuditRecord, CohortFilter, DraftKey, LatestLab, PatientSummary, StoreError};
use clinilog_domain::adverse::{AdverseEvent, AdverseEventData, NoEvents, NoEventsData};
use clinilog_domain::capture::{DocumentInfo, SourceDocument};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::cohort::{Align, CohortMeasure, PatientValues};
use clinilog_domain::history::RecordKind;
use clinilog_domain::protocol::{Assignment, AssignmentData, ClosureData, PatientDue, ShiftData};
use clinilog_domain::{Catalog, Entry, EntryData, LabResult, Patient, PatientData, TreatmentData, TreatmentEvent};

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
    fn server_login(&self) -> Option<crate::pg::server::Login> {
        None
    }
    /// The audit trail's hash chain, recomputed (`chain.rs`): the first
    /// broken row, gaps, and the head to anchor elsewhere.
    fn audit_chain(&self) -> Result<crate::chain::ChainReport, StoreError>;
    /// The last audit row's `(seq, hash)` as stored (no recomputation): the
    /// anchor a report, an export or a backup names. `None` before any.
    fn audit_head(&self) -> Result<Option<crate::chain::Anchor>, StoreError>;
    /// The chain recomputed, and every record checked against its trail
    /// (`records/trail.rs`): what the window checks in the background.
    /// Its problems are the chain's, then the records'.
    fn verify_trail(&self, catalog: &Catalog) -> Result<crate::chain::ChainReport, StoreError>;
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

    // The printed reports entries were read from (`records/documents.rs`).
    /// Records an entry with the report it was read from, in one transaction.
    fn record_entry_with_source(
        &mut self,
        patient_id: i64,
        data: &EntryData,
        doc: &SourceDocument,
        user: &str,
    ) -> Result<Entry, StoreError>;
    /// The report an entry was read from.
    fn entry_source(&self, entry_id: i64) -> Result<Option<DocumentInfo>, StoreError>;
    /// A kept report's bytes, its SHA-256 checked.
    fn document_bytes(&self, id: i64) -> Result<Vec<u8>, StoreError>;
    /// Every entry read from a report: its SHA-256, by entry id.
    fn entry_sources(&self) -> Result<HashMap<i64, String>, StoreError>;
    /// The reports a patient's entries were read from, by entry id.
    fn patient_documents(&self, patient_id: i64) -> Result<HashMap<i64, DocumentInfo>, StoreError>;
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
        crate::cohort::due_list(self, day, catalog)
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
        crate::cohort::cohort_values(self, measure, align, system, catalog, filter)
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

/// A write that needs a reason (an edit, a void, a plan changed): who may
/// write and the reason (`what` names the act when it is missing) are
/// checked, then `write` runs in one transaction with the reason as kept.
fn with_reason<B: Backend, T>(
    store: &mut B,
    user: &str,
    (reason, what): (&str, &'static str),
    write: impl FnOnce(&mut dyn crate::sql::Sql, String) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    store.may_write(user)?;
    let reason = require_reason(reason, what)?;
    transact(store, |sql| write(sql, reason))
}

/// Voids a record of any kind.
fn void<B: Backend, T: serde::Serialize>(
    store: &mut B,
    change: audit::Change<'_>,
    (version, before): (i64, &T),
    reason: &str,
    what: &'static str,
) -> Result<(), StoreError> {
    with_reason(store, change.user, (reason, what), |sql, reason| {
        records::void_record(sql, &change, version, before, &reason)
    })
}

impl<B: Backend> ClinicStore for B {
    fn describe(&self) -> String {
        Backend::describe(self)
    }
    fn read_only(&self) -> bool {
        self.is_read_only()
    }
    fn schema(&self) -> Result<i64, StoreError> {
        Backend::schema(self)
    }
    fn connection_id(&self) -> Option<i32> {
        Backend::connection_id(self)
    }
    fn server_login(&self) -> Option<crate::pg::server::Login> {
        Backend::server_login(self)
    }
    fn audit_chain(&self) -> Result<crate::chain::ChainReport, StoreError> {
        read(self, audit::verify_chain)
    }
    fn audit_head(&self) -> Result<Option<crate::chain::Anchor>, StoreError> {
        read(self, audit::head_of)
    }
    fn verify_trail(&self, catalog: &Catalog) -> Result<crate::chain::ChainReport, StoreError> {
        read(self, |sql| {
            let mut report = audit::verify_chain(sql)?;
            report.problems.extend(records::trail::trail_problems(sql, catalog)?);
            Ok(report)
        })
    }
    fn check(&self, catalog: &Catalog) -> Result<Vec<String>, StoreError> {
        records::check::check(self, catalog)
    }

    fn begin_batch(&mut self, user: &str, reason: &str, write: bool) -> Result<Box<dyn Batch + '_>, StoreError> {
        if write {
            self.may_write(user)?;
        }
        let tx = self.begin(!write)?;
        Ok(Box::new(TxBatch {
            tx: std::cell::RefCell::new(tx),
            user: user.to_owned(),
            reason: reason.to_owned(),
            write,
        }))
    }

    fn create_patient(&mut self, data: &PatientData, user: &str) -> Result<Patient, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| {
            let id = patients::insert_patient(sql, data, user, None)?;
            patients::read_patient(sql, id)
        })
    }
    fn update_patient(
        &mut self,
        patient: &Patient,
        data: &PatientData,
        reason: &str,
        user: &str,
    ) -> Result<Patient, StoreError> {
        with_reason(self, user, (reason, "an edit"), |sql, reason| {
            patients::update_patient(sql, patient, data, &reason, user)
        })
    }
    fn patient(&self, id: i64) -> Result<Patient, StoreError> {
        read(self, |sql| patients::read_patient(sql, id))
    }
    fn patient_by_mrn(&self, mrn: &str) -> Result<Option<Patient>, StoreError> {
        read(self, |sql| patients::patient_by_mrn(sql, mrn))
    }
    fn patient_count(&self) -> Result<usize, StoreError> {
        read(self, patients::patient_count)
    }
    fn for_each_patient(&self, each: &mut dyn FnMut(Patient)) -> Result<(), StoreError> {
        read(self, |sql| patients::each_patient(sql, each))
    }
    fn for_each_entry_summary(&self, each: &mut dyn FnMut(i64, Date, i64)) -> Result<(), StoreError> {
        read(self, |sql| patients::each_entry_summary(sql, each))
    }
    fn patients_with_entries(&self, mrn: Option<&str>) -> Result<Vec<(Patient, Vec<Entry>)>, StoreError> {
        read(self, |sql| patients::patients_with_entries(sql, mrn))
    }

    fn record_entry(&mut self, patient_id: i64, data: &EntryData, user: &str) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| entries::record_entry(sql, patient_id, data, user, None))
    }
    fn edit_entry(&mut self, entry: &Entry, data: &EntryData, reason: &str, user: &str) -> Result<Entry, StoreError> {
        with_reason(self, user, (reason, "an edit"), |sql, reason| {
            entries::edit_entry(sql, entry, data, &reason, user)
        })
    }
    fn void_entry(&mut self, entry: &Entry, reason: &str, user: &str) -> Result<(), StoreError> {
        let c = audit::Change::of(user, RecordKind::Entry, entry.id, entry.patient_id);
        void(self, c, (entry.version, &entry.data), reason, "voiding an entry")
    }
    fn entries(&self, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
        read(self, |sql| entries::read_entries(sql, patient_id))
    }

    fn record_entry_with_source(
        &mut self,
        patient_id: i64,
        data: &EntryData,
        doc: &SourceDocument,
        user: &str,
    ) -> Result<Entry, StoreError> {
        if !self.keeps_documents() {
            return Err(StoreError::Corrupt {
                what: "report",
                detail: format!(
                    "{} keeps no reports yet: save the entry in a clinic file, or type it from the report",
                    Backend::describe(self)
                ),
            });
        }
        self.may_write(user)?;
        transact(self, |sql| {
            documents::record_entry_with_source(sql, patient_id, data, doc, user)
        })
    }
    fn entry_source(&self, entry_id: i64) -> Result<Option<DocumentInfo>, StoreError> {
        if !self.keeps_documents() {
            return Ok(None);
        }
        read(self, |sql| documents::entry_source(sql, entry_id))
    }
    fn document_bytes(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        if !self.keeps_documents() {
            return Err(StoreError::NotFound {
                what: "report",
                id: id.to_string(),
            });
        }
        read(self, |sql| documents::document_bytes(sql, id))
    }
    fn entry_sources(&self) -> Result<HashMap<i64, String>, StoreError> {
        if !self.keeps_documents() {
            return Ok(HashMap::new());
        }
        read(self, documents::entry_sources)
    }
    fn patient_documents(&self, patient_id: i64) -> Result<HashMap<i64, DocumentInfo>, StoreError> {
        if !self.keeps_documents() {
            return Ok(HashMap::new());
        }
        read(self, |sql| documents::patient_documents(sql, patient_id))
    }
    fn for_each_latest_flagged_lab(&self, each: &mut dyn FnMut(LatestLab)) -> Result<(), StoreError> {
        read(self, |sql| entries::each_latest_flagged_lab(sql, each))
    }

    fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| treatments::add_treatment(sql, patient_id, data, user))
    }
    fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        with_reason(self, user, (reason, "an edit"), |sql, reason| {
            treatments::edit_treatment(sql, event, data, &reason, user)
        })
    }
    fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let c = audit::Change::of(user, RecordKind::Treatment, event.id, event.patient_id);
        void(
            self,
            c,
            (event.version, &event.data),
            reason,
            "voiding a treatment event",
        )
    }
    fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
        read(self, |sql| treatments::treatments(sql, patient_id))
    }

    fn save_draft(&mut self, key: DraftKey, json: &str) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        let station = self.workstation().to_owned();
        transact(self, |sql| drafts::save_draft(sql, &station, key, json))
    }
    fn load_draft(&self, key: DraftKey) -> Result<Option<(String, String)>, StoreError> {
        read(self, |sql| drafts::load_draft(sql, self.workstation(), key))
    }
    fn discard_draft(&mut self, key: DraftKey) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        let station = self.workstation().to_owned();
        transact(self, |sql| drafts::discard_draft(sql, &station, key))
    }

    fn audit_log(&self, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
        read(self, |sql| audit::audit_log(sql, record))
    }
    fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
        read(self, |sql| audit::history(sql, patient_id))
    }

    fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &AssignmentData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| protocols::assign_protocol(sql, patient_id, data, user))
    }
    fn void_assignment(&mut self, a: &Assignment, reason: &str, user: &str) -> Result<(), StoreError> {
        let c = audit::Change::of(user, RecordKind::Assignment, a.id, a.patient_id);
        void(self, c, (a.version, &a.data), reason, "voiding a protocol assignment")
    }
    fn shift_plan(&mut self, a: &Assignment, shift: &ShiftData, user: &str) -> Result<Assignment, StoreError> {
        with_reason(self, user, (&shift.reason, "shifting a plan"), |sql, reason| {
            protocols::shift_plan(sql, a, shift, reason, user)
        })
    }
    fn close_plan_item(&mut self, a: &Assignment, closure: &ClosureData, user: &str) -> Result<Assignment, StoreError> {
        with_reason(
            self,
            user,
            (&closure.reason, "closing a visit as not done"),
            |sql, reason| protocols::close_plan_item(sql, a, closure, reason, user),
        )
    }
    fn assignments(&self, patient_id: i64) -> Result<Vec<Assignment>, StoreError> {
        read(self, |sql| protocols::assignments(sql, patient_id))
    }
    fn active_assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        read(self, protocols::active_assignments)
    }
    fn protocol_names(&self) -> Result<Vec<String>, StoreError> {
        read(self, protocols::protocol_names)
    }
    fn patients_on_protocol(&self, protocol: &str) -> Result<HashSet<i64>, StoreError> {
        read(self, |sql| protocols::patients_on_protocol(sql, protocol))
    }
    fn for_each_entry_date(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, i64, Date),
    ) -> Result<(), StoreError> {
        read(self, |sql| protocols::each_entry_date(sql, on_protocol_only, each))
    }
    fn for_each_treatment_cycle(
        &self,
        on_protocol_only: bool,
        each: &mut dyn FnMut(i64, Date, Option<u32>),
    ) -> Result<(), StoreError> {
        read(self, |sql| {
            treatments::each_treatment_cycle(sql, on_protocol_only, each)
        })
    }
    fn entry_measures(&self, entry_id: i64) -> Result<Vec<String>, StoreError> {
        read(self, |sql| entries::entry_measures(sql, entry_id))
    }
    fn for_each_lab_value(
        &self,
        patient_id: i64,
        code: &str,
        each: &mut dyn FnMut(Date, LabResult),
    ) -> Result<(), StoreError> {
        read(self, |sql| entries::each_lab_value(sql, patient_id, code, each))
    }

    fn add_adverse_event(
        &mut self,
        patient_id: i64,
        data: &AdverseEventData,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| adverse::add_adverse_event(sql, patient_id, data, user))
    }
    fn edit_adverse_event(
        &mut self,
        event: &AdverseEvent,
        data: &AdverseEventData,
        reason: &str,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        with_reason(self, user, (reason, "an edit"), |sql, reason| {
            adverse::edit_adverse_event(sql, event, data, &reason, user)
        })
    }
    fn void_adverse_event(&mut self, event: &AdverseEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let c = audit::Change::of(user, RecordKind::AdverseEvent, event.id, event.patient_id);
        void(
            self,
            c,
            (event.version, &event.data),
            reason,
            "voiding an adverse event",
        )
    }
    fn adverse_events(&self, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError> {
        read(self, |sql| adverse::adverse_events(sql, patient_id))
    }
    fn record_no_adverse_events(
        &mut self,
        patient_id: i64,
        data: &NoEventsData,
        user: &str,
    ) -> Result<NoEvents, StoreError> {
        self.may_write(user)?;
        transact(self, |sql| {
            adverse::record_no_adverse_events(sql, patient_id, data, user)
        })
    }
    fn void_no_adverse_events(&mut self, record: &NoEvents, reason: &str, user: &str) -> Result<(), StoreError> {
        let c = audit::Change::of(user, RecordKind::NoAdverseEvents, record.id, record.patient_id);
        void(
            self,
            c,
            (record.version, &record.data),
            reason,
            "voiding a record of no adverse events",
        )
    }
    fn no_adverse_events(&self, patient_id: i64) -> Result<Vec<NoEvents>, StoreError> {
        read(self, |sql| adverse::no_adverse_events(sql, patient_id))
    }
}
