//! The History tab: every audit row of this patient, newest first, as
//! built by `log.rs` (only the rows in view are laid out).

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::HistoryRow;
use crate::theme;
use crate::widgets::muted;

pub(super) fn history_ui(ui: &mut Ui, rows: &[HistoryRow]) {
    muted(
        ui,
        "Every change to this patient's record, newest first. Times are local; the file keeps them in UTC.",
    );
    // Only the rows in view are laid out (a busy patient has hundreds of
    // records, each with up to one line per value): a row is as tall as its
    // lines of values; long texts are cut, whole on hover.
    let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let heights = rows.iter().map(|r| r.changes.len().max(1) as f32 * line + 6.0);
    let cut = |ui: &mut Ui, text: &str| {
        ui.add(egui::Label::new(text).truncate()).on_hover_text(text);
    };
    TableBuilder::new(ui)
        .id_salt("history_table")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Min))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto().at_least(80.0).clip(true))
        .column(Column::initial(260.0).at_least(120.0).clip(true).resizable(true))
        .column(
            Column::initial(theme::HISTORY_VALUES_WIDTH)
                .at_least(200.0)
                .clip(true)
                .resizable(true),
        )
        .column(Column::remainder().clip(true))
        .header(22.0, |mut h| {
            for title in ["When", "Who", "What", "Values (before -> after)", "Reason"] {
                h.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.heterogeneous_rows(heights, |mut row| {
                let r = &rows[row.index()];
                row.col(|ui| {
                    ui.label(&r.when);
                });
                row.col(|ui| cut(ui, &r.who));
                row.col(|ui| cut(ui, &r.what));
                row.col(|ui| {
                    ui.vertical(|ui| {
                        for c in &r.changes {
                            cut(ui, c);
                        }
                    });
                });
                row.col(|ui| cut(ui, &r.reason));
            });
        });
}
