//! The Trends view model: everything the tab draws, built when the
//! patient, the units or the scores change (never per frame), and what the
//! user chose in the tab. Pure: no drawing here.

use std::collections::BTreeSet;

use eframe::egui::Rect;
use jiff::civil::Date;

use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::score_inputs::EntryScores;
use clinilog_domain::trend::{BandSegment, Series, band_segments, day_number, lab_series, score_series};
use clinilog_domain::trend_view::{PlotGroup, SymptomStrip, changes, group_series, normalised, symptom_strips};
use clinilog_domain::{Catalog, Entry, Patient, TreatmentEvent};

/// A treatment line: where, its short label and what hover shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TreatmentMark {
    pub x: f64,
    pub date: Date,
    pub label: String,
    pub detail: String,
}

/// A series ready to draw: its band and each point's changes.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesView {
    pub series: Series,
    pub bands: Vec<BandSegment>,
    /// Per point: percent change from the previous point and from baseline.
    pub changes: Vec<(Option<f64>, Option<f64>)>,
}

impl SeriesView {
    /// `span`: the days the plots cover, which the bands reach across.
    pub fn new(series: Series, span: (f64, f64)) -> Self {
        Self {
            bands: band_segments(&series.points, span),
            changes: changes(&series.points),
            series,
        }
    }
}

/// One plot of the column.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupView {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub series: Vec<SeriesView>,
}

/// What the Trends tab draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrendsModel {
    pub groups: Vec<GroupView>,
    pub normalised: Vec<SeriesView>,
    pub strips: Vec<SymptomStrip>,
    pub treatments: Vec<TreatmentMark>,
    /// Adverse events at their onset: `AE G2`, the grade in text.
    pub adverse: Vec<TreatmentMark>,
    /// All points and treatments, in days.
    pub data_range: (f64, f64),
    pub enrolled: Option<Date>,
    pub first_treatment: Option<Date>,
}

impl TrendsModel {
    pub fn build(
        entries: &[Entry],
        treatments: &[TreatmentEvent],
        catalog: &Catalog,
        patient: &Patient,
        scores: &[EntryScores],
        units: UnitSystem,
    ) -> Self {
        let labs = lab_series(entries, catalog, patient.data.sex, units);
        let strips = symptom_strips(entries, catalog);
        let xs = labs
            .iter()
            .flat_map(|s| s.points.iter().map(|p| day_number(p.date)))
            .chain(strips.iter().flat_map(|s| s.cells.iter().map(|c| day_number(c.date))))
            .chain(treatments.iter().map(|t| day_number(t.data.date)));
        let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let data_range = if lo <= hi { (lo, hi) } else { (0.0, 1.0) };
        // Bands reach a little past the data, and far enough for panning.
        let span = (data_range.0 - 3650.0, data_range.1 + 3650.0);
        let normalised = normalised(&labs)
            .into_iter()
            .map(|s| SeriesView::new(s, span))
            .collect();
        let all: Vec<Series> = labs.into_iter().chain(score_series(scores)).collect();
        let groups = group_series(all, catalog)
            .into_iter()
            .map(|g: PlotGroup| GroupView {
                code: g.code,
                name: g.name,
                unit: g.unit,
                series: g.series.into_iter().map(|s| SeriesView::new(s, span)).collect(),
            })
            .collect::<Vec<_>>();
        let treatments: Vec<TreatmentMark> = treatments
            .iter()
            .map(|t| {
                let d = &t.data;
                let mut detail = format!("{} {}: {}, {}", d.short_label(), d.date, d.kind.label(), d.product);
                let dose = d.dose_text();
                detail.push_str(&format!(
                    ", dose {}",
                    if dose.is_empty() {
                        "not recorded".to_owned()
                    } else {
                        dose
                    }
                ));
                if !d.route.is_empty() {
                    detail.push_str(&format!(", {}", d.route));
                }
                TreatmentMark {
                    x: day_number(d.date),
                    date: d.date,
                    label: d.short_label(),
                    detail,
                }
            })
            .collect();

        Self {
            groups,
            normalised,
            strips,
            first_treatment: treatments.iter().map(|t| t.date).min(),
            treatments,
            adverse: Vec::new(),
            data_range,
            enrolled: Some(patient.data.enrolled),
        }
    }

    /// Adds the adverse events as marks at their onset (`AE G2`), widening
    /// the data range to hold them.
    pub fn with_adverse(mut self, events: &[clinilog_domain::adverse::AdverseEvent]) -> Self {
        self.adverse = events
            .iter()
            .map(|e| {
                let d = &e.data;
                TreatmentMark {
                    x: day_number(d.onset),
                    date: d.onset,
                    label: format!("AE {}", d.marker()),
                    detail: format!("Adverse event {}: {}; {}", d.onset, d.headline(), d.details()),
                }
            })
            .collect();
        for m in &self.adverse {
            self.data_range = (self.data_range.0.min(m.x), self.data_range.1.max(m.x));
        }
        self
    }

    /// The series of the visible groups (for the table and the CSV).
    pub fn visible_series(&self, hidden: &BTreeSet<String>) -> Vec<Series> {
        self.groups
            .iter()
            .filter(|g| !hidden.contains(&g.code))
            .flat_map(|g| g.series.iter().map(|s| s.series.clone()))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TrendsView {
    #[default]
    Plots,
    Normalised,
    Table,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AxisLabels {
    #[default]
    Dates,
    WeeksSinceEnrollment,
    WeeksSinceFirstTreatment,
}

impl AxisLabels {
    pub fn label(self) -> &'static str {
        match self {
            AxisLabels::Dates => "calendar dates",
            AxisLabels::WeeksSinceEnrollment => "weeks since enrollment",
            AxisLabels::WeeksSinceFirstTreatment => "weeks since first treatment",
        }
    }
}

/// What the user chose in the Trends tab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrendsState {
    pub view: TrendsView,
    pub log_scale: bool,
    pub axis: AxisLabels,
    /// Plot groups hidden by the user (remembered in the preferences).
    pub hidden: BTreeSet<String>,
    /// A range to apply to every plot this frame (preset or reset).
    pub pending_range: Option<(f64, f64)>,
    /// The range the plots showed last frame.
    pub shown_range: Option<(f64, f64)>,
    /// Where the view was drawn, for the PNG export.
    pub area: Option<Rect>,
}

/// What the Trends tab asks of the screen.
#[derive(Clone, Debug, PartialEq)]
pub enum TrendsAction {
    OpenEntry(i64),
    ExportCsv(String),
    ExportPng(Rect),
}
