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
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Clinilog baseline - empty window")
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([760.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "clinilog-empty-baseline",
        options,
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
