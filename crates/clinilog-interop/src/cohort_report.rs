//! The cohort as a printed report, in the patient report's style: the
//! choices, the plot (a grey line per patient, the weekly median and IQR
//! band, the cycles), the change summaries, the responder count and the
//! table, laid out by typst (`assets/report/cohort.typ`) with the same
//! fonts.

use std::fmt::Write as _;

use serde::Serialize;

use super::report::{nice_step, render_template, trim, xml, y_grid};
use clinilog_domain::cohort::{Cohort, CohortOptions, PatientValues, Spread, WeekBand};
use clinilog_domain::protocol::day_count;

static TEMPLATE: &str = include_str!("../../../assets/report/cohort.typ");

/// How many patients' rows the printed table holds (the CSV holds all).
pub const TABLE_ROWS: usize = 300;
/// How many patients' lines the printed plot draws.
pub const PLOT_LINES: usize = 300;

#[derive(Serialize)]
struct Summary {
    day: String,
    change: String,
    percent: String,
}

/// Everything the cohort template prints.
#[derive(Serialize)]
pub struct CohortReport {
    title: String,
    clinic: String,
    /// The measure, unit, day 0 and the patients chosen, one line each.
    choices: Vec<String>,
    figure: String,
    summary: Vec<Summary>,
    responders: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Said under the table when rows were left out.
    table_note: String,
    printed: String,
}

/// What the report says besides the numbers.
pub struct CohortReportText {
    pub clinic: String,
    pub choices: Vec<String>,
    pub responders: String,
    pub printed_by: String,
    pub printed_at: String,
    pub file: String,
    /// The audit trail's head (`SEQ:HASH`) the values were read at.
    pub audit_head: Option<String>,
}

fn spread_text(s: &Option<Spread>, d: usize, suffix: &str) -> String {
    match s {
        Some(s) => format!(
            "n={}, median {:+.d$}{suffix} (IQR {:+.d$} to {:+.d$}{suffix})",
            s.n, s.median, s.q1, s.q3
        ),
        None => "n=0".to_owned(),
    }
}

/// The report's data.
pub fn cohort_report(
    values: &[PatientValues],
    cohort: &Cohort,
    options: &CohortOptions,
    bands: &[WeekBand],
    markers: &[(u32, f64, usize)],
    unit: &str,
    text: CohortReportText,
) -> CohortReport {
    let mut header = vec!["Patient".to_owned(), "Day 0".to_owned(), "Baseline".to_owned()];
    header.extend(options.at_days.iter().map(|d| format!("Day {d} (change)")));
    header.extend(["Values".to_owned(), "Notes".to_owned()]);
    let rows: Vec<Vec<String>> = cohort
        .rows
        .iter()
        .take(TABLE_ROWS)
        .map(|r| {
            let mut row = vec![
                r.name.clone(),
                r.day0.to_string(),
                r.baseline
                    .as_ref()
                    .map_or("-".to_owned(), |b| format!("{} ({})", b.text, b.date)),
            ];
            row.extend(
                (0..options.at_days.len()).map(|i| match r.at.get(i).cloned().flatten() {
                    Some(p) => match (r.change[i], r.change_percent[i]) {
                        (Some(c), Some(pc)) => format!("{} ({c:+.2}, {pc:+.1}%)", p.text),
                        (Some(c), None) => format!("{} ({c:+.2})", p.text),
                        _ => p.text,
                    },
                    None => "-".to_owned(),
                }),
            );
            row.extend([r.count.to_string(), r.notes.join("; ")]);
            row
        })
        .collect();
    let table_note = if cohort.rows.len() > TABLE_ROWS {
        format!(
            "The first {TABLE_ROWS} of {} patients by name; the CSV export holds every patient.",
            cohort.rows.len()
        )
    } else {
        String::new()
    };
    CohortReport {
        title: "Cohort outcomes".to_owned(),
        clinic: text.clinic,
        choices: text.choices,
        figure: cohort_svg(values, bands, markers, unit),
        summary: options
            .at_days
            .iter()
            .enumerate()
            .map(|(i, d)| Summary {
                day: format!("Day {d}"),
                change: spread_text(&cohort.change_spread[i], 2, ""),
                percent: spread_text(&cohort.change_percent_spread[i], 1, "%"),
            })
            .collect(),
        responders: text.responders,
        header,
        rows,
        table_note,
        printed: format!(
            "{}  printed by {}, {}{}",
            text.file,
            text.printed_by,
            text.printed_at,
            text.audit_head
                .as_ref()
                .map(|h| format!("  audit head {h} (clinilog check --anchor)"))
                .unwrap_or_default()
        ),
    }
}

/// The plot as SVG in the report's style: a thin grey line per patient (up
/// to [`PLOT_LINES`]), the weekly IQR band and median, the cycles dashed,
/// days since day 0 on the axis and the unit.
pub fn cohort_svg(values: &[PatientValues], bands: &[WeekBand], markers: &[(u32, f64, usize)], unit: &str) -> String {
    let (w, h) = (520.0, 220.0);
    let (left, right, top, bottom) = (46.0, 16.0, 16.0, 30.0);
    let lines: Vec<Vec<(f64, f64)>> = values
        .iter()
        .filter_map(|p| {
            let day0 = p.day0?;
            let pts: Vec<(f64, f64)> = p
                .points
                .iter()
                .filter(|pt| !pt.censored)
                .map(|pt| (day_count(day0, pt.date) as f64, pt.value))
                .collect();
            (!pts.is_empty()).then_some(pts)
        })
        .take(PLOT_LINES)
        .collect();
    let all = lines.iter().flatten().copied();
    let (mut x0, mut x1, mut ymax) = all.fold((f64::MAX, f64::MIN, 0.0f64), |(a, b, y), (x, v)| {
        (a.min(x), b.max(x), y.max(v))
    });
    if x0 > x1 {
        (x0, x1) = (-7.0, 7.0);
    }
    if x1 - x0 < 14.0 {
        (x0, x1) = (x0 - 7.0, x1 + 7.0);
    }
    ymax = ymax
        .max(bands.iter().map(|b| b.spread.q3).fold(0.0, f64::max))
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
    y_grid(&mut s, (left, w - right), ymax, step, &py);
    let xstep = nice_step(x1 - x0, 6.0);
    let mut x = (x0 / xstep).ceil() * xstep;
    while x <= x1 {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="#808080" stroke-width="0.5"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">{4}</text>"##,
            px(x),
            h - bottom,
            h - bottom + 3.0,
            h - bottom + 12.0,
            trim(x)
        );
        x += xstep;
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#404040" stroke-width="0.7"/><text x="{:.1}" y="{:.1}" text-anchor="middle">days since day 0</text><text x="10" y="{:.1}" transform="rotate(-90 10 {:.1})" text-anchor="middle">{}</text>"##,
        w - right,
        h - bottom,
        h - bottom,
        (left + w - right) / 2.0,
        h - 4.0,
        (top + h - bottom) / 2.0,
        (top + h - bottom) / 2.0,
        xml(unit)
    );
    for l in &lines {
        let d: Vec<String> = l.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#909090" stroke-opacity="0.45" stroke-width="0.4"/>"##,
            d.join(" ")
        );
    }
    let bx = |b: &WeekBand| b.week as f64 * 7.0 + 3.5;
    if !bands.is_empty() {
        let mut ring: Vec<String> = bands
            .iter()
            .map(|b| format!("{:.1},{:.1}", px(bx(b)), py(b.spread.q3)))
            .collect();
        ring.extend(
            bands
                .iter()
                .rev()
                .map(|b| format!("{:.1},{:.1}", px(bx(b)), py(b.spread.q1))),
        );
        let _ = write!(
            s,
            r##"<polygon points="{}" fill="#1f4e79" fill-opacity="0.18" stroke="none"/>"##,
            ring.join(" ")
        );
        let median: Vec<String> = bands
            .iter()
            .map(|b| format!("{:.1},{:.1}", px(bx(b)), py(b.spread.median)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#1f4e79" stroke-width="1.5"/>"##,
            median.join(" ")
        );
    }
    for (c, day, n) in markers {
        if *day < x0 || *day > x1 {
            continue;
        }
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="#7b3fa0" stroke-width="0.8" stroke-dasharray="3 2"/><text x="{3:.1}" y="{4:.1}" fill="#7b3fa0">C{5} (n={6})</text>"##,
            px(*day),
            top,
            h - bottom,
            px(*day) + 2.0,
            top + 7.0,
            c,
            n
        );
    }
    s.push_str("</svg>");
    s
}

/// The report as PDF (fonts embedded).
pub fn render_cohort_pdf(report: &CohortReport) -> Result<Vec<u8>, String> {
    render_template(TEMPLATE, report)
}
