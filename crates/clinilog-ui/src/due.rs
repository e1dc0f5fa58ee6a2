//! The *Due* screen, beside *Patients*: the nurse's morning list of what
//! the protocols ask for this week. Each line is a cycle or visit due, one
//! late (with how late), or a measure the latest visit lacks; one click
//! opens the patient's entry form on that date. Read on a thread with its
//! own read-only connection (a clinic of 10,000 patients), sorted and
//! filtered by protocol in memory.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::ToSpan;
use jiff::civil::Date;

use super::job::Job;
use super::widgets::{empty_state, field_message, muted, sort_header};
use super::{Action, theme};
use clinilog_domain::Catalog;
use clinilog_domain::protocol::{DueLine, PatientDue, week_start};
use clinilog_domain::validate::parse_iso_date;
use clinilog_store::Location;

/// How the list is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueSort {
    Patient,
    Protocol,
    Item,
    Status,
    Date,
}

impl DueSort {
    pub const ALL: [DueSort; 5] = [
        DueSort::Patient,
        DueSort::Protocol,
        DueSort::Item,
        DueSort::Status,
        DueSort::Date,
    ];

    fn title(self) -> &'static str {
        match self {
            DueSort::Patient => "Patient",
            DueSort::Protocol => "Protocol",
            DueSort::Item => "Visit or cycle",
            DueSort::Status => "Status",
            DueSort::Date => "Date",
        }
    }
}

/// One line of the list as shown: its patient and line in the list read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Row {
    patient: usize,
    line: usize,
}

/// The due list of one week, as read.
pub struct DueScreen {
    /// Monday of the week shown.
    pub monday: Date,
    week_text: String,
    week_error: Option<String>,
    list: Vec<PatientDue>,
    /// The lines shown, in order (after filter and sort).
    rows: Vec<Row>,
    /// The protocols on the list with how many patients each (the filter's choices).
    protocols: Vec<(String, usize)>,
    /// Patients listed, and lines late, due and lacking measures.
    counts: (usize, usize, usize, usize),
    /// Missed visits and cycles (windows closed more than the protocol's
    /// `missed_after_days` ago) on the list: shown instead of the week's
    /// lines when `missed` is ticked.
    missed_count: usize,
    pub missed: bool,
    /// The patients whose plan cannot be laid out.
    unreadable: Vec<usize>,
    pub protocol: Option<String>,
    pub sort: (DueSort, bool),
    /// Being read (a spinner shows).
    pub loading: bool,
    pub error: Option<String>,
    /// The week changed (or the screen is shown again): a reading starts.
    pub wants_read: bool,
    /// The reading under way (a new one supersedes it).
    job: Option<Job<Result<Vec<PatientDue>, String>>>,
}

impl DueScreen {
    pub fn new(today: Date) -> Self {
        let monday = week_start(today);
        Self {
            monday,
            week_text: monday.to_string(),
            week_error: None,
            list: Vec::new(),
            rows: Vec::new(),
            protocols: Vec::new(),
            counts: (0, 0, 0, 0),
            missed_count: 0,
            missed: false,
            unreadable: Vec::new(),
            protocol: None,
            sort: (DueSort::Status, false),
            loading: false,
            error: None,
            wants_read: true,
            job: None,
        }
    }

    /// Starts reading the week's list when asked, on a thread with its own
    /// read-only connection (a reading of another week still under way is
    /// superseded), and takes what arrived.
    pub fn poll(&mut self, ctx: &egui::Context, location: &Location, catalog: &Catalog) {
        if std::mem::take(&mut self.wants_read) {
            self.loading = true;
            let (location, day, catalog) = (location.clone(), self.monday, catalog.clone());
            self.job = Some(Job::spawn(ctx, "due list", move |_| {
                location
                    .open_read_only()
                    .and_then(|store| store.due_list(day, &catalog))
                    .map_err(|e| e.to_string())
            }));
        }
        if let Some(read) = Job::take(&mut self.job) {
            self.set_list(read.unwrap_or_else(|_| Err("the reading stopped".to_owned())));
        }
    }

    /// Whether the list is being read (or about to be).
    pub fn reading(&self) -> bool {
        self.wants_read || self.job.is_some()
    }

    /// The list read for the week.
    pub fn set_list(&mut self, read: Result<Vec<PatientDue>, String>) {
        self.loading = false;
        match read {
            Ok(list) => {
                self.list = list;
                self.error = None;
            }
            Err(e) => {
                self.list.clear();
                self.error = Some(e);
            }
        }
        self.protocols = self.count_protocols();
        self.unreadable = (0..self.list.len())
            .filter(|&i| self.list[i].problem.is_some())
            .collect();
        if self
            .protocol
            .as_ref()
            .is_some_and(|p| !self.protocols.iter().any(|(n, _)| n == p))
        {
            self.protocol = None;
        }
        self.arrange();
    }

    fn go_to(&mut self, day: Date) {
        self.monday = week_start(day);
        self.week_text = self.monday.to_string();
        self.week_error = None;
        self.wants_read = true;
    }

    /// Filters and sorts the lines.
    fn arrange(&mut self) {
        let list = &self.list;
        let mut rows: Vec<Row> = list
            .iter()
            .enumerate()
            .filter(|(_, p)| self.protocol.as_ref().is_none_or(|name| &p.protocol == name))
            .flat_map(|(i, p)| (0..p.lines.len()).map(move |l| Row { patient: i, line: l }))
            .collect();
        // Missed visits leave the week: listed apart, under *Missed*.
        let missed = |r: &Row| list[r.patient].lines[r.line].is_missed();
        self.missed_count = rows.iter().filter(|r| missed(r)).count();
        rows.retain(|r| missed(r) == self.missed);
        let (by, descending) = self.sort;
        let status_rank = |l: &DueLine| match l {
            DueLine::Overdue { days_late, .. } => (0, -days_late),
            DueLine::Due { .. } => (1, 0),
            DueLine::Missing { .. } => (2, 0),
            DueLine::Missed { days_late, .. } => (3, -days_late),
        };
        rows.sort_by(|a, b| {
            let (pa, pb) = (&list[a.patient], &list[b.patient]);
            let (la, lb) = (&pa.lines[a.line], &pb.lines[b.line]);
            let order = match by {
                DueSort::Patient => pa.name.cmp(&pb.name).then(pa.mrn.cmp(&pb.mrn)),
                DueSort::Protocol => pa.protocol.cmp(&pb.protocol),
                DueSort::Item => la.what().label().cmp(&lb.what().label()),
                DueSort::Status => status_rank(la).cmp(&status_rank(lb)),
                DueSort::Date => la.date().cmp(&lb.date()),
            };
            let order = if descending { order.reverse() } else { order };
            // Ties keep a stable, readable order: status, date, patient.
            order
                .then(status_rank(la).cmp(&status_rank(lb)))
                .then(la.date().cmp(&lb.date()))
                .then(pa.name.cmp(&pb.name))
        });
        let mut patients: Vec<usize> = rows.iter().map(|r| r.patient).collect();
        patients.dedup();
        patients.sort_unstable();
        patients.dedup();
        let count = |kind: &str| {
            rows.iter()
                .filter(|r| list[r.patient].lines[r.line].kind_word() == kind)
                .count()
        };
        self.counts = (patients.len(), count("late"), count("due"), count("missing"));
        self.rows = rows;
    }

    /// The protocols on the list with how many patients each, for the filter.
    fn count_protocols(&self) -> Vec<(String, usize)> {
        let mut names: Vec<&str> = self.list.iter().map(|p| p.protocol.as_str()).collect();
        names.sort_unstable();
        let mut out: Vec<(String, usize)> = Vec::new();
        for n in names {
            match out.last_mut() {
                Some((last, count)) if last == n => *count += 1,
                _ => out.push((n.to_owned(), 1)),
            }
        }
        out
    }

    pub fn ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, read_only: bool) -> Option<Action> {
        let mut action = None;
        let sunday = self.monday.saturating_add(6.days());
        ui.horizontal(|ui| {
            ui.heading(format!("Due in the week of {} to {sunday}", self.monday));
        });
        ui.horizontal(|ui| {
            if ui.button("< Previous week").clicked() {
                self.go_to(self.monday.saturating_sub(7.days()));
            }
            if ui.button("This week").clicked() {
                self.go_to(today);
            }
            if ui.button("Next week >").clicked() {
                self.go_to(self.monday.saturating_add(7.days()));
            }
            ui.separator();
            let label = ui.label("Week of");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.week_text)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(theme::DATE_FIELD_WIDTH),
                )
                .labelled_by(label.id);
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                match parse_iso_date(self.week_text.trim()) {
                    Some(d) => self.go_to(d),
                    None => {
                        self.week_error = Some(format!(
                            "Week of: \"{}\" is not a date: enter any day of the week as YYYY-MM-DD",
                            self.week_text.trim()
                        ))
                    }
                }
            }
            ui.separator();
            let label = ui.label("Protocol");
            let before = self.protocol.clone();
            let names = &self.protocols;
            let chosen = &mut self.protocol;
            egui::ComboBox::from_id_salt("due_protocol")
                .selected_text(chosen.as_deref().unwrap_or("All protocols"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(chosen, None, "All protocols");
                    for (n, count) in names {
                        ui.selectable_value(chosen, Some(n.clone()), format!("{n} ({count})"));
                    }
                })
                .response
                .labelled_by(label.id);
            if self.protocol != before {
                self.arrange();
            }
            ui.separator();
            if ui
                .checkbox(&mut self.missed, format!("Missed ({})", self.missed_count))
                .on_hover_text(
                    "Visits and cycles whose window closed more than the protocol's time ago (default four \
                     weeks): not on the week's list",
                )
                .changed()
            {
                self.arrange();
            }
        });
        field_message(ui, self.week_error.as_deref());
        if let Some(e) = &self.error {
            field_message(ui, Some(&format!("The due list could not be read: {e}")));
            return None;
        }
        if self.loading && self.list.is_empty() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the due list...");
            });
            return None;
        }
        let (patients, late, due, lacking) = self.counts;
        ui.horizontal(|ui| {
            muted(
                ui,
                if self.missed {
                    format!(
                        "{} missed visit{} for {patients} patient{} (not on the week's list)",
                        self.rows.len(),
                        if self.rows.len() == 1 { "" } else { "s" },
                        if patients == 1 { "" } else { "s" },
                    )
                } else {
                    format!(
                        "{} visit{} for {patients} patient{}: {late} late, {due} due, {lacking} lacking measures; \
                         {} missed apart",
                        self.rows.len(),
                        if self.rows.len() == 1 { "" } else { "s" },
                        if patients == 1 { "" } else { "s" },
                        self.missed_count
                    )
                },
            );
            if self.loading {
                ui.spinner();
            }
        });
        for p in self.unreadable.iter().map(|&i| &self.list[i]) {
            field_message(
                ui,
                Some(&format!(
                    "{} ({}): the plan cannot be laid out: {}",
                    p.name,
                    p.mrn,
                    p.problem.as_deref().unwrap_or_default()
                )),
            );
        }
        if self.rows.is_empty() {
            empty_state(
                ui,
                "Nothing is due this week.",
                "Patients appear here once a protocol is assigned to them (on the patient's Plan tab).",
            );
            return None;
        }
        let mut new_sort = None;
        let sort = self.sort;
        TableBuilder::new(ui)
            .id_salt("due_table")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(120.0))
            .column(Column::auto().at_least(240.0))
            .column(Column::auto().at_least(180.0).clip(true))
            .column(Column::auto().at_least(100.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::remainder().at_least(260.0).clip(true))
            .header(22.0, |mut h| {
                h.col(|ui| {
                    ui.strong("");
                });
                for by in DueSort::ALL {
                    h.col(|ui| {
                        if let Some(s) = sort_header(ui, by, by.title(), sort) {
                            new_sort = Some(s);
                        }
                    });
                }
                h.col(|ui| {
                    ui.strong("What");
                });
            })
            .body(|body| {
                body.rows(24.0, self.rows.len(), |mut row| {
                    let r = self.rows[row.index()];
                    let p = &self.list[r.patient];
                    let line = &p.lines[r.line];
                    row.col(|ui| {
                        let b = ui
                            .add_enabled(!read_only, egui::Button::new("Record").small())
                            .on_hover_text(format!("Open {}'s entry form dated {}", p.name, line.date()))
                            .on_disabled_hover_text("This file is open read-only");
                        if b.clicked() {
                            action = Some(Action::RecordEntryOn {
                                patient_id: p.patient_id,
                                date: line.date(),
                            });
                        }
                    });
                    row.col(|ui| {
                        if ui
                            .link(format!("{} ({})", p.name, p.mrn))
                            .on_hover_text("Open this patient")
                            .clicked()
                        {
                            action = Some(Action::OpenPatient(p.patient_id));
                        }
                    });
                    row.col(|ui| {
                        ui.label(&p.protocol).on_hover_text(&p.protocol);
                    });
                    row.col(|ui| {
                        ui.label(line.what().label());
                    });
                    row.col(|ui| {
                        let (text, color) = match line {
                            DueLine::Overdue { days_late, .. } => (
                                format!("{days_late} day{} late", if *days_late == 1 { "" } else { "s" }),
                                theme::ERROR,
                            ),
                            DueLine::Due { .. } => ("due".to_owned(), theme::WARN),
                            DueLine::Missed { .. } => ("missed".to_owned(), theme::ERROR),
                            DueLine::Missing { measures, .. } => (
                                format!(
                                    "lacks {} value{}",
                                    measures.len(),
                                    if measures.len() == 1 { "" } else { "s" }
                                ),
                                theme::WARN,
                            ),
                        };
                        ui.label(RichText::new(text).color(color).strong());
                    });
                    row.col(|ui| {
                        ui.label(line.date().to_string());
                    });
                    row.col(|ui| {
                        let text = line.describe(catalog);
                        ui.label(&text).on_hover_text(&text);
                    });
                });
            });
        if let Some(s) = new_sort {
            self.sort = s;
            self.arrange();
        }
        action
    }
}
