//! *New entry from report...*: a printed lab report read into the entry
//! form, never saved without a look. The report is read on a job
//! (`interop/capture`); what it names that is not this patient, or a date
//! that reads two ways, is asked first and blocks until answered; then the
//! entry form opens filled in, and beside it each value read with the
//! picture of its row on the report, and each row not read with its
//! picture and why (left empty in the form, to be typed). A test name the
//! catalog does not know can be remembered for this clinic. Saving keeps
//! the report with the entry; the entry's details show it again.

use eframe::egui::{self, RichText, Ui};
use jiff::civil::Date;

use super::job::Job;
use super::theme;
use super::widgets::muted;
use clinilog_domain::capture::{DocumentInfo, Proposal, Reading, SourceDocument, read_report_date};
use clinilog_domain::import::{DateOrder, name_key, unambiguous};
use clinilog_domain::{Catalog, Patient};
use clinilog_interop::capture::{Capture, Source};

/// A report read, its pictures made textures once.
pub struct CaptureView {
    pub document: SourceDocument,
    pub source: Source,
    /// Every row and what it became, with the picture of the row.
    pub rows: Vec<(Proposal, Option<egui::TextureHandle>)>,
    /// The date the form was filled with, and how it was read.
    pub date_note: String,
    /// For a name the catalog does not know: the measure chosen to remember it as.
    pub remember: Vec<String>,
    /// In a window too narrow for the report beside the form, the two take
    /// turns: the report is shown instead of the form.
    pub report_tab: bool,
}

/// What must be answered before the form opens.
pub struct Question {
    pub capture: Box<Capture>,
    /// The report names another patient: (what it says, answered).
    pub other_patient: Option<(String, bool)>,
    /// The collection date as printed, when it reads two ways.
    pub ambiguous_date: Option<String>,
    pub date_order: Option<DateOrder>,
}

/// A kept report, shown again from its entry.
pub struct Shown {
    pub info: DocumentInfo,
    pub pages: Vec<egui::TextureHandle>,
    pub error: Option<String>,
}

/// The capture's part of the patient screen.
#[derive(Default)]
pub struct CaptureState {
    /// The small form asking which file (its path as typed).
    pub asking: Option<String>,
    pub job: Option<Job<Result<Capture, String>>>,
    pub error: Option<String>,
    pub question: Option<Question>,
    pub view: Option<CaptureView>,
    pub shown: Option<Shown>,
    /// Why reports cannot be read into entries here (a server keeps none yet).
    pub unavailable: Option<String>,
    /// Entry id -> the report it was read from (read with the patient).
    pub sources: std::collections::HashMap<i64, DocumentInfo>,
}

/// What the patient's report names that is not this patient (`MRN X, name Y`).
pub fn other_patient(capture: &Capture, patient: &Patient) -> Option<String> {
    let h = &capture.header;
    let mut other = Vec::new();
    if let Some(mrn) = &h.mrn
        && !mrn.eq_ignore_ascii_case(&patient.data.mrn)
    {
        other.push(format!("MRN {mrn}"));
    }
    if let Some(name) = &h.name
        && name_key(name) != name_key(&patient.data.name)
    {
        other.push(format!("name {name}"));
    }
    (!other.is_empty()).then(|| other.join(", "))
}

/// The collection date: read, or `Err` with what to ask (`None`: none printed).
pub fn collection_date(capture: &Capture, order: Option<DateOrder>) -> Result<Date, Option<String>> {
    let Some(text) = &capture.header.collected_text else {
        return Err(None);
    };
    read_report_date(text, order.or(capture.header.date_order)).map_err(|_| Some(text.clone()))
}

/// A picture for egui.
pub fn texture(ctx: &egui::Context, name: &str, img: &image::GrayImage) -> egui::TextureHandle {
    let (w, h) = img.dimensions();
    let color = egui::ColorImage::from_gray([w as usize, h as usize], img.as_raw());
    ctx.load_texture(name, color, egui::TextureOptions::LINEAR)
}

impl CaptureView {
    pub fn new(ctx: &egui::Context, capture: &Capture, date_note: String) -> Self {
        let rows = capture
            .proposals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let crop = capture
                    .crop(&p.row)
                    .map(|img| texture(ctx, &format!("report row {i}"), &img));
                (p.clone(), crop)
            })
            .collect::<Vec<_>>();
        Self {
            document: capture.document.clone(),
            source: capture.source,
            remember: vec![String::new(); rows.len()],
            rows,
            date_note,
            report_tab: false,
        }
    }
}

/// What the capture panel asks the screen to do.
pub enum PanelAction {
    /// Remember this test name as this catalog measure (the clinic's mapping file).
    Remember { name: String, code: String },
}

/// The report beside the entry form when the window has room for both,
/// else a tab of its own above the form; returns what the panel asks.
pub fn beside_form_ui(ui: &mut Ui, view: &mut CaptureView, catalog: &Catalog) -> Option<PanelAction> {
    let room = ui.available_width();
    if room >= theme::ENTRY_FORM_MIN_WIDTH + theme::CAPTURE_PANEL_MIN_WIDTH {
        let widest = (room - theme::ENTRY_FORM_MIN_WIDTH).min(theme::CAPTURE_PANEL_MAX_WIDTH);
        return egui::Panel::right("capture_panel")
            .resizable(true)
            .default_size(theme::CAPTURE_PANEL_WIDTH.min(widest))
            .size_range(theme::CAPTURE_PANEL_MIN_WIDTH..=widest)
            .show(ui, |ui| panel_ui(ui, view, catalog))
            .inner;
    }
    let read = view
        .rows
        .iter()
        .filter(|(p, _)| matches!(p.reading, Reading::Read(_)))
        .count();
    ui.horizontal(|ui| {
        ui.selectable_value(&mut view.report_tab, false, "Entry form");
        ui.selectable_value(
            &mut view.report_tab,
            true,
            format!("Report ({read} read, {} not read)", view.rows.len() - read),
        );
        muted(ui, "The window is too narrow for both side by side.");
    });
    ui.separator();
    if view.report_tab {
        return panel_ui(ui, view, catalog);
    }
    None
}

/// The panel beside the entry form: the values read, each with its row's
/// picture, then the rows not read.
pub fn panel_ui(ui: &mut Ui, view: &mut CaptureView, catalog: &Catalog) -> Option<PanelAction> {
    let mut action = None;
    ui.heading("From the report");
    ui.label(RichText::new(&view.document.name).strong());
    muted(
        ui,
        match view.source {
            Source::TextPdf => "Read from the text of the PDF. Compare each value with its line before saving.",
            Source::Scan => {
                "Read from a scan. Compare each value with its picture before saving: a scan can be misread."
            }
        },
    );
    muted(ui, view.date_note.as_str());
    egui::ScrollArea::vertical().id_salt("capture_rows").show(ui, |ui| {
        // Measured inside the scroll area: its bar takes its own room.
        let width = ui.available_width();
        let read = view
            .rows
            .iter()
            .filter(|(p, _)| matches!(p.reading, Reading::Read(_)))
            .count();
        ui.add_space(4.0);
        ui.label(RichText::new(format!("Read ({read}): filled in the form")).strong());
        for (p, crop) in view.rows.iter().filter(|(p, _)| matches!(p.reading, Reading::Read(_))) {
            ui.label(p.describe(catalog));
            if let Some(t) = crop {
                picture(ui, t, width);
            }
            ui.add_space(6.0);
        }
        let not_read = view.rows.len() - read;
        if not_read > 0 {
            ui.add_space(6.0);
            ui.label(
                RichText::new(format!("Not read ({not_read}): left empty, type them from the picture"))
                    .strong()
                    .color(theme::ERROR),
            );
        }
        for (i, (p, crop)) in view.rows.iter().enumerate() {
            let Reading::NotRead(why) = &p.reading else { continue };
            ui.label(RichText::new(&p.row.test).strong());
            ui.label(why);
            if let Some(t) = crop {
                picture(ui, t, width);
            }
            if p.measure.is_none() && !p.row.test.trim().is_empty() {
                ui.horizontal(|ui| {
                    let label = ui.label(format!("\"{}\" is", p.row.test));
                    let chosen = &mut view.remember[i];
                    let shown = catalog.measure(chosen).map_or("choose...", |m| m.name.as_str());
                    egui::ComboBox::from_id_salt(("remember", i))
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            for (m, _) in catalog.labs() {
                                ui.selectable_value(chosen, m.code.clone(), &m.name);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if ui
                        .add_enabled(!chosen.is_empty(), egui::Button::new("Remember"))
                        .on_hover_text("Keep this name in the clinic's mapping file: the next report reads it")
                        .clicked()
                    {
                        action = Some(PanelAction::Remember {
                            name: p.row.test.clone(),
                            code: chosen.clone(),
                        });
                    }
                });
            }
            ui.add_space(6.0);
        }
    });
    action
}

fn picture(ui: &mut Ui, t: &egui::TextureHandle, width: f32) {
    let size = t.size_vec2();
    let scale = (width / size.x).min(1.0);
    ui.add(egui::Image::new((t.id(), size * scale)));
}

/// What the question before the form came to.
pub enum Answer {
    Open,
    Cancel,
}

/// The question asked before the form opens: another patient's report,
/// a date that reads two ways. Nothing opens until it is answered.
pub fn question_ui(ui: &mut Ui, q: &mut Question, patient: &Patient) -> Option<Answer> {
    let mut answer = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.heading(format!("Reading {}", q.capture.document.name));
        if let Some((other, checked)) = &mut q.other_patient {
            ui.label(
                RichText::new(format!(
                    "This report names {other}: not {} (MRN {}).",
                    patient.data.name, patient.data.mrn
                ))
                .color(theme::ERROR)
                .strong(),
            );
            ui.checkbox(checked, "I checked the report: these values are this patient's");
        }
        if let Some(text) = &q.ambiguous_date {
            ui.label(format!("The collection date \"{text}\" reads two ways. Which is it?"));
            for order in [DateOrder::Dmy, DateOrder::Mdy] {
                let shown = clinilog_domain::import::read_date(text, Some(order)).map_or_else(
                    |_| order.label().to_owned(),
                    |d| format!("{} ({})", unambiguous(d), order.label()),
                );
                ui.radio_value(&mut q.date_order, Some(order), shown);
            }
        }
        let ready =
            q.other_patient.as_ref().is_none_or(|(_, c)| *c) && (q.ambiguous_date.is_none() || q.date_order.is_some());
        ui.horizontal(|ui| {
            if ui.add_enabled(ready, egui::Button::new("Open the entry")).clicked() {
                answer = Some(Answer::Open);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(Answer::Cancel);
            }
        });
    });
    answer
}

/// The small form that asks which report to read.
pub fn ask_file_ui(ui: &mut Ui, path: &mut String) -> Option<Option<std::path::PathBuf>> {
    let mut out = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("New entry from report").strong());
        muted(
            ui,
            "The lab's PDF, or a scan or photo of the printed report (PNG, JPEG). You can also drop the file on the Log.",
        );
        ui.horizontal(|ui| {
            let label = ui.label("Report file");
            let r = ui
                .add(egui::TextEdit::singleline(path).desired_width(theme::WIDE_FIELD_WIDTH + 160.0))
                .labelled_by(label.id);
            super::widgets::first_field_focus(ui, &r);
            if ui.button("Choose...").clicked()
                && let Some(p) = rfd::FileDialog::new()
                    .add_filter("Lab report (PDF, PNG, JPEG)", &["pdf", "png", "jpg", "jpeg"])
                    .pick_file()
            {
                *path = p.display().to_string();
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.add_enabled(!path.trim().is_empty(), egui::Button::new("Read")).clicked() || enter)
                && !path.trim().is_empty()
            {
                out = Some(Some(std::path::PathBuf::from(path.trim())));
            }
            if ui.button("Cancel").clicked() {
                out = Some(None);
            }
        });
    });
    out
}

/// A kept report shown again, page by page.
pub fn shown_ui(ctx: &egui::Context, shown: &mut Option<Shown>) {
    let Some(s) = shown else { return };
    let mut open = true;
    egui::Window::new(format!("Report: {}", s.info.name))
        .open(&mut open)
        .default_size([640.0, 800.0])
        .vscroll(true)
        .show(ctx, |ui| {
            muted(
                ui,
                format!(
                    "Kept with the entry on {} (SHA-256 {}, {} KB)",
                    clinilog_store::local_time(&s.info.added_at),
                    s.info.sha256,
                    s.info.size / 1024
                ),
            );
            if let Some(e) = &s.error {
                ui.colored_label(theme::ERROR, e);
            }
            let width = ui.available_width();
            for t in &s.pages {
                picture(ui, t, width);
            }
        });
    if !open {
        *shown = None;
    }
}
