//! The baseline of `benches/window.sh`: an empty eframe window built with
//! Clinilog's dependencies, window size and theme, drawing nothing. Clinilog's
//! startup figures are reported as ratios to this one's.
//!
//! Built by `cargo bench --no-run --bench empty_window`; it opens its window
//! only when started with `--window` (so a plain `cargo bench` passes over it).

fn main() -> eframe::Result {
    if !std::env::args().any(|a| a == "--window") {
        eprintln!("empty_window: the baseline of benches/window.sh; start it with --window");
        return Ok(());
    }
    eframe::run_native(
        "clinilog-empty-baseline",
        clinilog::ui::native_options("Clinilog baseline - empty window"),
        Box::new(|cc| {
            clinilog::ui::theme::apply(&cc.egui_ctx);
            Ok(Box::new(Empty))
        }),
    )
}

struct Empty;

impl eframe::App for Empty {
    fn ui(&mut self, _ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {}
}
