//! The History tab: every audit row of this patient, newest first, as
//! built by `log.rs` (only the rows in view are laid out).

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::HistoryRow;
use crate::theme;
use crate::widgets::muted;
use clinilog_store::AuditRecord;
use clinilog_store::chain::ChainReport;

/// The audit chain as a job found it, and when.
#[derive(Clone, Debug)]
pub struct ChainVerdict {
    pub report: ChainReport,
    /// Local time of the check, `2025-09-01 14:03`.
    pub checked_at: String,
}

/// Whether this patient's audit rows are verified: each one's hash
/// recomputed and found as written, in a chain without gaps.
pub(crate) fn chain_line(ui: &mut Ui, verdict: Option<&ChainVerdict>, audit: &[AuditRecord]) {
    let Some(v) = verdict else {
        muted(ui, "Checking the audit trail's hash chain...");
        return;
    };
    let head = v
        .report
        .head
        .as_ref()
        .map(|h| format!("{}:{}", h.seq, &h.hash[..h.hash.len().min(12)]))
        .unwrap_or_default();
    let last_checked = v.report.head.as_ref().map_or(0, |h| h.seq);
    let broken: Vec<&AuditRecord> = audit
        .iter()
        .filter(|r| r.seq.is_some_and(|s| v.report.broken.contains(&s)))
        .collect();
    let unchained = audit.iter().filter(|r| r.seq.is_none()).count();
    let newer = audit.iter().filter(|r| r.seq.is_some_and(|s| s > last_checked)).count();
    if broken.is_empty() && unchained == 0 {
        let checked = audit.len() - newer;
        ui.label(RichText::new(format!(
            "Verified: this patient's {checked} change(s) match their hashes in the audit chain (checked {}, head {head}){}",
            v.checked_at,
            if newer > 0 { format!("; {newer} since then are checked at the next start") } else { String::new() }
        ))
        .color(theme::OK));
    } else {
        let when: Vec<String> = broken.iter().map(|r| clinilog_store::local_time(&r.at_utc)).collect();
        ui.label(
            RichText::new(format!(
                "NOT verified: {} change(s) of this patient ({}) do not match their hashes: changed after they were \
                 written{}. Keep this file as it is and run clinilog check.",
                broken.len() + unchained,
                when.join(", "),
                if unchained > 0 {
                    format!("; {unchained} outside the chain")
                } else {
                    String::new()
                }
            ))
            .color(theme::ERROR)
            .strong(),
        );
    }
    if !v.report.problems.is_empty() && broken.is_empty() {
        ui.label(
            RichText::new(format!(
                "The audit trail has a problem elsewhere: {} Run clinilog check for all of it.",
                v.report.problems[0]
            ))
            .color(theme::WARN),
        );
    }
}

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
