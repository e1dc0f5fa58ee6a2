//! The patient screen: header, and the Log, Treatments and Trends tabs.
//!
//! Everything drawn here comes from the view model loaded when the patient
//! was opened or after a save; nothing is queried while drawing. The pure
//! models (the Log table, the History rows) are in `log.rs`; the History
//! tab is drawn by `history.rs`, the Log tab (with the entry form) by
//! `log_tab.rs`.
//!
//! A write asked for here names its origin (the form, or the void); the
//! shell hands the result back through [`PatientScreen::write_done`] and
//! [`PatientScreen::write_refused`], so it reaches that form only.

pub mod history;
pub mod log;
mod log_tab;

use eframe::egui::{self, Ui};
use jiff::civil::Date;

use super::capture::{CaptureState, CaptureView, Question};
use super::entry_form::{EntryForm, edit_entry_form, new_entry_form};
use super::follow_up::{FollowCx, FollowUpState, adverse_ui, plan_ui};
use super::form::{FormOutcome, KeptDraft};
use super::patients::{PatientForm, edit_patient_form, patient_form_ui};
use super::treatments::{TabContext, TreatmentForm, Void, treatments_ui};
use super::trends::{TrendsAction, TrendsModel, TrendsState, trends_ui};
use super::widgets::{muted, write_button};
use super::{Action, Write, WriteOrigin};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::score_inputs::{EntryScores, all_entry_scores};
use clinilog_domain::{Catalog, Entry, Patient, TreatmentEvent};
use clinilog_store::{AuditRecord, DraftKey};
pub use log::{HistoryRow, LogCell, LogModel, LogRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Log,
    Treatments,
    Plan,
    AdverseEvents,
    Trends,
    History,
}

/// The view model of one patient. Its fields are the shell's and this
/// screen's; from outside the crate it is read through its methods.
pub struct PatientScreen {
    pub(crate) patient: Patient,
    pub(crate) entries: Vec<Entry>,
    pub(crate) treatments: Vec<TreatmentEvent>,
    pub(crate) log: LogModel,
    pub(crate) trends: TrendsModel,
    pub(crate) scores: Vec<EntryScores>,
    /// Days a missing score input may be carried from an earlier entry.
    pub(crate) carry_days: i64,
    /// Conventional or SI units for every value shown.
    pub(crate) units: UnitSystem,
    /// The entry whose score breakdown is open.
    pub(crate) breakdown: Option<i64>,
    pub(crate) history: Vec<HistoryRow>,
    /// The audit chain as last checked on a job (the History tab says
    /// whether this patient's rows are verified); `None` until it is.
    pub(crate) chain: Option<std::sync::Arc<history::ChainVerdict>>,
    /// The audit trail as read; `history` is built from it when the
    /// History tab is first shown.
    audit: Vec<AuditRecord>,
    /// Which of `log`, `trends`, `history` must be built again before they
    /// are drawn: each is built when its tab is shown, not on every load
    /// (opening a patient on the Log does not lay out the Trends).
    stale: Stale,
    pub(crate) tab: Tab,
    pub(crate) entry_form: Option<EntryForm>,
    pub(crate) treatment_form: Option<TreatmentForm>,
    /// The treatment event whose void is being confirmed, with the reason typed.
    pub(crate) treatment_void: Option<Void>,
    /// "Edit details" of the patient.
    pub(crate) details_form: Option<PatientForm>,
    /// The void of the entry whose breakdown is open: reason and refusal.
    pub(crate) entry_void: Void,
    /// The file is open read-only: nothing that writes is offered.
    pub(crate) read_only: bool,
    pub(crate) trends_state: TrendsState,
    /// The protocol plan and the adverse events, with their forms.
    pub(crate) follow: FollowUpState,
    /// A printed report being read into a new entry, and kept reports shown.
    pub(crate) capture: CaptureState,
}

/// View models to build again before their tab is drawn.
#[derive(Clone, Copy, Debug, Default)]
struct Stale {
    log: bool,
    trends: bool,
    history: bool,
}

impl PatientScreen {
    /// Opens the entry of `date` for an edit when the patient has one (a
    /// visit that lacked measures, from the due list), else a new entry
    /// dated `date`; an entry form already open keeps its typing.
    pub fn new_entry_on(&mut self, date: Date, catalog: &Catalog, clinician: &str) {
        self.show_tab(Tab::Log);
        if self.read_only || self.entry_form.is_some() {
            return;
        }
        if let Some(entry) = self.entries.iter().find(|e| e.data.collected_on == date) {
            self.entry_form = Some(edit_entry_form(entry, catalog, &self.patient, &self.entries));
            return;
        }
        self.entry_form = Some(new_entry_form(
            catalog,
            &self.patient,
            date,
            clinician,
            &self.entries,
            self.units,
        ));
    }

    /// The rows of the report being read, matched again with the clinic's
    /// mapping file as it now is; values now read fill their empty lines.
    pub fn relearn(&mut self, catalog: &Catalog, local: &clinilog_domain::import::LocalCodes) {
        let Some(view) = &mut self.capture.view else { return };
        let tests = clinilog_domain::import::TestMap::new(catalog, local);
        let rows: Vec<_> = view.rows.iter().map(|(p, _)| p.row.clone()).collect();
        let again = clinilog_domain::capture::propose(&rows, catalog, &tests, self.patient.data.sex);
        for ((p, _), new) in view.rows.iter_mut().zip(again) {
            // A scan's reading that failed its second reading stays not read.
            let scan_doubt =
                matches!(&p.reading, clinilog_domain::capture::Reading::NotRead(w) if w.contains("read differently"));
            if !scan_doubt {
                *p = new;
            }
        }
        view.remember = vec![String::new(); view.rows.len()];
        if let Some(form) = &mut self.entry_form {
            let proposals: Vec<_> = view.rows.iter().map(|(p, _)| p.clone()).collect();
            clinilog_domain::capture::fill_draft(&mut form.draft, &proposals);
        }
    }

    /// Opens the entry form filled from a report whose questions are answered.
    fn open_from_report(&mut self, ctx: &egui::Context, q: Question, catalog: &Catalog, today: Date, clinician: &str) {
        let capture = q.capture;
        let (date, note) = match super::capture::collection_date(&capture, q.date_order) {
            Ok(d) => (
                d,
                match &capture.header.collected_label {
                    // A receipt, registration or bill date stands in: say which.
                    Some(label) if !capture.header.is_collection_date() => format!(
                        "Dated {} by \"{label}\" as printed (\"{}\"): the report prints no collection date; check the date.",
                        clinilog_domain::import::unambiguous(d),
                        capture.header.collected_text.clone().unwrap_or_default()
                    ),
                    _ => format!(
                        "Collected {} as printed (\"{}\").",
                        clinilog_domain::import::unambiguous(d),
                        capture.header.collected_text.clone().unwrap_or_default()
                    ),
                },
            ),
            Err(_) => (
                today,
                "The report prints no collection date Clinilog reads: the date is today's, set it from the report."
                    .to_owned(),
            ),
        };
        let mut form = new_entry_form(catalog, &self.patient, date, clinician, &self.entries, self.units);
        let proposals: Vec<_> = capture.proposals.clone();
        clinilog_domain::capture::fill_draft(&mut form.draft, &proposals);
        self.entry_form = Some(form);
        self.capture.view = Some(CaptureView::new(ctx, &capture, note));
    }

    /// Shows `tab` from the next frame on.
    pub fn show_tab(&mut self, tab: Tab) {
        self.tab = tab;
    }

    pub fn new(
        patient: Patient,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        audit: &[AuditRecord],
        catalog: &Catalog,
        carry_days: i64,
        units: UnitSystem,
    ) -> Self {
        let mut screen = Self {
            patient,
            entries: Vec::new(),
            treatments: Vec::new(),
            log: LogModel::default(),
            trends: TrendsModel::default(),
            scores: Vec::new(),
            carry_days,
            units,
            breakdown: None,
            history: Vec::new(),
            chain: None,
            audit: Vec::new(),
            stale: Stale::default(),
            tab: Tab::Log,
            entry_form: None,
            treatment_form: None,
            treatment_void: None,
            details_form: None,
            entry_void: Void::default(),
            read_only: false,
            trends_state: TrendsState::default(),
            follow: FollowUpState::default(),
            capture: CaptureState::default(),
        };
        screen.reload(entries, treatments, audit, catalog);
        screen
    }

    /// Replaces the loaded data, keeping the tab and any open form.
    pub fn reload(
        &mut self,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        audit: &[AuditRecord],
        catalog: &Catalog,
    ) {
        self.entries = entries;
        self.treatments = treatments;
        self.audit = audit.to_vec();
        self.stale.history = true;
        self.rebuild(catalog);
    }

    /// The date range the Trends plots showed last frame, in days.
    pub fn trends_shown_range(&self) -> Option<(f64, f64)> {
        self.trends_state.shown_range
    }

    /// The open forms whose typing is kept as drafts.
    pub fn kept_drafts(&mut self) -> Vec<&mut dyn KeptDraft> {
        let mut out: Vec<&mut dyn KeptDraft> = Vec::new();
        if let Some(f) = &mut self.entry_form {
            out.push(f);
        }
        if let Some(f) = &mut self.treatment_form {
            out.push(f);
        }
        if let Some(f) = &mut self.details_form {
            out.push(f);
        }
        if let Some(f) = &mut self.follow.assign_form {
            out.push(f);
        }
        if let Some(f) = &mut self.follow.shift_form {
            out.push(f);
        }
        if let Some(f) = &mut self.follow.adverse_form {
            out.push(f);
        }
        out
    }

    /// After a reload: open edits build on the newest version of their record.
    pub fn rebase_forms(&mut self) {
        if let Some(f) = &mut self.entry_form {
            let newest = f
                .editing
                .as_ref()
                .and_then(|e| self.entries.iter().find(|n| n.id == e.id))
                .cloned();
            f.rebase(newest);
        }
        if let Some(f) = &mut self.treatment_form {
            let newest = f
                .editing
                .as_ref()
                .and_then(|e| self.treatments.iter().find(|n| n.id == e.id))
                .cloned();
            f.rebase(newest);
        }
        if let Some(f) = &mut self.details_form {
            f.rebase(Some(self.patient.clone()));
        }
        if let Some(f) = &mut self.follow.shift_form {
            let newest = f
                .editing
                .as_ref()
                .and_then(|a| self.follow.data.plans.iter().find(|v| v.assignment.id == a.id))
                .map(|v| v.assignment.clone());
            f.rebase(newest);
        }
        if let Some(f) = &mut self.follow.adverse_form {
            let newest = f
                .editing
                .as_ref()
                .and_then(|e| self.follow.data.adverse.iter().find(|n| n.id == e.id))
                .cloned();
            f.rebase(newest);
        }
    }

    /// A write from here was saved: close the form (or void) it came from
    /// only; other open forms keep their typing.
    pub fn write_done(&mut self, origin: WriteOrigin) {
        let is = |key: Option<DraftKey>| matches!(origin, WriteOrigin::Form(k) if Some(k) == key);
        if is(self.entry_form.as_ref().map(|f| f.key)) {
            self.entry_form = None;
            self.capture.view = None;
        }
        if is(self.treatment_form.as_ref().map(|f| f.key)) {
            self.treatment_form = None;
        }
        if is(self.details_form.as_ref().map(|f| f.key)) {
            self.details_form = None;
        }
        let follow = &mut self.follow;
        if is(follow.assign_form.as_ref().map(|f| f.key)) {
            follow.assign_form = None;
        }
        if is(follow.shift_form.as_ref().map(|f| f.key)) {
            follow.shift_form = None;
        }
        if is(follow.adverse_form.as_ref().map(|f| f.key)) {
            follow.adverse_form = None;
        }
        match origin {
            WriteOrigin::VoidAssignment(id) if follow.assignment_void.as_ref().is_some_and(|v| v.id == id) => {
                follow.assignment_void = None;
            }
            WriteOrigin::ClosePlanItem(id) if follow.closing.as_ref().is_some_and(|(v, ..)| v.id == id) => {
                follow.closing = None;
            }
            WriteOrigin::VoidAdverseEvent(id) if follow.adverse_void.as_ref().is_some_and(|v| v.id == id) => {
                follow.adverse_void = None;
            }
            WriteOrigin::NoAdverseEvents(_) => follow.none_error = None,
            WriteOrigin::VoidEntry(id) if self.breakdown == Some(id) => {
                self.breakdown = None;
                self.entry_void = Void::default();
            }
            WriteOrigin::VoidTreatment(id) if self.treatment_void.as_ref().is_some_and(|v| v.id == id) => {
                self.treatment_void = None;
            }
            _ => {}
        }
    }

    /// A write from here was refused: the message goes beside the form (or
    /// void) it came from, and what was typed stays.
    pub fn write_refused(&mut self, origin: WriteOrigin, message: &str, conflict: bool) {
        match origin {
            WriteOrigin::Form(key) => {
                if let Some(f) = self.entry_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
                if let Some(f) = self.treatment_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
                if let Some(f) = self.details_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
                let follow = &mut self.follow;
                if let Some(f) = follow.assign_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
                if let Some(f) = follow.shift_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
                if let Some(f) = follow.adverse_form.as_mut().filter(|f| f.key == key) {
                    f.refused(message.to_owned(), conflict);
                }
            }
            WriteOrigin::VoidAssignment(id) => {
                if let Some(v) = self.follow.assignment_void.as_mut().filter(|v| v.id == id) {
                    v.error = Some(message.to_owned());
                }
            }
            WriteOrigin::VoidAdverseEvent(id) => {
                if let Some(v) = self.follow.adverse_void.as_mut().filter(|v| v.id == id) {
                    v.error = Some(message.to_owned());
                }
            }
            WriteOrigin::ClosePlanItem(id) => {
                if let Some((v, ..)) = self.follow.closing.as_mut().filter(|(v, ..)| v.id == id) {
                    v.error = Some(message.to_owned());
                }
            }
            WriteOrigin::NoAdverseEvents(_) => self.follow.none_error = Some(format!("Not recorded: {message}")),
            WriteOrigin::VoidEntry(id) => {
                if self.breakdown == Some(id) {
                    self.entry_void.error = Some(message.to_owned());
                }
            }
            WriteOrigin::VoidTreatment(id) => {
                if let Some(v) = self.treatment_void.as_mut().filter(|v| v.id == id) {
                    v.error = Some(message.to_owned());
                }
            }
        }
    }

    /// Rebuilds the view models from the loaded data (no query).
    pub fn rebuild(&mut self, catalog: &Catalog) {
        self.scores = all_entry_scores(&self.entries, &self.patient, catalog, self.carry_days);
        self.stale.log = true;
        self.stale.trends = true;
    }

    /// Builds the view model of the tab shown, when it is stale.
    fn build_tab_model(&mut self, catalog: &Catalog) {
        match self.tab {
            Tab::Log if self.stale.log => {
                self.log = LogModel::build(&self.entries, catalog, &self.patient, &self.scores, self.units);
                self.stale.log = false;
            }
            Tab::Trends if self.stale.trends => {
                self.trends = TrendsModel::build(
                    &self.entries,
                    &self.treatments,
                    catalog,
                    &self.patient,
                    &self.scores,
                    self.units,
                )
                .with_adverse(&self.follow.data.adverse);
                self.stale.trends = false;
            }
            Tab::History if self.stale.history => {
                self.history = HistoryRow::build(&self.audit, catalog);
                self.stale.history = false;
            }
            _ => {}
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        let mut action = None;
        let p = &self.patient.data;
        ui.horizontal(|ui| {
            if ui
                .button("< Patients")
                .on_hover_text("Back to the patient list")
                .clicked()
            {
                action = Some(Action::ShowPatients);
            }
            ui.heading(&p.name);
            if self.details_form.is_none()
                && write_button(ui, self.read_only, egui::Button::new("Edit details")).clicked()
            {
                self.details_form = Some(edit_patient_form(&self.patient));
            }
            if ui
                .button("Export FHIR")
                .on_hover_text("Save this patient's record as a FHIR R4 Bundle (JSON) for another system")
                .clicked()
            {
                action = Some(Action::ExportFhir(self.patient.id));
            }
            if ui
                .button("Print report")
                .on_hover_text("Save this patient's report as PDF: cycles, serial values, scores, symptoms, figures")
                .clicked()
            {
                action = Some(Action::PrintReport(self.patient.id));
            }
        });
        ui.horizontal_wrapped(|ui| {
            muted(ui, "MRN");
            ui.label(&p.mrn);
            muted(ui, "Age");
            ui.label(format!("{} y", self.patient.age_on(today)));
            muted(ui, "Sex");
            ui.label(p.sex.label());
            muted(ui, "Diagnosis");
            ui.label(if p.diagnosis.is_empty() {
                "not recorded"
            } else {
                &p.diagnosis
            });
            muted(ui, "Enrolled");
            ui.label(p.enrolled.to_string());
        });
        if let Some(form) = &mut self.details_form {
            ui.separator();
            match patient_form_ui(ui, form, today) {
                FormOutcome::Save(data) => {
                    action = Some(Action::Write(Write::UpdatePatient {
                        patient: Box::new(form.editing.clone().unwrap_or_else(|| self.patient.clone())),
                        data,
                        reason: form.state.reason.trim().to_owned(),
                    }))
                }
                FormOutcome::Cancel => {
                    action = Some(Action::DiscardDraft(form.key));
                    self.details_form = None;
                }
                FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(form.key)),
                FormOutcome::Reload => action = Some(Action::ReloadPatient),
                FormOutcome::Editing => {}
            }
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Log, format!("Log ({})", self.entries.len()));
            ui.selectable_value(
                &mut self.tab,
                Tab::Treatments,
                format!("Treatments ({})", self.treatments.len()),
            );
            ui.selectable_value(
                &mut self.tab,
                Tab::Plan,
                format!("Plan ({})", self.follow.data.plans.len()),
            );
            ui.selectable_value(
                &mut self.tab,
                Tab::AdverseEvents,
                format!("Adverse events ({})", self.follow.data.adverse.len()),
            );
            ui.selectable_value(&mut self.tab, Tab::Trends, "Trends");
            ui.selectable_value(&mut self.tab, Tab::History, format!("History ({})", self.audit.len()));
        });
        ui.separator();
        self.build_tab_model(catalog);
        let tab_action = match self.tab {
            Tab::Log => self.log_ui(ui, catalog, today, clinician),
            Tab::Treatments => treatments_ui(
                ui,
                &self.treatments,
                &mut self.treatment_form,
                &mut self.treatment_void,
                &TabContext {
                    patient: &self.patient,
                    today,
                    clinician,
                    read_only: self.read_only,
                },
            ),
            Tab::Plan | Tab::AdverseEvents => {
                let cx = FollowCx {
                    patient: &self.patient,
                    entries: &self.entries,
                    treatments: &self.treatments,
                    catalog,
                    today,
                    clinician,
                    read_only: self.read_only,
                };
                if self.tab == Tab::Plan {
                    plan_ui(ui, &mut self.follow, &cx)
                } else {
                    adverse_ui(ui, &mut self.follow, &cx)
                }
            }
            Tab::Trends => match trends_ui(ui, &self.trends, &mut self.trends_state, today) {
                Some(TrendsAction::OpenEntry(id)) => {
                    self.tab = Tab::Log;
                    self.breakdown = Some(id);
                    self.entry_void = Void::new(id);
                    None
                }
                Some(TrendsAction::ExportCsv(csv)) => Some(Action::ExportCsv(csv)),
                Some(TrendsAction::ExportPng(rect)) => Some(Action::ExportPng(rect)),
                None => None,
            },
            Tab::History => {
                history::chain_line(ui, self.chain.as_deref(), &self.audit);
                history::history_ui(ui, &self.history);
                None
            }
        };
        action.or(tab_action)
    }
}
