//! The one harness every window test builds on: the app with the window's
//! theme in a headless window of a given size, the helpers that drive it by
//! visible labels, and the check that a screen fits its window.

use clinilog::cli::demo::write_demo;
use clinilog::domain::Catalog;
use clinilog::store::FileStore;
use clinilog::ui::{ClinilogApp, Prefs};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::civil::date;

pub(crate) type App<'a> = Harness<'a, ClinilogApp>;

pub(crate) fn harness(store: FileStore, clinician: &str) -> App<'static> {
    run_app(
        ClinilogApp::new(store, Catalog::builtin().unwrap(), prefs(clinician)).with_today(date(2025, 9, 1)),
        [1500.0, 1900.0],
    )
}

/// Preferences of a workstation where `clinician` records.
pub(crate) fn prefs(clinician: &str) -> Prefs {
    Prefs {
        clinician: clinician.into(),
        ..Prefs::default()
    }
}

/// `app` in a headless window of `size`, its first background reads arrived.
pub(crate) fn run_app(app: ClinilogApp, size: [f32; 2]) -> App<'static> {
    run_app_at(app, size, 1.0)
}

/// `app` in a headless window of `size` points at `pixels_per_point`, with
/// the window's theme, its first background reads arrived.
pub(crate) fn run_app_at(app: ClinilogApp, size: [f32; 2], pixels_per_point: f32) -> App<'static> {
    let mut h = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(pixels_per_point)
        .with_theme(egui::Theme::Light)
        .with_context_setup(clinilog::ui::theme::apply)
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    h.run_steps(1);
    settle(&mut h);
    h.run();
    h
}

/// Runs frames until the patient list, read on its own thread, has arrived
/// and the file's check (on another) has ended: a repaint asked from a
/// thread in the middle of `Harness::run` would make it run more frames.
pub(crate) fn settle(h: &mut App<'_>) {
    for _ in 0..2000 {
        if !h.state().list_loading()
            && !h.state().checking_file()
            && !h.state().due_loading()
            && !h.state().cohort_loading()
        {
            // The thread asks for a frame just after it sends: take it here,
            // not in the middle of the caller's next `Harness::run`.
            std::thread::sleep(std::time::Duration::from_millis(10));
            h.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.run_steps(1);
    }
    panic!("the patient list never arrived, or the file check never ended");
}

pub(crate) fn type_into(h: &mut App<'_>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    h.run();
}

/// Selects what the field holds and types over it, as a user would.
pub(crate) fn replace_text(h: &mut App<'_>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    h.run();
}

/// The demo patient's screen open on a file of its own; the folder lives
/// as long as the returned guard.
pub(crate) fn on_demo_patient() -> (tempfile::TempDir, std::path::PathBuf, App<'static>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    (dir, path, h)
}

pub(crate) fn click(h: &mut App<'_>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(1);
    settle(h);
    h.run();
}

/// Clicks a button that starts work on a thread: the window keeps changing
/// (a progress bar, then the result) for as many frames as the work takes,
/// so frames are run one by one; `wait_for` then waits for the result.
pub(crate) fn click_to_start(h: &mut App<'_>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(3);
}

pub(crate) fn focused(h: &App<'_>, label: &str) -> bool {
    h.get_by_role_and_label(Role::TextInput, label).is_focused()
}

pub(crate) fn value(h: &App<'_>, label: &str) -> Option<String> {
    h.get_by_role_and_label(Role::TextInput, label).value()
}

/// Runs frames until `label` shows (a backup, an import or a report runs on
/// a thread of its own): up to 30 s, for a loaded CI machine; it returns as
/// soon as the label shows.
pub(crate) fn wait_for(h: &mut App<'_>, label: &str) {
    for _ in 0..600 {
        h.run_steps(2);
        if h.query_by_label_contains(label).is_some() {
            // A patient list read again on its thread arrives too.
            settle(h);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{label:?} never showed");
}

/// The seed case's first printed report (the capture corpus' first layout), as a PDF in `dir`.
pub(crate) fn seed_report(dir: &std::path::Path) -> std::path::PathBuf {
    let layout = crate::capture_corpus::layouts().into_iter().next().unwrap();
    let path = dir.join("city-hospital-2025-07-19.pdf");
    std::fs::write(&path, crate::capture_corpus::typeset(&layout.source, &[])).unwrap();
    path
}

/// *New entry from report...* on the open patient: `path` typed, read, and
/// frames run until the entry form opens filled in (or a question is asked).
pub(crate) fn read_report(h: &mut App<'_>, path: &std::path::Path) {
    click(h, "New entry from report...");
    type_into(h, "Report file", path.to_str().unwrap());
    h.get_by_label("Read").click();
    h.run_steps(1);
    for _ in 0..3000 {
        if !h.state().reading_report() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
    }
    assert!(!h.state().reading_report(), "the report was never read");
    settle(h);
    h.run();
}

/// The sizes every screen must fit, in points: the common clinic laptop
/// (1366x768), the smallest desktop GNOME and Windows design for
/// (1280x720) and a full HD monitor; each at 1 and 2 pixels per point.
pub(crate) const FIT_SIZES: [[f32; 2]; 3] = [[1280.0, 720.0], [1366.0, 768.0], [1920.0, 1080.0]];
pub(crate) const FIT_SCALES: [f32; 2] = [1.0, 2.0];

/// What the fit check looks at: what a user acts on, and pictures.
fn is_widget(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::RadioButton
            | Role::ComboBox
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::SearchInput
            | Role::DateInput
            | Role::SpinButton
            | Role::Slider
            | Role::Link
            | Role::DisclosureTriangle
            | Role::ScrollBar
            | Role::Splitter
            | Role::Tab
            | Role::MenuItem
            | Role::ColorWell
            | Role::Image
    )
}

/// A node as the fit check sees it: its name, the part of it a scroll
/// area shows, and the floating layer (window, dialog) it is drawn in.
struct Placed {
    what: String,
    role: Role,
    rect: egui::Rect,
    layer: usize,
}

/// Why the screen drawn by `h` does not fit its window of `size` points:
/// two widgets (or pictures) whose rectangles cross, a widget or a text
/// outside the window that no scroll area reaches, or a text squeezed
/// into a column a word or two wide. Read from the AccessKit tree (what a
/// screen reader reads), each rectangle cut to the scroll areas it is in.
pub(crate) fn misfits<S>(h: &Harness<'_, S>, size: [f32; 2]) -> Vec<String> {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0], size[1]));
    let ppp = h.ctx.pixels_per_point();
    let mut placed = Vec::new();
    let mut problems = Vec::new();
    for (layer, top) in h.root().children().enumerate() {
        walk(top, layer, egui::Rect::EVERYTHING, false, ppp, &mut placed);
    }
    for p in &placed {
        // A window's resize handles reach a few points past its edge.
        let slack = if p.role == Role::Splitter { 4.0 } else { 1.0 };
        if p.rect.is_positive() && !window.expand(slack).contains_rect(p.rect) {
            problems.push(format!("{} lies outside the {}x{} window", p.what, size[0], size[1]));
        }
        // A text of several lines, each a word or two wide.
        if p.role == Role::Label && p.rect.height() > 64.0 && p.rect.width() < 120.0 {
            problems.push(format!(
                "{} is squeezed into a column {:.0} points wide",
                p.what,
                p.rect.width()
            ));
        }
    }
    // Widgets with each other, and texts with widgets (texts beside
    // texts are the layout's business: a table's clipped cell runs on).
    for (i, a) in placed.iter().enumerate() {
        for b in &placed[i + 1..] {
            let both_widgets = is_widget(a.role) && is_widget(b.role);
            let text_on_widget =
                (a.role == Role::Label && is_widget(b.role)) || (b.role == Role::Label && is_widget(a.role));
            // A scroll area's two bars meet at their corner; a floating
            // window's own resize grips are its invisible frame, reaching
            // into its margin by design (egui's), not a widget on its content.
            let window_grip = |p: &Placed| p.role == Role::Splitter && p.what.contains("\"Resize window");
            let handles = (a.role == Role::ScrollBar && b.role == Role::ScrollBar) || window_grip(a) || window_grip(b);
            let cross = a.rect.intersect(b.rect);
            if a.layer == b.layer
                && (both_widgets || text_on_widget)
                && !handles
                && cross.width() > 1.0
                && cross.height() > 1.0
            {
                problems.push(format!("{} and {} overlap", a.what, b.what));
            }
        }
    }
    problems
}

/// Collects the nodes under `node`, each cut to `clip` (the scroll areas
/// it is in); `scrolled` once inside one.
fn walk(node: egui_kittest::Node<'_>, layer: usize, clip: egui::Rect, scrolled: bool, ppp: f32, out: &mut Vec<Placed>) {
    let a = node.accesskit_node();
    let role = a.role();
    if let Some(b) = a.bounding_box()
        && (is_widget(role) || role == Role::Label || role == Role::Window)
    {
        let rect = egui::Rect::from_min_max(
            egui::pos2(b.x0 as f32 / ppp, b.y0 as f32 / ppp),
            egui::pos2(b.x1 as f32 / ppp, b.y1 as f32 / ppp),
        );
        let shown = if scrolled { rect.intersect(clip) } else { rect };
        let name = a.label().map(|l| format!("{l:?}")).unwrap_or_else(|| {
            node.children()
                .find_map(|c| {
                    c.accesskit_node()
                        .value()
                        .map(|v| format!("{:?}", v.chars().take(40).collect::<String>()))
                })
                .unwrap_or_default()
        });
        out.push(Placed {
            what: format!(
                "{role:?} {name} at {:.0},{:.0}-{:.0},{:.0}",
                rect.min.x, rect.min.y, rect.max.x, rect.max.y
            ),
            role,
            rect: shown,
            layer,
        });
    }
    // A scroll area: its content is the container drawn just before its
    // scroll bars, and shows only between them.
    let children: Vec<_> = node.children().collect();
    for (i, child) in children.iter().enumerate() {
        let bars: Vec<egui::Rect> = children[i + 1..]
            .iter()
            .map(|c| c.accesskit_node())
            .take_while(|c| c.role() == Role::ScrollBar)
            .filter_map(|c| c.bounding_box())
            .map(|b| {
                egui::Rect::from_min_max(
                    egui::pos2(b.x0 as f32 / ppp, b.y0 as f32 / ppp),
                    egui::pos2(b.x1 as f32 / ppp, b.y1 as f32 / ppp),
                )
            })
            .collect();
        let mut view = clip;
        for bar in &bars {
            if bar.height() > bar.width() {
                view.min.y = view.min.y.max(bar.min.y);
                view.max.y = view.max.y.min(bar.max.y);
                view.max.x = view.max.x.min(bar.min.x);
            } else {
                view.min.x = view.min.x.max(bar.min.x);
                view.max.x = view.max.x.min(bar.max.x);
                view.max.y = view.max.y.min(bar.min.y);
            }
        }
        let in_scroll = child.accesskit_node().role() != Role::ScrollBar && !bars.is_empty();
        walk(*child, layer, view, scrolled || in_scroll, ppp, out);
    }
}

/// Runs `open` on the demo clinic at every size and scale of [`FIT_SIZES`]
/// and [`FIT_SCALES`] (a fresh window each time, as a user opening it at
/// that size) and fails with every misfit of every size.
pub(crate) fn assert_fits(screen: &str, open: impl Fn(&mut App<'_>, &std::path::Path)) {
    assert_fits_on(
        screen,
        |dir| {
            let mut store = FileStore::open(dir.join("clinic.sqlite")).unwrap();
            write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
            ClinilogApp::new(store, Catalog::builtin().unwrap(), prefs("Dr Rao")).with_today(date(2025, 9, 1))
        },
        open,
    );
}

/// [`assert_fits`] on the window `make` opens in a folder of its own.
pub(crate) fn assert_fits_on(
    screen: &str,
    make: impl Fn(&std::path::Path) -> ClinilogApp,
    open: impl Fn(&mut App<'_>, &std::path::Path),
) {
    let mut problems = Vec::new();
    for size in FIT_SIZES {
        for scale in FIT_SCALES {
            let dir = tempfile::tempdir().unwrap();
            let mut h = run_app_at(make(dir.path()), size, scale);
            open(&mut h, dir.path());
            h.run();
            for p in misfits(&h, size) {
                problems.push(format!("{screen} at {}x{} x{scale}: {p}", size[0], size[1]));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} misfit(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
