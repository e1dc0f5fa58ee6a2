//! The patients screen: the list, search as you type, and the "New
//! patient" form with its messages beside the fields.

use std::collections::HashMap;

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::form::{Form, FormOutcome, FormText, show_form};
use super::job::Job;
pub use super::out_of_range::{OutOfRange, RangeFilter};
use super::widgets::{empty_state, muted, new_shortcut, sort_header, write_button};
use super::{Action, Write, theme};
use clinilog_domain::patient::field;
use clinilog_domain::patient::search_key;
use clinilog_domain::{Catalog, Patient, PatientData, PatientDraft, Sex};
use clinilog_store::{ClinicStore, DraftKey, FileStore, Location, PatientSummary};

/// A column the list can be sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    Mrn,
    #[default]
    Name,
    Age,
    Sex,
    Diagnosis,
    LastEntry,
    Entries,
}

impl SortBy {
    pub const ALL: [SortBy; 7] = [
        SortBy::Mrn,
        SortBy::Name,
        SortBy::Age,
        SortBy::Sex,
        SortBy::Diagnosis,
        SortBy::LastEntry,
        SortBy::Entries,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SortBy::Mrn => "MRN",
            SortBy::Name => "Name",
            SortBy::Age => "Age",
            SortBy::Sex => "Sex",
            SortBy::Diagnosis => "Diagnosis",
            SortBy::LastEntry => "Last entry",
            SortBy::Entries => "Entries",
        }
    }
}

/// Reads the patient list of the records at `location` on a thread with its own
/// read-only connection, so the window draws meanwhile: the summaries with
/// their search keys, sorted by name. `ctx` is asked for a frame when it is
/// done (nothing polls).
pub fn load_list(ctx: &egui::Context, location: Location) -> Job<Result<Box<PatientsScreen>, String>> {
    Job::spawn(ctx, "patient list", move |_| {
        let opened = match &location {
            // A file's connection that reads the table once keeps a small cache.
            Location::File(path) => FileStore::open_read_only(path).and_then(|store| {
                store.small_cache()?;
                Ok(Box::new(store) as Box<dyn ClinicStore>)
            }),
            Location::Server(_) => location.open_read_only(),
        };
        let list = opened.and_then(|store| PatientsScreen::read(&*store)).map(|mut list| {
            list.refresh();
            Box::new(list)
        });
        list.map_err(|e| e.to_string())
    })
}

/// What a list of shown rows was computed for: search, sort, filter.
type Shown = (String, (SortBy, bool), Option<RangeFilter>);

/// How many states before narrowing keystrokes are kept.
const NARROWED_KEPT: usize = 32;

/// One line of the patient list: what it shows and sorts by, kept compact
/// (a clinic has 50,000 patients, held while the window is open).
#[derive(Clone, Debug, PartialEq)]
pub struct ListRow {
    pub id: i64,
    pub mrn: Box<str>,
    pub name: Box<str>,
    pub birth_date: Date,
    pub sex: Sex,
    /// Shared by the rows with the same diagnosis.
    pub diagnosis: std::sync::Arc<str>,
    pub last_entry: Option<Date>,
    pub entry_count: u32,
}

/// Builds list rows, sharing each diagnosis text between its patients.
#[derive(Default)]
struct RowBuilder {
    diagnoses: HashMap<String, std::sync::Arc<str>>,
}

impl RowBuilder {
    fn row(&mut self, p: Patient, last_entry: Option<Date>, entry_count: i64) -> ListRow {
        let d = p.data;
        let diagnosis = match self.diagnoses.get(&d.diagnosis) {
            Some(shared) => shared.clone(),
            None => {
                let shared: std::sync::Arc<str> = d.diagnosis.as_str().into();
                self.diagnoses.insert(d.diagnosis, shared.clone());
                shared
            }
        };
        ListRow {
            id: p.id,
            mrn: d.mrn.into_boxed_str(),
            name: d.name.into_boxed_str(),
            birth_date: d.birth_date,
            sex: d.sex,
            diagnosis,
            last_entry,
            entry_count: u32::try_from(entry_count).unwrap_or(u32::MAX),
        }
    }
}

/// The view model of the patients screen, loaded on navigation and after a save.
#[derive(Default)]
pub struct PatientsScreen {
    pub rows: Vec<ListRow>,
    /// Per row, what search compares (name, MRN, diagnosis; see `search_key`),
    /// computed once when the list loads.
    keys: Vec<Box<str>>,
    pub search: String,
    /// Sorted by this column; descending when true.
    pub sort: (SortBy, bool),
    /// The rows shown, in order: recomputed only when search or sort change.
    visible: Vec<usize>,
    /// The search, sort and filter `visible` was computed for.
    computed_for: Option<Shown>,
    /// What was shown before each narrowing keystroke, newest last: a
    /// Backspace gives it back instead of looking at every row again.
    narrowed_from: Vec<(Shown, Vec<usize>)>,
    /// The list is being read (on a thread): `rows` are the previous ones.
    pub loading: bool,
    /// What the out-of-range filter needs; `None` until it is read.
    pub out_of_range: Option<OutOfRange>,
    /// `out_of_range` is to be read (the filter was opened before it was,
    /// or the list was read again).
    pub wants_out_of_range: bool,
    /// The out-of-range values being read.
    range_job: Option<Job<Result<OutOfRange, String>>>,
    /// Only patients whose latest value of this lab measure is out of range.
    pub out_of_range_filter: Option<String>,
    /// Only patients whose latest value (of that measure, or of any) is
    /// critical: LL or HH.
    pub critical_only: bool,
    pub form: Option<PatientForm>,
    /// The file is open read-only: nothing that writes is offered.
    pub read_only: bool,
}

/// The patient form: "New patient", or "Edit patient details" with a reason.
pub type PatientForm = Form<PatientDraft, Patient>;

/// A blank "New patient" form.
pub fn new_patient_form(today: Date) -> PatientForm {
    Form::new(DraftKey::NewPatient, PatientDraft::blank(today), None, (), field::MRN)
}

/// The form prefilled with `patient`'s details, for an edit.
pub fn edit_patient_form(patient: &Patient) -> PatientForm {
    Form::new(
        DraftKey::EditPatient(patient.id),
        PatientDraft::from_data(&patient.data),
        Some(patient.clone()),
        (),
        field::MRN,
    )
}

impl PatientsScreen {
    pub fn new(summaries: Vec<PatientSummary>) -> Self {
        let mut builder = RowBuilder::default();
        let rows = summaries
            .into_iter()
            .map(|s| builder.row(s.patient, s.last_entry, s.entry_count))
            .collect();
        Self::from_rows(rows)
    }

    /// Reads the list from `store`, each patient straight into its compact
    /// row (no list of whole patient records on the way).
    pub fn read(store: &dyn ClinicStore) -> Result<Self, clinilog_store::StoreError> {
        let mut builder = RowBuilder::default();
        let mut rows: Vec<ListRow> = Vec::with_capacity(store.patient_count()?);
        store.for_each_patient(&mut |p| rows.push(builder.row(p, None, 0)))?;
        store.for_each_entry_summary(&mut |id, last, count| {
            // Rows are by id; archived patients are not in the list.
            if let Ok(i) = rows.binary_search_by_key(&id, |r| r.id) {
                rows[i].last_entry = Some(last);
                rows[i].entry_count = u32::try_from(count).unwrap_or(u32::MAX);
            }
        })?;
        Ok(Self::from_rows(rows))
    }

    fn from_rows(rows: Vec<ListRow>) -> Self {
        let keys = rows
            .iter()
            .map(|r| search_key(&format!("{}\u{1f}{}\u{1f}{}", r.name, r.mrn, r.diagnosis)).into_boxed_str())
            .collect();
        Self {
            rows,
            keys,
            ..Self::default()
        }
    }

    /// Takes the rows of a list read afresh; the search, sort, filter and
    /// an open form stay as they are.
    pub fn take_list(&mut self, loaded: PatientsScreen) {
        self.rows = loaded.rows;
        self.keys = loaded.keys;
        self.visible = loaded.visible;
        self.computed_for = loaded.computed_for;
        self.narrowed_from.clear();
        self.loading = false;
    }

    /// Starts reading the latest out-of-range values of the patients listed
    /// when asked, on a thread with its own read-only connection, and takes
    /// them once there: how many patients have a critical latest value, or
    /// why they could not be read (the filter then offers nothing).
    pub fn poll_out_of_range(
        &mut self,
        ctx: &egui::Context,
        location: &Location,
        catalog: &Catalog,
    ) -> Option<Result<usize, String>> {
        if self.range_job.is_none() && std::mem::take(&mut self.wants_out_of_range) {
            // What the flags need of the patients: their sex.
            let sex: HashMap<i64, Sex> = self.rows.iter().map(|r| (r.id, r.sex)).collect();
            let (location, catalog) = (location.clone(), catalog.clone());
            self.range_job = Some(Job::spawn(ctx, "out-of-range values", move |_| {
                location
                    .open_read_only()
                    .and_then(|store| OutOfRange::read_for(&*store, &sex, &catalog))
                    .map_err(|e| e.to_string())
            }));
        }
        let read = Job::take(&mut self.range_job)?.unwrap_or_else(|_| Err("the reading stopped".to_owned()));
        Some(match read {
            Ok(o) => {
                let critical = o.critical_patients();
                self.set_out_of_range(o);
                Ok(critical)
            }
            Err(e) => {
                self.set_out_of_range(OutOfRange::default());
                Err(e)
            }
        })
    }

    /// Whether the out-of-range values are being read (or about to be).
    pub fn reading_out_of_range(&self) -> bool {
        self.wants_out_of_range || self.range_job.is_some()
    }

    /// Takes what the out-of-range filter needs (read afresh): the rows
    /// shown are computed again.
    pub fn set_out_of_range(&mut self, o: OutOfRange) {
        self.out_of_range = Some(o);
        self.computed_for = None;
        self.narrowed_from.clear();
    }

    /// The out-of-range filter in use, once its values are read.
    pub fn range_filter(&self) -> Option<RangeFilter> {
        let filter = RangeFilter {
            measure: self.out_of_range_filter.clone(),
            critical_only: self.critical_only,
        };
        let in_use = filter.measure.is_some() || filter.critical_only;
        (in_use && self.out_of_range.is_some()).then_some(filter)
    }

    /// Recomputes the rows shown when the search, the sort or the filter changed.
    fn refresh(&mut self) {
        let filter = self.range_filter();
        let wanted = (self.search.clone(), self.sort, filter);
        if self.computed_for.as_ref() == Some(&wanted) {
            return;
        }
        // Every word of the search must appear, in any order, any case, any accents.
        let words: Vec<String> = search_key(&self.search).split_whitespace().map(str::to_owned).collect();
        // A keystroke that narrows the search (each word before is part of
        // a word now, same sort and filter): only the rows shown are
        // looked at, and they keep their order.
        if let Some(before) = self.computed_for.take_if(|(before, sort, filter)| {
            (*sort, &*filter) == (wanted.1, &wanted.2)
                && search_key(before)
                    .split_whitespace()
                    .all(|old| words.iter().any(|w| w.contains(old)))
        }) {
            if self.narrowed_from.len() == NARROWED_KEPT {
                self.narrowed_from.remove(0);
            }
            self.narrowed_from.push((before, self.visible.clone()));
            let keys = &self.keys;
            self.visible
                .retain(|&i| words.iter().all(|w| keys[i].contains(w.as_str())));
            self.computed_for = Some(wanted);
            return;
        }
        // Back to a search shown before a narrowing keystroke (Backspace).
        if let Some(at) = self.narrowed_from.iter().rposition(|(shown, _)| *shown == wanted) {
            self.narrowed_from.truncate(at + 1);
            if let Some((shown, visible)) = self.narrowed_from.pop() {
                self.visible = visible;
                self.computed_for = Some(shown);
                return;
            }
        }
        self.narrowed_from.clear();
        let out_of_range = wanted.2.as_ref().zip(self.out_of_range.as_ref());
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| words.iter().all(|w| self.keys[i].contains(w.as_str())))
            .filter(|&i| out_of_range.is_none_or(|(f, o)| o.keeps(f, self.rows[i].id)))
            .collect();
        let (rows, keys) = (&self.rows, &self.keys);
        // The folded name and diagnosis are parts of the search key.
        let part = |i: usize, n: usize| keys[i].split('\u{1f}').nth(n).unwrap_or("");
        let (by, descending) = self.sort;
        visible.sort_by(|&ia, &ib| {
            let (a, b) = (&rows[ia], &rows[ib]);
            let (pa, pb) = (a, b);
            let order = match by {
                SortBy::Mrn => pa.mrn.cmp(&pb.mrn),
                SortBy::Name => part(ia, 0).cmp(part(ib, 0)),
                // By age: the birth date the other way round (youngest first).
                SortBy::Age => pb.birth_date.cmp(&pa.birth_date),
                SortBy::Sex => pa.sex.as_str().cmp(pb.sex.as_str()),
                SortBy::Diagnosis => part(ia, 2).cmp(part(ib, 2)),
                SortBy::LastEntry => a.last_entry.cmp(&b.last_entry),
                SortBy::Entries => a.entry_count.cmp(&b.entry_count),
            }
            .then_with(|| pa.mrn.cmp(&pb.mrn));
            if descending { order.reverse() } else { order }
        });
        self.visible = visible;
        self.computed_for = Some(wanted);
    }

    /// Rows matching the search (every word in the name, MRN or diagnosis,
    /// any case, any accents), in the chosen order.
    pub fn visible_rows(&mut self) -> impl Iterator<Item = &ListRow> {
        self.refresh();
        self.visible.iter().map(|&i| &self.rows[i])
    }

    /// "Latest out of range": a list of the lab measures some patient has
    /// out of range, with how many; "any value" shows everyone. The values
    /// are read the first time the list opens (a spinner in it meanwhile).
    fn out_of_range_ui(&mut self, ui: &mut Ui) {
        let label = ui.label("Latest out of range");
        let o = self.out_of_range.as_ref();
        // "Albumin (39,878)": the measure and how many patients.
        let name_of = |code: &str| match o.and_then(|o| o.name(code).map(|n| (o, n))) {
            Some((o, n)) => format!("{n} ({})", clinilog_interop::import::grouped(o.count(code) as u64)),
            None => code.to_owned(),
        };
        let selected = self
            .out_of_range_filter
            .as_deref()
            .map_or("any value".to_owned(), name_of);
        let mut wants = false;
        egui::ComboBox::from_id_salt("out_of_range_filter")
            .selected_text(selected)
            .width(260.0)
            // Tall enough for the measures once read (the list opens while they are).
            .height(480.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.out_of_range_filter, None, "any value");
                match o {
                    None => {
                        wants = true;
                        // The list opens at the size it has now: room for the measures to come.
                        ui.set_min_height(360.0);
                        ui.horizontal(|ui| {
                            ui.spinner();
                            muted(ui, "reading every patient's latest values...");
                        });
                    }
                    Some(o) if o.measures.is_empty() => {
                        muted(ui, "no patient has a latest value out of range");
                    }
                    Some(o) => {
                        for (code, _) in &o.measures {
                            ui.selectable_value(&mut self.out_of_range_filter, Some(code.clone()), name_of(code));
                        }
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("Only patients whose latest value of this measure is flagged low or high");
        let critical = match o {
            Some(o) => format!(
                "Critical only (LL/HH: {})",
                clinilog_interop::import::grouped(o.critical_patients() as u64)
            ),
            None => "Critical only (LL/HH)".to_owned(),
        };
        let r = ui
            .checkbox(&mut self.critical_only, critical)
            .on_hover_text("Only patients whose latest value is beyond the critical (call-back) limits");
        wants |= r.changed() && self.critical_only && o.is_none();
        self.wants_out_of_range |= wants;
    }

    pub fn ui(&mut self, ui: &mut Ui, today: Date, clinician: &str, file: Option<&std::path::Path>) -> Option<Action> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.heading("Patients");
            ui.add_space(theme::SECTION_GAP);
            let new = ui.add_enabled_ui(self.form.is_none(), |ui| {
                write_button(ui, self.read_only, egui::Button::new("New patient")).on_hover_text("Ctrl+N")
            });
            let new = new.inner;
            if new.clicked() || (self.form.is_none() && !self.read_only && new_shortcut(ui)) {
                self.form = Some(new_patient_form(today));
            }
        });
        ui.add_space(theme::SECTION_GAP);
        if clinician.trim().is_empty() {
            ui.label(
                RichText::new("Say who records (Change, beside \"Recording as\" at the bottom left): every change is signed with it.")
                    .color(theme::ERROR),
            );
        }
        if let Some(form) = &mut self.form {
            match patient_form_ui(ui, form, today) {
                FormOutcome::Save(data) => action = Some(Action::Write(Write::CreatePatient(data))),
                FormOutcome::Cancel => {
                    action = Some(Action::DiscardDraft(form.key));
                    self.form = None;
                }
                FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(form.key)),
                FormOutcome::Editing | FormOutcome::Reload => {}
            }
            ui.separator();
        }
        if self.loading && self.rows.is_empty() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the patient list...");
            });
            return action;
        }
        if self.rows.is_empty() {
            empty_state(
                ui,
                "No patients registered yet.",
                "Click \"New patient\" to register the first one.",
            );
            if let Some(file) = file {
                muted(ui, format!("This clinic's records are kept in {}", file.display()));
            }
            ui.add_space(theme::SECTION_GAP);
            if ui
                .button("Look around in the demo clinic")
                .on_hover_text("A published liver case in a window of its own, on a throw-away file (clinilog --demo)")
                .clicked()
            {
                action = Some(Action::TryDemo);
            }
            return action;
        }
        ui.horizontal(|ui| {
            let label = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("name, MRN or diagnosis")
                    .desired_width(theme::WIDE_FIELD_WIDTH),
            )
            .labelled_by(label.id);
            ui.add_space(theme::SECTION_GAP);
            self.out_of_range_ui(ui);
        });
        ui.add_space(4.0);
        let sort = self.sort;
        let total = self.rows.len();
        self.refresh();
        let range = self.range_filter();
        let filter = range.as_ref().and_then(|f| f.measure.clone());
        let shown = self.visible.len();
        if shown == 0 {
            let which = match &range {
                Some(f) if f.critical_only => "critical",
                _ => "out of range",
            };
            let why = match (&range, self.search.trim()) {
                (Some(_), "") => format!("No patient has this latest value {which}."),
                (Some(_), s) => format!("No patient matches \"{s}\" with this latest value {which}."),
                (None, s) => format!("No patient matches \"{s}\"."),
            };
            muted(ui, why);
            return action;
        }
        let count = |n: usize| clinilog_interop::import::grouped(n as u64);
        let noun = if total == 1 { "patient" } else { "patients" };
        if shown < total {
            muted(ui, format!("{} of {} {noun}", count(shown), count(total)));
        } else {
            muted(ui, format!("{} {noun}", count(total)));
        }
        let mut new_sort = None;
        let mut table = TableBuilder::new(ui)
            .id_salt("patients_table")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(200.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::auto().at_least(220.0).clip(true))
            .column(Column::auto().at_least(90.0));
        table = match filter {
            Some(_) => table.column(Column::auto().at_least(60.0)).column(Column::remainder()),
            None => table.column(Column::remainder()),
        };
        let (rows, visible, out_of_range) = (&self.rows, &self.visible, &self.out_of_range);
        let latest_of = |id: i64| {
            filter
                .as_deref()
                .zip(out_of_range.as_ref())
                .and_then(|(c, o)| o.latest_text(c, id))
        };
        table
            .header(22.0, |mut h| {
                for by in SortBy::ALL {
                    h.col(|ui| {
                        if let Some(s) = sort_header(ui, by, by.title(), sort) {
                            new_sort = Some(s);
                        }
                    });
                }
                if let Some(code) = &filter {
                    let name = out_of_range.as_ref().and_then(|o| o.name(code)).unwrap_or(code);
                    h.col(|ui| {
                        ui.label(RichText::new(format!("Latest {name}")).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, visible.len(), |mut row| {
                    let r = &rows[visible[row.index()]];
                    row.col(|ui| {
                        ui.label(&*r.mrn);
                    });
                    row.col(|ui| {
                        if ui.button(&*r.name).on_hover_text("Open this patient").clicked() {
                            action = Some(Action::OpenPatient(r.id));
                        }
                    });
                    row.col(|ui| {
                        ui.label(clinilog_domain::patient::age_on(r.birth_date, today).to_string());
                    });
                    row.col(|ui| {
                        ui.label(r.sex.short());
                    });
                    row.col(|ui| {
                        ui.label(&*r.diagnosis);
                    });
                    row.col(|ui| {
                        ui.label(r.last_entry.map_or("none".to_owned(), |d| d.to_string()));
                    });
                    row.col(|ui| {
                        ui.label(r.entry_count.to_string());
                    });
                    if let Some(text) = latest_of(r.id) {
                        row.col(|ui| {
                            ui.label(text);
                        });
                    }
                });
            });
        if let Some(s) = new_sort {
            self.sort = s;
        }
        action
    }
}

/// Draws the patient form: its field grid inside the shared form frame.
pub fn patient_form_ui(ui: &mut Ui, form: &mut PatientForm, today: Date) -> FormOutcome<PatientData> {
    let editing = form.editing.is_some();
    let text = FormText {
        title: if editing { "Edit patient details" } else { "New patient" }.to_owned(),
        save: if editing { "Save details" } else { "Save patient" },
        noun: "form",
    };
    show_form(
        ui,
        form,
        &text,
        |d, _| d.validate(today),
        |ui, f, d, _| {
            egui::Grid::new("patient_form")
                .num_columns(3)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    f.text(ui, field::MRN, "MRN", &mut d.mrn, theme::FORM_FIELD_WIDTH * 1.5);
                    f.message(ui, field::MRN, !d.mrn.trim().is_empty());
                    ui.end_row();
                    f.text(ui, field::NAME, "Name", &mut d.name, theme::WIDE_FIELD_WIDTH);
                    f.message(ui, field::NAME, !d.name.trim().is_empty());
                    ui.end_row();
                    f.date(ui, field::BIRTH_DATE, "Birth date", &mut d.birth_date);
                    f.message(ui, field::BIRTH_DATE, !d.birth_date.trim().is_empty());
                    ui.end_row();
                    let sex_label = ui.label("Sex");
                    let selected = d.sex.map_or("choose", Sex::label);
                    let r = egui::ComboBox::from_id_salt("patient_sex")
                        .selected_text(selected)
                        .show_ui(ui, |ui| {
                            for s in Sex::ALL {
                                ui.selectable_value(&mut d.sex, Some(s), s.label());
                            }
                        })
                        .response
                        .labelled_by(sex_label.id);
                    f.register(ui, field::SEX, &r, "");
                    f.message(ui, field::SEX, d.sex.is_some());
                    ui.end_row();
                    f.text(
                        ui,
                        field::DIAGNOSIS,
                        "Diagnosis",
                        &mut d.diagnosis,
                        theme::WIDE_FIELD_WIDTH,
                    );
                    muted(ui, "diagnosis or etiology");
                    ui.end_row();
                    f.date(ui, field::ENROLLED, "Enrollment date", &mut d.enrolled);
                    f.message(ui, field::ENROLLED, !d.enrolled.trim().is_empty());
                    ui.end_row();
                    f.last_text(ui, field::NOTES, "Notes", &mut d.notes, theme::WIDE_FIELD_WIDTH);
                    f.reason_row(ui);
                });
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn row(mrn: &str, name: &str, diagnosis: &str, birth: Date, last: Option<Date>, n: i64) -> PatientSummary {
        PatientSummary {
            patient: Patient {
                id: 0,
                version: 1,
                archived: false,
                data: PatientData {
                    mrn: mrn.into(),
                    name: name.into(),
                    birth_date: birth,
                    sex: Sex::Female,
                    diagnosis: diagnosis.into(),
                    enrolled: date(2025, 1, 1),
                    notes: String::new(),
                },
            },
            last_entry: last,
            entry_count: n,
        }
    }

    fn screen() -> PatientsScreen {
        PatientsScreen::new(vec![
            row(
                "H-3",
                "Zoë Brandt",
                "Hepatitis C",
                date(1980, 1, 1),
                Some(date(2025, 8, 1)),
                4,
            ),
            row(
                "H-1",
                "José Álvarez",
                "Cirrhosis, alcohol-related",
                date(1960, 1, 1),
                None,
                0,
            ),
            row(
                "H-2",
                "Ana Núñez",
                "NASH cirrhosis",
                date(1970, 1, 1),
                Some(date(2025, 9, 1)),
                12,
            ),
        ])
    }

    fn mrns(s: &mut PatientsScreen) -> Vec<String> {
        s.visible_rows().map(|r| r.mrn.to_string()).collect()
    }

    /// Typing on narrows what is shown (only those rows are looked at);
    /// deleting widens it again: each gives what a search from scratch gives.
    #[test]
    fn narrowing_and_widening_the_search_give_what_a_fresh_search_gives() {
        let mut s = screen();
        for search in [
            "c",
            "ci",
            "cir",
            "cirrhosis",
            "cirrhosis a",
            "cirrhosis al",
            "cirrhosis",
            "h",
            "h-",
            "h-2",
            "na",
            "ana nu",
            "ana",
        ] {
            s.search = search.into();
            let mut fresh = screen();
            fresh.search = search.into();
            assert_eq!(mrns(&mut s), mrns(&mut fresh), "{search:?}");
        }
        s.search = "a".into();
        assert_eq!(mrns(&mut s), vec!["H-2", "H-1", "H-3"]);
        s.search = "an".into();
        assert_eq!(mrns(&mut s), vec!["H-2", "H-3"], "Ana and Zoë Brandt, in name order");
    }

    #[test]
    fn search_ignores_case_and_accents_and_reads_every_word() {
        let mut s = screen();
        s.search = "jose".into();
        assert_eq!(mrns(&mut s), vec!["H-1"]);
        s.search = "NUNEZ".into();
        assert_eq!(mrns(&mut s), vec!["H-2"]);
        s.search = "cirrhosis".into();
        assert_eq!(
            mrns(&mut s),
            vec!["H-2", "H-1"],
            "by diagnosis, in name order (Ana, José)"
        );
        s.search = "cirrhosis alcohol".into();
        assert_eq!(mrns(&mut s), vec!["H-1"]);
        s.search = "h-3".into();
        assert_eq!(mrns(&mut s), vec!["H-3"]);
        s.search = "nobody".into();
        assert!(mrns(&mut s).is_empty());
    }

    #[test]
    fn every_column_sorts_both_ways() {
        let mut s = screen();
        assert_eq!(mrns(&mut s), vec!["H-2", "H-1", "H-3"], "by name: Ana, José, Zoë");
        s.sort = (SortBy::LastEntry, true);
        assert_eq!(mrns(&mut s), vec!["H-2", "H-3", "H-1"], "newest entry first, none last");
        s.sort = (SortBy::Age, false);
        assert_eq!(mrns(&mut s), vec!["H-3", "H-2", "H-1"], "youngest first");
        s.sort = (SortBy::Entries, true);
        assert_eq!(mrns(&mut s), vec!["H-2", "H-3", "H-1"]);
        s.sort = (SortBy::Mrn, false);
        assert_eq!(mrns(&mut s), vec!["H-1", "H-2", "H-3"]);
    }
}
