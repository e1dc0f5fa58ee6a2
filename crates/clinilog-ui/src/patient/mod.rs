//! The patient screen: header, and the Log, Treatments and Trends tabs.
//!
//! Everything drawn here comes from the view model loaded when the patient
//! was opened or after a save; nothing is queried while drawing. The pure
//! models (the Log table, the History rows) are in `log.rs`; the History
//! tab is drawn by `history.rs`.
//!
//! A write asked for here names its origin (the form, or the void); the
//! shell hands the result back through [`PatientScreen::write_done`] and
//! [`PatientScreen::write_refused`], so it reaches that form only.

pub mod history;
pub mod log;

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::capture::{Answer, CaptureState, CaptureView, PanelAction, Question};
use super::entry_form::{EntryForm, edit_entry_form, entry_form_ui, new_entry_form};
use super::follow_up::{FollowCx, FollowUpState, adverse_ui, plan_ui};
use super::form::{FormOutcome, KeptDraft};
use super::patients::{PatientForm, edit_patient_form, patient_form_ui};
use super::treatments::{TabContext, TreatmentForm, Void, treatments_ui};
use super::trends::{TrendsAction, TrendsModel, TrendsState, trends_ui};
use super::widgets::{empty_state, field_message, flag_color, muted, new_shortcut, score_terms_ui, write_button};
use super::{Action, Write, WriteOrigin, theme};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::score_inputs::{EntryScores, all_entry_scores};
use clinilog_domain::{Catalog, Entry, Flag, Patient, TreatmentEvent};
use clinilog_store::{AuditRecord, DraftKey, local_time};
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

    fn log_ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        // A report read on its job: questions first, else the form filled in.
        if let Some(done) = super::job::Job::take(&mut self.capture.job) {
            match done {
                Ok(Ok(c)) => {
                    let other = super::capture::other_patient(&c, &self.patient).map(|o| (o, false));
                    let ambiguous = match super::capture::collection_date(&c, None) {
                        Err(Some(text)) => Some(text),
                        _ => None,
                    };
                    let q = Question {
                        capture: Box::new(c),
                        other_patient: other,
                        ambiguous_date: ambiguous,
                        date_order: None,
                    };
                    if q.other_patient.is_none() && q.ambiguous_date.is_none() {
                        self.open_from_report(ui.ctx(), q, catalog, today, clinician);
                    } else {
                        self.capture.question = Some(q);
                    }
                }
                Ok(Err(e)) => self.capture.error = Some(e),
                Err(_) => self.capture.error = Some("the report could not be read: the reading stopped".to_owned()),
            }
        }
        super::capture::shown_ui(ui.ctx(), &mut self.capture.shown);
        if let Some(q) = &mut self.capture.question {
            match super::capture::question_ui(ui, q, &self.patient) {
                Some(Answer::Open) => {
                    if let Some(q) = self.capture.question.take() {
                        self.open_from_report(ui.ctx(), q, catalog, today, clinician);
                    }
                }
                Some(Answer::Cancel) => self.capture.question = None,
                None => {}
            }
            return None;
        }
        if let Some(form) = &mut self.entry_form {
            let mut remember = None;
            if let Some(view) = &mut self.capture.view {
                egui::Panel::right("capture_panel")
                    .resizable(true)
                    .default_size(440.0)
                    .show(ui, |ui| {
                        if let Some(PanelAction::Remember { name, code }) = super::capture::panel_ui(ui, view, catalog)
                        {
                            remember = Some(Action::RememberTestName { name, code });
                        }
                    });
            }
            if remember.is_some() {
                return remember;
            }
            let patient = &self.patient;
            let history = &self.entries;
            let outcome = egui::ScrollArea::vertical()
                .id_salt("entry_form_scroll")
                .show(ui, |ui| entry_form_ui(ui, form, catalog, patient, history, today))
                .inner;
            let from_report = self.capture.view.as_ref().map(|v| Box::new(v.document.clone()));
            return match outcome {
                FormOutcome::Save(data) => Some(Action::Write(match (&form.editing, from_report) {
                    (Some(entry), _) => Write::EditEntry {
                        entry: Box::new(entry.clone()),
                        data,
                        reason: form.state.reason.trim().to_owned(),
                    },
                    (None, Some(document)) => Write::RecordEntryFromReport {
                        patient_id: patient.id,
                        data,
                        document,
                    },
                    (None, None) => Write::RecordEntry {
                        patient_id: patient.id,
                        data,
                    },
                })),
                FormOutcome::Cancel => {
                    let key = form.key;
                    self.entry_form = None;
                    self.capture.view = None;
                    Some(Action::DiscardDraft(key))
                }
                FormOutcome::DiscardDraft => Some(Action::DiscardDraft(form.key)),
                FormOutcome::Reload => Some(Action::ReloadPatient),
                FormOutcome::Editing => None,
            };
        }
        let mut from_report = false;
        let new = ui
            .horizontal(|ui| {
                let new = write_button(ui, self.read_only, egui::Button::new("New entry")).on_hover_text("Ctrl+N");
                from_report = match &self.capture.unavailable {
                    Some(why) => ui
                        .add_enabled(false, egui::Button::new("New entry from report..."))
                        .on_disabled_hover_text(why.as_str())
                        .clicked(),
                    None => write_button(ui, self.read_only, egui::Button::new("New entry from report..."))
                        .on_hover_text("Read the lab's PDF, or a scan or photo of the printed report, into a new entry")
                        .clicked(),
                };
                if self.capture.job.is_some() {
                    ui.spinner();
                    ui.label("Reading the report...");
                }
                new
            })
            .inner;
        if new.clicked() || (!self.read_only && new_shortcut(ui)) {
            self.entry_form = Some(new_entry_form(
                catalog,
                &self.patient,
                today,
                clinician,
                &self.entries,
                self.units,
            ));
            return None;
        }
        if from_report {
            self.capture.asking = Some(String::new());
            self.capture.error = None;
        }
        if let Some(e) = &self.capture.error {
            ui.colored_label(theme::ERROR, format!("The report was not read: {e}"));
        }
        if let Some(path) = &mut self.capture.asking
            && let Some(answer) = super::capture::ask_file_ui(ui, path)
        {
            self.capture.asking = None;
            if let Some(path) = answer {
                return Some(Action::ReadReport(path));
            }
        }
        // A report dropped on the Log is read as if chosen.
        if !self.read_only
            && self.capture.unavailable.is_none()
            && let Some(path) = ui.ctx().input(|i| {
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_owned())
                    .find(|p| !p.as_os_str().is_empty())
            })
        {
            return Some(Action::ReadReport(path));
        }
        if let Some(line) = super::follow_up::log_line(&self.follow.data) {
            let grave = self
                .follow
                .data
                .adverse
                .iter()
                .any(|e| e.data.grade >= 3 || e.data.serious);
            let color = if grave { theme::ERROR } else { theme::MUTED };
            if ui
                .add(egui::Label::new(RichText::new(line).color(color)).sense(egui::Sense::click()))
                .on_hover_text("Open the Adverse events tab")
                .clicked()
            {
                self.tab = Tab::AdverseEvents;
            }
        }
        if self.log.rows.is_empty() {
            empty_state(
                ui,
                "No entries yet.",
                "Click \"New entry\" to record this week's lab report, symptom ratings or a note.",
            );
            return None;
        }
        muted(
            ui,
            "Newest first. H above, L below the printed reference interval; HH, LL beyond the critical (call-back) \
             limits; (calc.) calculated by Clinilog.",
        );
        ui.horizontal(|ui| {
            let label = muted(ui, "Scores may carry a missing value from an earlier entry up to");
            let changed = ui
                .add(egui::DragValue::new(&mut self.carry_days).range(0..=90).suffix(" days"))
                .labelled_by(label.id)
                .changed();
            muted(
                ui,
                "back. Click a date to see the entry's scores, or to edit or void it.",
            );
            if changed {
                self.rebuild(catalog);
            }
        });
        // Scores never computed for this patient: one note, not columns of "-".
        if !self.log.missing_scores.is_empty() {
            muted(
                ui,
                format!(
                    "Not computed for this patient yet: {}.",
                    self.log.missing_scores.join("; ")
                ),
            );
        }
        let mut action = None;
        if let Some(id) = self.breakdown {
            let mut open = true;
            let entry = self.entries.iter().find(|e| e.id == id);
            if let (Some(entry), Some(scores)) = (entry, self.scores.iter().find(|s| s.entry_id == id)) {
                egui::Window::new(format!("Entry of {}", entry.data.collected_on))
                    .id(egui::Id::unique(("entry_window", id)))
                    .open(&mut open)
                    .default_pos(theme::BREAKDOWN_POS)
                    .default_width(560.0)
                    .default_height(620.0)
                    .vscroll(true)
                    .show(ui.ctx(), |ui| {
                        ui.horizontal(|ui| {
                            if write_button(ui, self.read_only, egui::Button::new("Edit entry")).clicked() {
                                self.entry_form = Some(edit_entry_form(entry, catalog, &self.patient, &self.entries));
                            }
                            let label = ui.label("Reason for voiding");
                            ui.add(egui::TextEdit::singleline(&mut self.entry_void.reason).desired_width(200.0))
                                .labelled_by(label.id);
                            let can_void = !self.entry_void.reason.trim().is_empty();
                            if ui
                                .add_enabled(can_void && !self.read_only, egui::Button::new("Void entry"))
                                .on_disabled_hover_text("Give a reason first")
                                .on_hover_text("Leaves the Log and the plots; stays in the file and the History")
                                .clicked()
                            {
                                action = Some(Action::Write(Write::VoidEntry {
                                    entry: Box::new(entry.clone()),
                                    reason: self.entry_void.reason.trim().to_owned(),
                                }));
                            }
                        });
                        let refused = self.entry_void.error.as_ref().map(|e| format!("Not voided: {e}"));
                        field_message(ui, refused.as_deref());
                        muted(
                            ui,
                            format!(
                                "Recorded by {} at {}",
                                entry.data.recorded_by,
                                local_time(&entry.recorded_at)
                            ),
                        );
                        if let Some(doc) = self.capture.sources.get(&id) {
                            ui.horizontal(|ui| {
                                muted(ui, format!("Read from the lab report {}", doc.name));
                                if ui.button("Show the report").clicked() {
                                    action = Some(Action::ShowReport(id));
                                }
                            });
                        }
                        ui.separator();
                        score_breakdown_ui(ui, scores);
                    });
            }
            if !open || self.entry_form.is_some() {
                self.breakdown = None;
            }
        }
        egui::ScrollArea::horizontal()
            .id_salt("log_hscroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(id) = log_table_ui(ui, &self.log) {
                    self.breakdown = Some(id);
                    self.entry_void = Void::new(id);
                }
            });
        action
    }
}

/// Draws the log; returns the entry whose date was clicked.
fn log_table_ui(ui: &mut Ui, log: &LogModel) -> Option<i64> {
    let mut clicked = None;
    let score_columns = log.score_kinds.len();
    let measure_columns = log.headers.len().saturating_sub(score_columns);
    let mut table = TableBuilder::new(ui)
        .id_salt("log_table")
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(90.0));
    for _ in 0..score_columns.min(log.headers.len()) {
        table = table.column(Column::auto().at_least(56.0));
    }
    for _ in 0..measure_columns {
        table = table.column(Column::auto().at_least(80.0));
    }
    table = table
        .column(Column::auto().at_least(240.0).clip(true))
        .column(Column::auto().at_least(100.0));
    table
        .header(40.0, |mut h| {
            h.col(|ui| {
                ui.strong("Date");
            });
            for title in &log.headers {
                h.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(title).strong()).wrap());
                });
            }
            h.col(|ui| {
                ui.strong("Note");
            });
            h.col(|ui| {
                ui.strong("Recorded by");
            });
        })
        .body(|body| {
            body.rows(22.0, log.rows.len(), |mut row| {
                let r = &log.rows[row.index()];
                row.col(|ui| {
                    if ui
                        .link(r.date.to_string())
                        .on_hover_text("Show this entry's scores and their inputs")
                        .clicked()
                    {
                        clicked = Some(r.entry_id);
                    }
                });
                for cell in &r.cells {
                    row.col(|ui| match cell {
                        Some(c) => {
                            let mut text = RichText::new(&c.text).color(flag_color(c.flag));
                            if c.flag != Flag::Normal {
                                text = text.strong();
                            }
                            if c.calculated {
                                text = text.italics();
                            }
                            let response = ui.label(text);
                            if let Some(h) = &c.hover {
                                response.on_hover_text(h);
                            }
                        }
                        None => {
                            ui.label("");
                        }
                    });
                }
                row.col(|ui| {
                    ui.label(&r.note).on_hover_text(&r.note);
                });
                row.col(|ui| {
                    ui.label(&r.recorded_by);
                });
            });
        });
    clicked
}

/// The breakdown of one entry's scores: every input with its value, unit
/// and source, then each score with its terms or points, or what it lacks.
fn score_breakdown_ui(ui: &mut Ui, scores: &EntryScores) {
    ui.label(RichText::new("Inputs").strong());
    egui::Grid::new(("breakdown_inputs", scores.entry_id))
        .striped(true)
        .show(ui, |ui| {
            for u in &scores.used {
                ui.label(u.name);
                ui.label(&u.value);
                muted(ui, u.source.describe());
                ui.end_row();
            }
        });
    for (kind, result) in &scores.results {
        ui.add_space(theme::SECTION_GAP);
        match result {
            Ok(r) => {
                ui.label(RichText::new(format!("{} {}", kind.label(), r.display())).strong());
                score_terms_ui(ui, r, ("breakdown_terms", scores.entry_id));
            }
            Err(e) => {
                ui.label(RichText::new(kind.label()).strong());
                muted(ui, e.to_string());
            }
        }
    }
}
