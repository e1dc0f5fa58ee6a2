//! Colors and spacing: every design token of the window lives here.

// The one file allowed to make colors (clippy.toml forbids it elsewhere).
#![allow(clippy::disallowed_methods)]

use eframe::egui::{Color32, Margin, Stroke, Vec2};

/// Text and marker color of a value above its reference interval.
pub const HIGH: Color32 = Color32::from_rgb(0xB0, 0x24, 0x18);
/// Text and marker color of a value below its reference interval.
pub const LOW: Color32 = Color32::from_rgb(0x1F, 0x5F, 0xB4);
/// Text of a value within its interval.
pub const NORMAL: Color32 = Color32::from_rgb(0x20, 0x20, 0x20);
/// Messages that block a save.
pub const ERROR: Color32 = Color32::from_rgb(0xB0, 0x24, 0x18);
/// Warnings that do not block a save.
pub const WARN: Color32 = Color32::from_rgb(0x9A, 0x5B, 0x00);
/// Confirmations in the status bar.
pub const OK: Color32 = Color32::from_rgb(0x1E, 0x7A, 0x3C);
/// Secondary text: units, hints, calculated values.
pub const MUTED: Color32 = Color32::from_rgb(0x5A, 0x5A, 0x5A);
/// The edge of text fields and buttons.
pub const FIELD_EDGE: Color32 = Color32::from_gray(185);
/// Reference band behind plots.
pub const BAND: Color32 = Color32::from_rgba_premultiplied(0x0C, 0x23, 0x16, 0x40);
/// Plot grid lines: light, so data and bands stand out.
pub const GRID: Color32 = Color32::from_gray(190);
/// H/L and cycle labels inside plots.
pub const PLOT_LABEL_SIZE: f32 = 13.0;
/// Adverse-event lines on trend plots (dashed; the grade is written).
pub const ADVERSE: Color32 = Color32::from_rgb(0xA0, 0x30, 0x30);
/// Treatment event lines.
pub const TREATMENT: Color32 = Color32::from_rgb(0x7B, 0x3F, 0xA0);
/// Series colors, in catalog order within a plot group.
pub const SERIES: [Color32; 4] = [
    Color32::from_rgb(0x1B, 0x4F, 0x8A),
    Color32::from_rgb(0xC2, 0x6A, 0x00),
    Color32::from_rgb(0x3A, 0x7D, 0x44),
    Color32::from_rgb(0x80, 0x3A, 0x8C),
];

/// Where floating windows first open: below the top bar, clear of the menu.
pub const BREAKDOWN_POS: eframe::egui::Pos2 = eframe::egui::pos2(420.0, 70.0);
pub const CALCULATOR_POS: eframe::egui::Pos2 = eframe::egui::pos2(80.0, 60.0);
pub const PLOT_HEIGHT: f32 = 190.0;
/// Wide enough for symptom names, so every plot's left edge lines up.
pub const PLOT_Y_AXIS_WIDTH: f32 = 150.0;
pub const FORM_FIELD_WIDTH: f32 = 90.0;
pub const DATE_FIELD_WIDTH: f32 = 110.0;
pub const WIDE_FIELD_WIDTH: f32 = 320.0;
/// Field messages wrap at this width so they stay on screen beside the field.
pub const MESSAGE_WIDTH: f32 = 460.0;
/// ... and never narrower than this: a form with less room scrolls sideways
/// rather than squeeze a message to a word per line.
pub const MESSAGE_MIN_WIDTH: f32 = 220.0;
/// The entry form's narrowest comfortable width: a lab line (measure,
/// value, unit, interval, previous value) and its message beside it.
pub const ENTRY_FORM_MIN_WIDTH: f32 = 880.0;
/// The report's panel beside the entry form: its narrowest (pictures of
/// its lines still read), its usual and its widest width. With less room
/// than the form and the narrowest panel, the two take turns as tabs.
pub const CAPTURE_PANEL_MIN_WIDTH: f32 = 360.0;
pub const CAPTURE_PANEL_WIDTH: f32 = 440.0;
pub const CAPTURE_PANEL_MAX_WIDTH: f32 = 640.0;
/// Room left between a scroll bar and a panel's resize handle beside it.
pub const SPLITTER_GAP: f32 = 6.0;
/// The History tab's "before -> after" column.
pub const HISTORY_VALUES_WIDTH: f32 = 520.0;
pub const SECTION_GAP: f32 = 10.0;
pub const PANEL_MARGIN: Margin = Margin::symmetric(12, 8);

pub fn apply(ctx: &eframe::egui::Context) {
    ctx.set_theme(eframe::egui::Theme::Light);
    ctx.global_style_mut(|style| {
        style.spacing.item_spacing = Vec2::new(8.0, 6.0);
        style.spacing.button_padding = Vec2::new(8.0, 3.0);
        // Solid scroll bars take their own space instead of covering the last row.
        style.spacing.scroll = eframe::egui::style::ScrollStyle::solid();
        style.visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, NORMAL);
        // Fields keep a visible edge on striped rows.
        style.visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, FIELD_EDGE);
    });
}

/// A reference band in the color of its series, light enough to overlap.
pub fn band(series: Color32) -> Color32 {
    Color32::from_rgba_unmultiplied(series.r(), series.g(), series.b(), 0x22)
}

/// Colors for many series on one plot (the normalised view).
pub fn palette(i: usize) -> Color32 {
    const MORE: [Color32; 8] = [
        Color32::from_rgb(0x1B, 0x4F, 0x8A),
        Color32::from_rgb(0xC2, 0x6A, 0x00),
        Color32::from_rgb(0x3A, 0x7D, 0x44),
        Color32::from_rgb(0x80, 0x3A, 0x8C),
        Color32::from_rgb(0x8C, 0x56, 0x3A),
        Color32::from_rgb(0x2A, 0x8C, 0x8C),
        Color32::from_rgb(0x55, 0x55, 0x55),
        Color32::from_rgb(0xB0, 0x3A, 0x6A),
    ];
    MORE[i % MORE.len()]
}

/// Symptom cell shading: white (none) to dark amber (worst).
pub fn severity(s: f32) -> Color32 {
    let s = s.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * s).round() as u8;
    Color32::from_rgb(lerp(0xF4, 0xB3), lerp(0xF1, 0x4E), lerp(0xE8, 0x00))
}

/// Text on a symptom cell, readable on its shade.
pub fn severity_text(s: f32) -> Color32 {
    if s > 0.55 { Color32::WHITE } else { NORMAL }
}
