//! The patient's follow-up: the *Plan* tab (a protocol assigned, its
//! cycles and visits planned and done side by side, shifts) and the
//! *Adverse events* tab (events with their CTCAE grade, and the explicit
//! record that there were none). Every form here is the one form model of
//! `form.rs`.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

mod adverse_events;

use super::form::{Form, FormOutcome, FormText, show_form};
use super::treatments::Void;
use super::widgets::{empty_state, field_message, muted, write_button};
use super::{Action, Write, theme};
pub use adverse_events::adverse_ui;
use clinilog_domain::adverse::{
    self, ActionTaken, AdverseEvent, AdverseEventDraft, NoEvents, NoEventsData, Outcome, Relation, grade_meaning,
    matching_terms,
};
use clinilog_domain::protocol::{
    self, AssignDraft, Assignment, PlanItem, Planned, Protocol, Schedule, ShiftData, ShiftDraft, Status,
    builtin_protocols, entry_dates, follow, treatment_dates,
};
use clinilog_domain::validate::parse_iso_date;
use clinilog_domain::{Catalog, Entry, Patient, TreatmentEvent};
use clinilog_store::DraftKey;

/// A protocol assigned to the patient, read and laid out once per load.
pub struct PlanView {
    pub assignment: Assignment,
    /// The protocol and its plan with every shift, or why it cannot be read.
    pub plan: Result<(Protocol, Vec<PlanItem>), String>,
}

/// What the follow-up tabs show, loaded with the patient.
#[derive(Default)]
pub struct FollowUp {
    pub plans: Vec<PlanView>,
    pub adverse: Vec<AdverseEvent>,
    pub none: Vec<NoEvents>,
}

impl FollowUp {
    pub fn new(
        assignments: Vec<Assignment>,
        adverse: Vec<AdverseEvent>,
        none: Vec<NoEvents>,
        catalog: &Catalog,
    ) -> Self {
        let plans = assignments
            .into_iter()
            .map(|a| {
                let plan = a
                    .protocol(catalog)
                    .map(|p| {
                        let items = a.plan(&Schedule::of(&p));
                        (p, items)
                    })
                    .map_err(|e| e.to_string());
                PlanView { assignment: a, plan }
            })
            .collect();
        Self { plans, adverse, none }
    }
}

/// The protocols offered, read when the form opens.
pub type Offered = Vec<(Protocol, &'static str)>;
pub type AssignForm = Form<AssignDraft, (), Offered>;
/// The shift form edits the assignment: its reason is the form's reason.
pub type ShiftForm = Form<ShiftDraft, Assignment, Vec<PlanItem>>;

/// What the adverse-event form keeps beside its draft: what it warns of.
#[derive(Default)]
pub struct AdverseExtra {
    pub warnings: Vec<(&'static str, String)>,
    /// The patient's treatments as (date, cycle): the cycle an onset followed.
    pub cycles: Vec<(Date, Option<u32>)>,
    /// The cycle the form last filled in itself: while the field still
    /// holds it, a changed onset fills in the cycle that onset followed.
    pub cycle_filled: Option<String>,
}
pub type AdverseForm = Form<AdverseEventDraft, AdverseEvent, AdverseExtra>;

/// The follow-up tabs' forms and voids.
#[derive(Default)]
pub struct FollowUpState {
    pub data: FollowUp,
    pub assign_form: Option<AssignForm>,
    pub shift_form: Option<ShiftForm>,
    pub adverse_form: Option<AdverseForm>,
    pub assignment_void: Option<Void>,
    /// *Not done...* of a late or missed item: the reason asked (the
    /// void's id is the assignment's), and the item (label, planned date).
    pub closing: Option<(Void, String, jiff::civil::Date)>,
    pub adverse_void: Option<Void>,
    /// The date typed for "no adverse events since the last visit".
    pub none_on: String,
    pub none_error: Option<String>,
}

/// What the tabs need of the patient screen.
pub struct FollowCx<'a> {
    pub patient: &'a Patient,
    pub entries: &'a [Entry],
    pub treatments: &'a [TreatmentEvent],
    pub catalog: &'a Catalog,
    pub today: Date,
    pub clinician: &'a str,
    pub read_only: bool,
}

/// An item's status as the Plan tab says it: late within the protocol's
/// time (`window_days` + `missed_after_days`), missed beyond it (as the due
/// list says).
fn status_text(status: &Status, p: &clinilog_domain::protocol::Protocol) -> (String, egui::Color32) {
    match status {
        Status::Done(d) => (format!("done {d}"), theme::OK),
        Status::Upcoming => ("upcoming".to_owned(), theme::MUTED),
        Status::Due => ("due now".to_owned(), theme::WARN),
        Status::Overdue(n) if *n > p.window_days + p.missed_after_days => {
            (format!("missed ({n} days ago)"), theme::ERROR)
        }
        Status::Overdue(n) => (format!("late: {n} day{}", if *n == 1 { "" } else { "s" }), theme::ERROR),
        Status::NotDone(reason) => (format!("not done: {reason}"), theme::MUTED),
    }
}

/// The *Plan* tab.
pub fn plan_ui(ui: &mut Ui, st: &mut FollowUpState, cx: &FollowCx<'_>) -> Option<Action> {
    let mut action = None;
    if let Some(f) = &mut st.assign_form {
        let birth = cx.patient.data.birth_date;
        let today = cx.today;
        let text = FormText {
            title: "Assign a protocol".to_owned(),
            save: "Assign protocol",
            noun: "assignment",
        };
        let outcome = show_form(
            ui,
            f,
            &text,
            |d, offered| d.validate(offered, birth, today),
            |ui, f, d, offered| {
                egui::Grid::new("assign_form")
                    .num_columns(3)
                    .spacing([8.0, 6.0])
                    .show(ui, |ui| {
                        let label = ui.label("Protocol");
                        let r = egui::ComboBox::from_id_salt("assign_protocol")
                            .selected_text(d.protocol.as_str())
                            .width(theme::WIDE_FIELD_WIDTH)
                            .show_ui(ui, |ui| {
                                for (p, _) in offered.iter() {
                                    ui.selectable_value(&mut d.protocol, p.name.clone(), &p.name);
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        f.register(ui, protocol::field::PROTOCOL, &r, "");
                        let description = offered
                            .iter()
                            .find(|(p, _)| p.name == d.protocol)
                            .map_or(String::new(), |(p, _)| p.description.clone());
                        ui.horizontal(|ui| {
                            muted(ui, description);
                            f.message(ui, protocol::field::PROTOCOL, true);
                        });
                        ui.end_row();
                        f.date(ui, protocol::field::START, "Start (day 0)", &mut d.start);
                        ui.horizontal(|ui| {
                            muted(ui, "the first cycle's date; visits count from it");
                            f.message(ui, protocol::field::START, !d.start.trim().is_empty());
                        });
                        ui.end_row();
                        f.text(ui, protocol::field::NOTE, "Note", &mut d.note, theme::WIDE_FIELD_WIDTH);
                        ui.label("");
                        ui.end_row();
                        f.last_text(
                            ui,
                            protocol::field::RECORDED_BY,
                            "Recorded by",
                            &mut d.recorded_by,
                            theme::WIDE_FIELD_WIDTH,
                        );
                    });
            },
        );
        match outcome {
            FormOutcome::Save(data) => {
                action = Some(Action::Write(Write::AssignProtocol {
                    patient_id: cx.patient.id,
                    data,
                }))
            }
            FormOutcome::Cancel => {
                action = Some(Action::DiscardDraft(f.key));
                st.assign_form = None;
            }
            FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(f.key)),
            FormOutcome::Reload => action = Some(Action::ReloadPatient),
            FormOutcome::Editing => {}
        }
        ui.separator();
    } else if write_button(ui, cx.read_only, egui::Button::new("Assign protocol")).clicked() {
        match builtin_protocols(cx.catalog) {
            Ok(offered) => {
                let first = offered.first().map_or(String::new(), |(p, _)| p.name.clone());
                let start = cx.treatments.first().map_or(cx.today, |t| t.data.date);
                st.assign_form = Some(Form::new(
                    DraftKey::NewAssignment { patient: cx.patient.id },
                    AssignDraft::blank(&first, start, cx.clinician),
                    None,
                    offered,
                    protocol::field::START,
                ));
            }
            Err(e) => st.none_error = Some(e.to_string()),
        }
    }
    if let Some(f) = &mut st.shift_form {
        let clinician = cx.clinician.to_owned();
        let text = FormText {
            title: format!(
                "Shift the plan of \"{}\"",
                f.editing.as_ref().map_or("", |a| a.data.protocol.as_str())
            ),
            save: "Shift",
            noun: "shift",
        };
        let reason = f.state.reason.clone();
        let outcome = show_form(
            ui,
            f,
            &text,
            |d, items| d.validate(items, &reason, &clinician),
            |ui, f, d, items| {
                egui::Grid::new("shift_form")
                    .num_columns(3)
                    .spacing([8.0, 6.0])
                    .show(ui, |ui| {
                        let label = ui.label("Cycle or visit");
                        let r = egui::ComboBox::from_id_salt("shift_item")
                            .selected_text(if d.item.is_empty() {
                                "Choose..."
                            } else {
                                d.item.as_str()
                            })
                            .width(220.0)
                            // Every item in view: a plan has a dozen or two.
                            .height(600.0)
                            .show_ui(ui, |ui| {
                                for i in items.iter() {
                                    let label = i.what.label();
                                    ui.selectable_value(&mut d.item, label.clone(), format!("{label} ({})", i.date));
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        f.register(ui, protocol::field::ITEM, &r, "");
                        ui.horizontal(|ui| {
                            muted(ui, "it moves, and so does everything planned on or after it");
                            f.message(ui, protocol::field::ITEM, true);
                        });
                        ui.end_row();
                        f.text(ui, protocol::field::DAYS, "Days", &mut d.days, theme::FORM_FIELD_WIDTH);
                        ui.horizontal(|ui| {
                            muted(ui, "7 delays a week; -2 brings it forward two days");
                            f.message(ui, protocol::field::DAYS, !d.days.trim().is_empty());
                        });
                        ui.end_row();
                        f.reason_row(ui);
                    });
            },
        );
        match outcome {
            FormOutcome::Save(shift) => {
                if let Some(a) = &f.editing {
                    action = Some(Action::Write(Write::ShiftPlan {
                        assignment: Box::new(a.clone()),
                        shift: ShiftData {
                            reason: f.state.reason.trim().to_owned(),
                            ..shift
                        },
                    }));
                }
            }
            FormOutcome::Cancel => {
                action = Some(Action::DiscardDraft(f.key));
                st.shift_form = None;
            }
            FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(f.key)),
            FormOutcome::Reload => action = Some(Action::ReloadPatient),
            FormOutcome::Editing => {}
        }
        ui.separator();
    }
    field_message(ui, st.none_error.as_deref());
    if st.data.plans.is_empty() {
        empty_state(
            ui,
            "Not on a protocol.",
            "Click \"Assign protocol\" to lay out the cycles and visits a protocol plans; they then show here and on the Due list.",
        );
        return action;
    }
    let dates = entry_dates(cx.entries);
    let treated = treatment_dates(cx.treatments);
    for (k, view) in st.data.plans.iter().enumerate() {
        let a = &view.assignment;
        ui.add_space(theme::SECTION_GAP);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("{}, from {}", a.data.protocol, a.data.start))
                    .strong()
                    .size(15.0),
            );
            if let Ok((_, items)) = &view.plan
                && st.shift_form.is_none()
                && write_button(ui, cx.read_only, egui::Button::new("Shift the plan..."))
                    .on_hover_text("Move a cycle or visit, and what follows it, with a reason")
                    .clicked()
            {
                st.shift_form = Some(Form::new(
                    DraftKey::ShiftPlan(a.id),
                    ShiftDraft::default(),
                    Some(a.clone()),
                    items.clone(),
                    protocol::field::DAYS,
                ));
            }
            if write_button(ui, cx.read_only, egui::Button::new("Stop..."))
                .on_hover_text("Take the patient off this protocol (assigned in error, or left it), with a reason")
                .clicked()
            {
                st.assignment_void = Some(Void::new(a.id));
            }
        });
        if !a.data.note.is_empty() {
            muted(ui, &a.data.note);
        }
        for s in &a.shifts {
            muted(
                ui,
                format!(
                    "{} moved {:+} days from {} ({}): {}",
                    s.item, s.days, s.planned_on, s.recorded_by, s.reason
                ),
            );
        }
        if let Some(v) = st.assignment_void.as_mut().filter(|v| v.id == a.id) {
            let mut close = false;
            let question = format!("Take the patient off \"{}\"?", a.data.protocol);
            if let Some(reason) = v.ask(
                ui,
                &question,
                "Reason for stopping",
                "Stop the protocol",
                "Not stopped",
                &mut close,
            ) {
                action = Some(Action::Write(Write::VoidAssignment {
                    assignment: Box::new(a.clone()),
                    reason,
                }));
            }
            if close {
                st.assignment_void = None;
            }
        }
        let (protocol, items) = match &view.plan {
            Ok(p) => p,
            Err(e) => {
                field_message(ui, Some(&format!("This plan cannot be laid out: {e}")));
                continue;
            }
        };
        let followed = follow(protocol, items, &dates, &treated, cx.today);
        TableBuilder::new(ui)
            .id_salt(("plan_table", k))
            .striped(true)
            .vscroll(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(110.0))
            .column(Column::auto().at_least(100.0))
            .column(Column::auto().at_least(170.0))
            .column(Column::remainder().at_least(300.0).clip(true))
            .header(22.0, |mut h| {
                for t in ["Planned", "Date planned", "Done", "Not recorded at that visit"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|mut body| {
                for f in &followed {
                    body.row(22.0, |mut row| {
                        row.col(|ui| {
                            let label = f.item.what.label();
                            if matches!(f.item.what, Planned::Cycle(_)) {
                                ui.label(RichText::new(label).strong());
                            } else {
                                ui.label(label);
                            }
                        });
                        row.col(|ui| {
                            ui.label(f.item.date.to_string());
                        });
                        row.col(|ui| {
                            let (text, color) = status_text(&f.status, protocol);
                            ui.label(RichText::new(text).color(color));
                            if matches!(f.status, Status::Overdue(_))
                                && write_button(ui, cx.read_only, egui::Button::new("Not done...").small())
                                    .on_hover_text(
                                        "Close it as not done, with why (declined, moved, died, sample lost): it \
                                         leaves the due list",
                                    )
                                    .clicked()
                            {
                                st.closing = Some((Void::new(a.id), f.item.what.label(), f.item.date));
                            }
                        });
                        row.col(|ui| {
                            let missing: Vec<&str> = f
                                .missing(cx.entries)
                                .into_iter()
                                .map(|m| cx.catalog.measure(m).map_or(m, |x| x.name.as_str()))
                                .collect();
                            let text = missing.join(", ");
                            ui.label(&text).on_hover_text(&text);
                        });
                    });
                }
            });
        if let Some((v, item, planned)) = st.closing.as_mut().filter(|(v, ..)| v.id == a.id) {
            let mut close = false;
            let question = format!("Close {item} (planned {planned}) as not done?");
            if let Some(reason) = v.ask(
                ui,
                &question,
                "Why it was not done",
                "Close as not done",
                "Keep it open",
                &mut close,
            ) {
                action = Some(Action::Write(Write::ClosePlanItem {
                    assignment: Box::new(a.clone()),
                    closure: clinilog_domain::protocol::ClosureData {
                        item: item.clone(),
                        planned_on: *planned,
                        reason,
                        recorded_by: cx.clinician.to_owned(),
                    },
                }));
            }
            if close {
                st.closing = None;
            }
        }
    }
    action
}

/// The Log's line about adverse events: the events (grade in text) or the
/// latest record that there were none.
pub fn log_line(data: &FollowUp) -> Option<String> {
    let events: Vec<String> = data
        .adverse
        .iter()
        .map(|e| {
            format!(
                "{} {} ({}, {})",
                e.data.term,
                e.data.marker(),
                e.data.onset,
                e.data.outcome.label().to_lowercase()
            )
        })
        .collect();
    match (events.is_empty(), data.none.last()) {
        (false, _) => Some(format!("Adverse events: {}", events.join("; "))),
        (true, Some(n)) => Some(format!(
            "No adverse events recorded (\"no adverse events since the last visit\" recorded on {})",
            n.data.on
        )),
        (true, None) => None,
    }
}
