//! The patient screen: header, and the Log, Treatments and Trends tabs.
//!
//! Everything drawn here comes from the view model loaded when the patient
//! was opened or after a save; nothing is queried while drawing.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::entry_form::{EntryForm, entry_form_ui};
use super::patients::FormOutcome;
use super::treatments::{TreatmentForm, treatments_ui};
use super::trends::{TrendsModel, trends_ui};
use super::widgets::{flag_color, muted};
use super::{Action, theme};
use crate::domain::{Catalog, Entry, Flag, Origin, Patient, TreatmentEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Log,
    Treatments,
    Trends,
}

/// One cell of the log table.
#[derive(Clone, Debug, PartialEq)]
pub struct LogCell {
    pub text: String,
    pub flag: Flag,
    pub calculated: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    pub entry_id: i64,
    pub date: Date,
    pub cells: Vec<Option<LogCell>>,
    pub note: String,
    pub recorded_by: String,
}

/// The Log tab's table: one column per measure ever recorded for this
/// patient (catalog order, unit in the header), entries newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogModel {
    pub headers: Vec<String>,
    pub rows: Vec<LogRow>,
}

impl LogModel {
    pub fn build(entries: &[Entry], catalog: &Catalog, patient: &Patient) -> Self {
        let sex = patient.data.sex;
        let per_entry: Vec<_> = entries
            .iter()
            .map(|e| e.data.lab_values(catalog, sex))
            .collect();
        let mut codes: Vec<&str> = Vec::new();
        for values in &per_entry {
            for (lab, _) in values {
                if !codes.contains(&lab.code.as_str()) {
                    codes.push(&lab.code);
                }
            }
        }
        for e in entries {
            for s in &e.data.symptoms {
                if !codes.contains(&s.code.as_str()) {
                    codes.push(&s.code);
                }
            }
        }
        codes.sort_by_key(|c| catalog.order_of(c));
        let headers = codes
            .iter()
            .map(|c| {
                catalog
                    .measure(c)
                    .map_or_else(|| (*c).to_owned(), |m| m.label_with_unit())
            })
            .collect();
        let rows = entries
            .iter()
            .zip(&per_entry)
            .map(|(e, values)| LogRow {
                entry_id: e.id,
                date: e.data.collected_on,
                cells: codes
                    .iter()
                    .map(|code| {
                        if let Some((lab, origin)) = values.iter().find(|(l, _)| l.code == *code) {
                            let calculated = *origin == Origin::Calculated;
                            return Some(LogCell {
                                text: if calculated {
                                    format!("{} (calc.)", lab.display())
                                } else {
                                    lab.display()
                                },
                                flag: lab.flag,
                                calculated,
                            });
                        }
                        let value = e.data.symptom(code)?;
                        let scale = catalog.measure(code).and_then(|m| m.scale())?;
                        Some(LogCell {
                            text: scale.short(value),
                            flag: Flag::Normal,
                            calculated: false,
                        })
                    })
                    .collect(),
                note: e.data.note.clone(),
                recorded_by: e.data.recorded_by.clone(),
            })
            .collect();
        Self { headers, rows }
    }
}

/// The view model of one patient.
pub struct PatientScreen {
    pub patient: Patient,
    pub entries: Vec<Entry>,
    pub treatments: Vec<TreatmentEvent>,
    pub log: LogModel,
    pub trends: TrendsModel,
    pub tab: Tab,
    pub entry_form: Option<EntryForm>,
    pub treatment_form: Option<TreatmentForm>,
}

impl PatientScreen {
    pub fn new(
        patient: Patient,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        catalog: &Catalog,
    ) -> Self {
        let log = LogModel::build(&entries, catalog, &patient);
        let trends = TrendsModel::build(&entries, &treatments, catalog, &patient);
        Self {
            patient,
            entries,
            treatments,
            log,
            trends,
            tab: Tab::Log,
            entry_form: None,
            treatment_form: None,
        }
    }

    /// Replaces the loaded data, keeping the tab and any open form.
    pub fn reload(
        &mut self,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        catalog: &Catalog,
    ) {
        self.log = LogModel::build(&entries, catalog, &self.patient);
        self.trends = TrendsModel::build(&entries, &treatments, catalog, &self.patient);
        self.entries = entries;
        self.treatments = treatments;
    }

    pub fn ui(
        &mut self,
        ui: &mut Ui,
        catalog: &Catalog,
        today: Date,
        clinician: &str,
    ) -> Option<Action> {
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
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.tab,
                Tab::Log,
                format!("Log ({})", self.entries.len()),
            );
            ui.selectable_value(
                &mut self.tab,
                Tab::Treatments,
                format!("Treatments ({})", self.treatments.len()),
            );
            ui.selectable_value(&mut self.tab, Tab::Trends, "Trends");
        });
        ui.separator();
        match self.tab {
            Tab::Log => {
                if let Some(a) = self.log_ui(ui, catalog, today, clinician) {
                    action = Some(a);
                }
            }
            Tab::Treatments => {
                if let Some(a) = treatments_ui(
                    ui,
                    &self.treatments,
                    &mut self.treatment_form,
                    &self.patient,
                    today,
                    clinician,
                ) {
                    action = Some(a);
                }
            }
            Tab::Trends => trends_ui(ui, &self.trends),
        }
        action
    }

    fn log_ui(
        &mut self,
        ui: &mut Ui,
        catalog: &Catalog,
        today: Date,
        clinician: &str,
    ) -> Option<Action> {
        if let Some(form) = &mut self.entry_form {
            let patient = &self.patient;
            let outcome = egui::ScrollArea::vertical()
                .id_salt("entry_form_scroll")
                .show(ui, |ui| entry_form_ui(ui, form, catalog, patient, today))
                .inner;
            return match outcome {
                FormOutcome::Save(data) => Some(Action::RecordEntry(data)),
                FormOutcome::Cancel => {
                    self.entry_form = None;
                    None
                }
                FormOutcome::Editing => None,
            };
        }
        if ui.button("New entry").clicked() {
            self.entry_form = Some(EntryForm::new(catalog, &self.patient, today, clinician));
            return None;
        }
        if self.log.rows.is_empty() {
            ui.add_space(theme::SECTION_GAP);
            ui.label("No entries yet.");
            muted(
                ui,
                "Click \"New entry\" to record this week's lab report, symptom ratings or a note.",
            );
            return None;
        }
        muted(
            ui,
            "Newest first. H above, L below the printed reference interval; (calc.) calculated by Clinilog.",
        );
        egui::ScrollArea::horizontal()
            .id_salt("log_hscroll")
            .show(ui, |ui| {
                log_table_ui(ui, &self.log);
            });
        None
    }
}

fn log_table_ui(ui: &mut Ui, log: &LogModel) {
    let mut table = TableBuilder::new(ui)
        .id_salt("log_table")
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(90.0));
    for _ in &log.headers {
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
                    ui.label(r.date.to_string());
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
                            ui.label(text);
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
}
