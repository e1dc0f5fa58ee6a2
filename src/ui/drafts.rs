//! Drafts: what is typed into an unsaved form is kept in the file, so it
//! survives a closed window or a crash. A form checks for its draft when it
//! opens and restores it; the shell writes a changed draft at most once a
//! second (and when the app closes), and removes it on save or discard.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::entry_form::EntryForm;
use super::patients::PatientForm;
use super::treatments::TreatmentForm;
use crate::domain::{PatientDraft, TreatmentDraft};

/// A form whose typing is kept as a draft.
pub trait DraftForm {
    /// Where the draft is kept; `patient_id` is the open patient, if any.
    fn draft_key(&self, patient_id: Option<i64>) -> String;
    /// The draft to keep, or `None` when there is nothing worth keeping.
    fn draft_json(&self) -> Option<String>;
    /// Restores a kept draft; `when` is its local time.
    fn restore(&mut self, json: &str, when: String);
    /// The draft as last written (or restored), to write only changes.
    fn saved_draft(&mut self) -> &mut Option<String>;
    /// Whether the file was already asked for this form's draft.
    fn draft_checked(&mut self) -> &mut bool;
}

impl DraftForm for EntryForm {
    fn draft_key(&self, patient_id: Option<i64>) -> String {
        EntryForm::draft_key(self, patient_id.unwrap_or(0))
    }
    fn draft_json(&self) -> Option<String> {
        EntryForm::draft_json(self)
    }
    fn restore(&mut self, json: &str, when: String) {
        EntryForm::restore(self, json, when);
    }
    fn saved_draft(&mut self) -> &mut Option<String> {
        &mut self.saved_draft
    }
    fn draft_checked(&mut self) -> &mut bool {
        &mut self.draft_checked
    }
}

/// What is kept of a form: what was typed, and the reason of an edit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormDraft<D> {
    pub draft: D,
    pub reason: String,
}

impl<D: Serialize + DeserializeOwned> FormDraft<D> {
    pub fn to_json(draft: &D, reason: &str) -> Option<String> {
        serde_json::to_string(&FormDraft {
            draft,
            reason: reason.to_owned(),
        })
        .ok()
    }

    pub fn from_json(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

impl DraftForm for TreatmentForm {
    fn draft_key(&self, patient_id: Option<i64>) -> String {
        match &self.editing {
            Some(e) => format!("treatment:edit:{}", e.id),
            None => format!("treatment:new:{}", patient_id.unwrap_or(0)),
        }
    }
    fn draft_json(&self) -> Option<String> {
        let untouched = self.editing.is_none()
            && self.draft.product.trim().is_empty()
            && self.draft.dose.trim().is_empty()
            && self.draft.note.trim().is_empty()
            && self.draft.cycle.trim().is_empty();
        if untouched {
            return None;
        }
        FormDraft::to_json(&self.draft, &self.reason)
    }
    fn restore(&mut self, json: &str, when: String) {
        if let Some(kept) = FormDraft::<TreatmentDraft>::from_json(json) {
            self.draft = kept.draft;
            self.reason = kept.reason;
            self.restored_from = Some(when);
            self.saved_draft = Some(json.to_owned());
        }
    }
    fn saved_draft(&mut self) -> &mut Option<String> {
        &mut self.saved_draft
    }
    fn draft_checked(&mut self) -> &mut bool {
        &mut self.draft_checked
    }
}

impl DraftForm for PatientForm {
    fn draft_key(&self, _patient_id: Option<i64>) -> String {
        match &self.editing {
            Some(p) => format!("patient:edit:{}", p.id),
            None => "patient:new".to_owned(),
        }
    }
    fn draft_json(&self) -> Option<String> {
        let d = &self.draft;
        let untouched = self.editing.is_none()
            && d.mrn.trim().is_empty()
            && d.name.trim().is_empty()
            && d.birth_date.trim().is_empty()
            && d.diagnosis.trim().is_empty()
            && d.notes.trim().is_empty();
        if untouched {
            return None;
        }
        FormDraft::to_json(&self.draft, &self.reason)
    }
    fn restore(&mut self, json: &str, when: String) {
        if let Some(kept) = FormDraft::<PatientDraft>::from_json(json) {
            self.draft = kept.draft;
            self.reason = kept.reason;
            self.restored_from = Some(when);
            self.saved_draft = Some(json.to_owned());
        }
    }
    fn saved_draft(&mut self) -> &mut Option<String> {
        &mut self.saved_draft
    }
    fn draft_checked(&mut self) -> &mut bool {
        &mut self.draft_checked
    }
}
