//! The printable patient report (PDF), laid out by typst as a library
//! (`typst-as-lib`, `typst-pdf`) from `assets/report/report.typ`.
//!
//! This file turns a patient's record into the report's data (JSON handed
//! to the template as `sys.inputs.data`, so patient text is never markup):
//! the header, treatment cycles, serial values (dates as columns, measures
//! as rows, each value as printed with H/L and its printed interval,
//! calculated indirect bilirubin marked), scores with the change from the
//! first date, the symptom course, and trend figures drawn here as SVG
//! (vectors: reference band, H/L markers, cycle lines). The fonts in
//! `assets/fonts/` are compiled in and embedded, so names in Latin,
//! Devanagari, Arabic and Chinese print on any machine.

use std::fmt::Write as _;

use jiff::civil::Date;
use serde::Serialize;

use clinilog_domain::adverse::{AdverseEvent, NoEvents, grade_meaning};
use clinilog_domain::catalog::{UnitSystem, display_unit};
use clinilog_domain::score_inputs::{DEFAULT_CARRY_DAYS, all_entry_scores};
use clinilog_domain::scores::ScoreKind;
use clinilog_domain::trend::{BandSegment, Series, band_segments, day_number, lab_series};
use clinilog_domain::trend_view::{PlotGroup, group_series, symptom_strips};
use clinilog_domain::{Catalog, Comparator, Entry, Flag, Origin, Patient, TreatmentEvent};

static TEMPLATE: &str = include_str!("../../../assets/report/report.typ");
static FONTS: [&[u8]; 5] = [
    include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansDevanagari-Regular.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../../assets/fonts/DroidSansFallback.ttf"),
];

/// Dates per table block: more would not fit the page's width.
const DATES_PER_BLOCK: usize = 7;

/// The sentence every page ends with.
pub const AS_PRINTED: &str =
    "Lab values are as printed by the laboratory, with the units and reference intervals it printed.";

/// What the user chose for a report.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The clinic's name, in the page header.
    pub clinic: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Plot groups drawn besides bilirubin (catalog group codes).
    pub groups: Vec<String>,
    pub printed_by: String,
    /// Local time, `2025-09-01 14:03`.
    pub printed_at: String,
    /// The database file, named in the footer.
    pub file: String,
    pub today: Date,
    /// The audit trail's head (`SEQ:HASH`) as the record was read: the
    /// exact state of the record the report came from (`check --anchor`).
    pub audit_head: Option<String>,
}

#[derive(Serialize)]
struct PatientPart {
    name: String,
    mrn: String,
    age: String,
    sex: String,
    birth: String,
    diagnosis: String,
    enrolled: String,
}

#[derive(Serialize)]
struct Cycle {
    date: String,
    cycle: String,
    kind: String,
    product: String,
    dose: String,
    route: String,
}

/// An adverse event as printed: the grade in words too.
#[derive(Serialize)]
struct AdverseRow {
    onset: String,
    term: String,
    grade: String,
    serious: String,
    relation: String,
    cycle: String,
    action: String,
    outcome: String,
}

#[derive(Serialize, Default, Clone)]
struct Cell {
    text: String,
    mark: String,
    interval: String,
    calc: bool,
}

#[derive(Serialize)]
struct Row {
    label: String,
    cells: Vec<Cell>,
}

/// A table of up to [`DATES_PER_BLOCK`] dates.
#[derive(Serialize)]
struct Block {
    dates: Vec<String>,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Figure {
    title: String,
    svg: String,
}

#[derive(Serialize)]
struct Footer {
    note: String,
    file: String,
    printed_by: String,
    printed_at: String,
    /// `audit head SEQ:HASH`, or empty.
    audit: String,
}

/// Everything the template prints.
#[derive(Serialize)]
pub struct ReportData {
    title: String,
    clinic: String,
    period: String,
    patient: PatientPart,
    cycles: Vec<Cycle>,
    /// Adverse events with their onset in the period.
    adverse: Vec<AdverseRow>,
    /// What the Adverse events section says when it lists none.
    adverse_none: String,
    values: Vec<Block>,
    scores: Vec<Block>,
    /// Why a score is never computed in this period (`MELD not computed: missing INR`).
    score_notes: Vec<String>,
    symptoms: Vec<Block>,
    figures: Vec<Figure>,
    footer: Footer,
}

impl ReportData {
    /// Adds the adverse events with their onset in the period, and the
    /// latest record of none (in the period) for when there are none.
    pub fn with_adverse(mut self, events: &[AdverseEvent], none: &[NoEvents], o: &ReportOptions) -> Self {
        self.adverse = events
            .iter()
            .filter(|e| in_period(e.data.onset, o))
            .map(|e| {
                let d = &e.data;
                AdverseRow {
                    onset: d.onset.to_string(),
                    term: d.term.clone(),
                    grade: format!("{} ({})", d.grade, grade_meaning(d.grade)),
                    serious: if d.serious { "yes" } else { "no" }.to_owned(),
                    relation: d.relation.label().to_owned(),
                    cycle: d.cycle.map(|c| format!("C{c}")).unwrap_or_default(),
                    action: d.action.label().to_owned(),
                    outcome: match d.resolved_on {
                        Some(r) => format!("{} {r}", d.outcome.label()),
                        None => d.outcome.label().to_owned(),
                    },
                }
            })
            .collect();
        let last_none = none.iter().filter(|n| in_period(n.data.on, o)).map(|n| n.data.on).max();
        self.adverse_none = match last_none {
            Some(d) => format!(
                "No adverse event recorded in this period; \"no adverse events since the last visit\" recorded on {d}."
            ),
            None => "No adverse event recorded in this period.".to_owned(),
        };
        self
    }

    /// How many dates the report covers (0: nothing to print).
    pub fn dates(&self) -> usize {
        self.values
            .iter()
            .chain(&self.symptoms)
            .map(|b| b.dates.len())
            .max()
            .unwrap_or(0)
    }
}

/// Splits rows of cells (one per date) into blocks of a few dates each.
fn blocks(dates: &[String], rows: Vec<(String, Vec<Cell>)>) -> Vec<Block> {
    let mut out = Vec::new();
    for (i, chunk) in dates.chunks(DATES_PER_BLOCK).enumerate() {
        let at = i * DATES_PER_BLOCK;
        let rows = rows
            .iter()
            .filter(|(_, cells)| cells[at..at + chunk.len()].iter().any(|c| !c.text.is_empty()))
            .map(|(label, cells)| Row {
                label: label.clone(),
                cells: cells[at..at + chunk.len()].to_vec(),
            })
            .collect::<Vec<_>>();
        if !rows.is_empty() {
            out.push(Block {
                dates: chunk.to_vec(),
                rows,
            });
        }
    }
    out
}

fn in_period(d: Date, o: &ReportOptions) -> bool {
    o.from.is_none_or(|f| d >= f) && o.to.is_none_or(|t| d <= t)
}

/// The report's data. `entries` are the patient's current ones (any order;
/// voided ones already left out, doubtful intervals marked).
pub fn report_data(
    catalog: &Catalog,
    patient: &Patient,
    entries: &[Entry],
    treatments: &[TreatmentEvent],
    o: &ReportOptions,
) -> ReportData {
    let sex = patient.data.sex;
    let mut entries: Vec<Entry> = entries
        .iter()
        .filter(|e| in_period(e.data.collected_on, o))
        .cloned()
        .collect();
    entries.sort_by_key(|e| (e.data.collected_on, e.id));
    // Judged as the window shows them: LL/HH, no flag where the interval is in doubt.
    for e in &mut entries {
        e.data.mark_flags(catalog, sex);
    }
    let treatments: Vec<&TreatmentEvent> = treatments.iter().filter(|t| in_period(t.data.date, o)).collect();
    let dates: Vec<String> = entries.iter().map(|e| e.data.collected_on.to_string()).collect();

    // Serial values: a row per lab measure with a value, a cell per entry.
    let values_per_entry: Vec<_> = entries.iter().map(|e| e.data.lab_values(catalog, sex)).collect();
    let mut value_rows = Vec::new();
    for (m, spec) in catalog.labs() {
        let mut cells = Vec::new();
        let mut units: Vec<&str> = Vec::new();
        for vals in &values_per_entry {
            match vals.iter().find(|(l, _)| l.code == m.code) {
                Some((l, origin)) => {
                    units.push(l.unit.as_str());
                    cells.push(Some((l.clone().into_owned(), *origin)));
                }
                None => cells.push(None),
            }
        }
        if units.is_empty() {
            continue;
        }
        let row_unit = units.first().copied().unwrap_or(spec.unit.as_str()).to_owned();
        let cells = cells
            .into_iter()
            .map(|cell| {
                let Some((l, origin)) = cell else {
                    return Cell::default();
                };
                let unit = if l.unit == row_unit {
                    String::new()
                } else {
                    format!(" {}", display_unit(&l.unit))
                };
                Cell {
                    text: format!("{}{unit}", l.value_text()),
                    mark: if l.interval_doubt && !l.flag.is_critical() {
                        "?".to_owned()
                    } else {
                        l.flag.letter().to_owned()
                    },
                    interval: if l.reference.low.is_none() && l.reference.high.is_none() {
                        String::new()
                    } else {
                        l.reference.describe()
                    },
                    calc: origin == Origin::Calculated,
                }
            })
            .collect();
        value_rows.push((format!("{} ({})", m.name, display_unit(&row_unit)), cells));
    }

    // Scores at each date, with the change from the first date that has each.
    let all = all_entry_scores(&entries, patient, catalog, DEFAULT_CARRY_DAYS);
    let mut score_rows = Vec::new();
    let mut score_notes = Vec::new();
    for kind in [
        ScoreKind::Meld,
        ScoreKind::MeldNa,
        ScoreKind::Meld3,
        ScoreKind::ChildPugh,
        ScoreKind::Albi,
    ] {
        let mut base: Option<f64> = None;
        let cells: Vec<Cell> = all
            .iter()
            .map(|s| match s.result(kind) {
                Some(Ok(r)) => {
                    let change = match base {
                        None => {
                            base = Some(r.value);
                            "baseline".to_owned()
                        }
                        Some(b) => {
                            let d = r.value - b;
                            let d = if matches!(kind, ScoreKind::Albi) {
                                format!("{d:+.2}")
                            } else {
                                format!("{d:+}")
                            };
                            format!("change {d}")
                        }
                    };
                    Cell {
                        text: r.display(),
                        interval: change,
                        ..Cell::default()
                    }
                }
                _ => Cell::default(),
            })
            .collect();
        if cells.iter().all(|c| c.text.is_empty())
            && let Some(Some(Err(e))) = all.last().map(|s| s.result(kind))
        {
            score_notes.push(e.to_string());
        }
        score_rows.push((kind.label().to_owned(), cells));
    }

    // The symptom course: a row per symptom, a column per entry.
    let strips = symptom_strips(&entries, catalog);
    let symptom_rows = strips
        .into_iter()
        .map(|s| {
            let cells = entries
                .iter()
                .map(|e| match s.cells.iter().find(|c| c.entry_id == e.id) {
                    Some(c) => Cell {
                        text: c.text.clone(),
                        ..Cell::default()
                    },
                    None => Cell::default(),
                })
                .collect();
            (format!("{} ({})", s.name, s.scale.range()), cells)
        })
        .collect();

    let cycle_lines: Vec<(Date, String)> = treatments.iter().map(|t| (t.data.date, t.data.short_label())).collect();
    let series = lab_series(&entries, catalog, sex, UnitSystem::Conventional);
    let figures = group_series(series, catalog)
        .into_iter()
        .filter(|g| g.code == "bilirubin" || o.groups.contains(&g.code))
        .map(|g| Figure {
            title: format!("{} ({})", g.name, display_unit(&g.unit)),
            svg: figure_svg(&g, &cycle_lines),
        })
        .collect();

    let p = &patient.data;
    let period = match (entries.first(), entries.last()) {
        (Some(a), Some(b)) => format!("{} to {}", a.data.collected_on, b.data.collected_on),
        _ => "no entries".to_owned(),
    };
    ReportData {
        title: "Patient monitoring report".to_owned(),
        clinic: o.clinic.clone(),
        period,
        patient: PatientPart {
            name: p.name.clone(),
            mrn: p.mrn.clone(),
            age: format!("{} y", patient.age_on(o.today)),
            sex: p.sex.label().to_owned(),
            birth: p.birth_date.to_string(),
            diagnosis: p.diagnosis.clone(),
            enrolled: p.enrolled.to_string(),
        },
        adverse: Vec::new(),
        adverse_none: "No adverse event recorded in this period.".to_owned(),
        cycles: treatments
            .iter()
            .map(|t| {
                let d = &t.data;
                Cycle {
                    date: d.date.to_string(),
                    cycle: d.cycle.map(|c| c.to_string()).unwrap_or_default(),
                    kind: d.kind.label().to_owned(),
                    product: d.product.clone(),
                    dose: d
                        .dose
                        .as_ref()
                        .map(|x| format!("{x} {}", d.dose_unit).trim_end().to_owned())
                        .unwrap_or_default(),
                    route: d.route.clone(),
                }
            })
            .collect(),
        values: blocks(&dates, value_rows),
        scores: blocks(&dates, score_rows),
        score_notes,
        symptoms: blocks(&dates, symptom_rows),
        figures,
        footer: Footer {
            note: AS_PRINTED.to_owned(),
            file: o.file.clone(),
            printed_by: o.printed_by.clone(),
            printed_at: o.printed_at.clone(),
            audit: o
                .audit_head
                .as_ref()
                .map(|h| format!("audit head {h} (clinilog check --anchor)"))
                .unwrap_or_default(),
        },
    }
}

/// XML text: `<`, `>`, `&` and quotes escaped.
pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal grid lines from 0 to `ymax` every `step`, labelled at the
/// left, between `x` (left, right) in an SVG figure.
pub(crate) fn y_grid(s: &mut String, x: (f64, f64), ymax: f64, step: f64, py: &dyn Fn(f64) -> f64) {
    let (left, right) = x;
    let mut y = 0.0;
    while y <= ymax + step * 0.01 {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{right:.1}" y1="{:.1}" y2="{:.1}" stroke="#d0d0d0" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            py(y),
            py(y),
            left - 4.0,
            py(y) + 3.0,
            trim(y)
        );
        y += step;
    }
}

/// Round steps for an axis: 1, 2 or 5 times a power of ten.
pub(crate) fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

const COLORS: [&str; 4] = ["#1f4e79", "#c55a11", "#2e7d32", "#6a1b9a"];

/// One group's plot as SVG: the reference band of its first series, a line
/// and markers per series (H/L marked, open when printed with < or >), the
/// treatment cycles as dashed lines, axes with dates and the unit.
fn figure_svg(group: &PlotGroup, cycles: &[(Date, String)]) -> String {
    let (w, h) = (520.0, 170.0);
    let (left, right, top, bottom) = (46.0, 34.0, 16.0, 26.0);
    let points: Vec<&clinilog_domain::trend::TrendPoint> = group.series.iter().flat_map(|s| &s.points).collect();
    let xs: Vec<f64> = points.iter().map(|p| day_number(p.date)).collect();
    let (mut x0, mut x1) = xs.iter().fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    if points.is_empty() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 - x0 < 7.0 {
        (x0, x1) = (x0 - 3.5, x1 + 3.5);
    }
    let first = group.series.first();
    let bands: Vec<BandSegment> = first.map(|s| band_segments(&s.points, (x0, x1))).unwrap_or_default();
    let ymax = points
        .iter()
        .map(|p| p.value)
        .chain(bands.iter().map(|b| b.high))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.1;
    let step = nice_step(ymax, 4.0);
    let ymax = (ymax / step).ceil() * step;
    let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
    let py = |y: f64| top + (1.0 - y / ymax) * (h - top - bottom);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Noto Sans" font-size="8">"#
    );
    for b in &bands {
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#2e7d32" fill-opacity="0.12"/>"##,
            px(b.x0.max(x0)),
            py(b.high.min(ymax)),
            (px(b.x1.min(x1)) - px(b.x0.max(x0))).max(0.0),
            (py(b.low.max(0.0)) - py(b.high.min(ymax))).max(0.0)
        );
    }
    // Axes and ticks.
    y_grid(&mut s, (left, w - right), ymax, step, &py);
    let _ = write!(
        s,
        r##"<text x="10" y="{:.1}" transform="rotate(-90 10 {:.1})" text-anchor="middle">{}</text>"##,
        (top + h - bottom) / 2.0,
        (top + h - bottom) / 2.0,
        xml(&display_unit(&group.unit))
    );
    let mut dates: Vec<Date> = points.iter().map(|p| p.date).collect();
    dates.sort();
    dates.dedup();
    let every = dates.len().div_ceil(6).max(1);
    for d in dates.iter().step_by(every) {
        let x = px(day_number(*d));
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#808080" stroke-width="0.5"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{d}</text>"##,
            h - bottom,
            h - bottom + 3.0,
            h - bottom + 12.0
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#404040" stroke-width="0.7"/>"##,
        w - right,
        h - bottom,
        h - bottom
    );
    for (d, label) in cycles {
        let x = day_number(*d);
        if x < x0 || x > x1 {
            continue;
        }
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="#7b3fa0" stroke-width="0.8" stroke-dasharray="3 2"/><text x="{3:.1}" y="{4:.1}" fill="#7b3fa0">{5}</text>"##,
            px(x),
            top,
            h - bottom,
            px(x) + 2.0,
            top + 7.0,
            xml(label)
        );
    }
    for (i, series) in group.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        draw_series(&mut s, series, color, &px, &py);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="10" fill="{color}">{}</text>"#,
            left + 4.0 + 120.0 * i as f64,
            xml(&series.name)
        );
    }
    s.push_str("</svg>");
    s
}

fn draw_series(s: &mut String, series: &Series, color: &str, px: &dyn Fn(f64) -> f64, py: &dyn Fn(f64) -> f64) {
    let path: Vec<String> = series
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", px(day_number(p.date)), py(p.value)))
        .collect();
    if path.len() > 1 {
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="1.2"/>"#,
            path.join(" ")
        );
    }
    // Letters beside dense points would hide them: the triangle's direction says H or L.
    let letters = series.points.len() <= 60;
    for p in &series.points {
        let (x, y) = (px(day_number(p.date)), py(p.value));
        let fill = if p.comparator.is_some() { "white" } else { color };
        match p.flag {
            Flag::High | Flag::Low | Flag::CriticalHigh | Flag::CriticalLow => {
                let (tip, base, text_y) = if p.flag.is_high() {
                    (y - 3.5, y + 2.5, y - 5.0)
                } else {
                    (y + 3.5, y - 2.5, y + 11.0)
                };
                let _ = write!(
                    s,
                    r#"<polygon points="{x:.1},{tip:.1} {:.1},{base:.1} {:.1},{base:.1}" fill="{fill}" stroke="{color}" stroke-width="0.8"/><text x="{:.1}" y="{text_y:.1}" fill="{color}" font-weight="bold">{}</text>"#,
                    x - 3.0,
                    x + 3.0,
                    x + 3.0,
                    if letters { p.flag.letter() } else { "" }
                );
            }
            Flag::Normal => {
                let _ = write!(
                    s,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.2" fill="{fill}" stroke="{color}" stroke-width="0.8"/>"#
                );
            }
        }
        if let Some(c) = p.comparator {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" fill="{color}">{}</text>"#,
                x + 3.0,
                y + 3.0,
                if c == Comparator::Less { "&lt;" } else { "&gt;" }
            );
        }
    }
}

/// `2`, `0.5`, `12.5`: an axis number without trailing zeros.
pub(crate) fn trim(y: f64) -> String {
    // Never "-0" (a tick computed as -0.0).
    let y = if y == 0.0 { 0.0 } else { y };
    let t = format!("{y:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Lays out the report and writes it as PDF (fonts embedded).
pub fn render_pdf(data: &ReportData) -> Result<Vec<u8>, String> {
    render_template(TEMPLATE, data)
}

/// Lays out `template` (typst, reading `sys.inputs.data`) with `data` as
/// JSON, and writes it as PDF with the report's fonts embedded.
pub(crate) fn render_template(template: &'static str, data: &impl Serialize) -> Result<Vec<u8>, String> {
    use typst::foundations::{Dict, IntoValue};
    let json = serde_json::to_string(data).map_err(|e| e.to_string())?;
    let engine = typst_as_lib::TypstEngine::builder()
        .main_file(template)
        .fonts(FONTS.iter().copied())
        .build();
    let mut inputs = Dict::new();
    inputs.insert("data".into(), json.into_value());
    // The document type is the one typst_pdf takes (a paged document).
    let doc = engine
        .compile_with_input(inputs)
        .output
        .map_err(|e| format!("the report could not be laid out: {e}"))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| format!("the report could not be written as PDF: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(13.0, 4.0), 5.0);
        assert_eq!(nice_step(1.3, 4.0), 0.5);
        assert_eq!(nice_step(180.0, 4.0), 50.0);
        assert_eq!(trim(2.5), "2.5");
        assert_eq!(trim(10.0), "10");
        assert_eq!(trim(-0.0), "0");
    }

    #[test]
    fn svg_text_is_escaped() {
        assert_eq!(xml("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
