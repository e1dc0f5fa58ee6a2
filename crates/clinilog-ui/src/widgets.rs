//! Small shared widgets: labelled fields, field messages, flag-marked values.

use eframe::egui::{self, Response, RichText, Ui};

use super::theme;
use clinilog_domain::Flag;

/// A label and a single-line text field tied to it (screen readers and
/// tests find the field by the label's text). Draws two grid cells.
pub fn labelled_text(ui: &mut Ui, label: &str, text: &mut String, width: f32) -> Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .desired_width(width)
            .min_size(egui::vec2(width, 0.0)),
    )
    .labelled_by(label.id)
}

/// Puts the cursor in `response`'s field until it has it, then clears
/// `pending`. A dialog's first frame is laid out unseen (egui's sizing
/// pass), and a focus asked for then can be dropped: asking until the
/// field has it puts the cursor there whatever the frames.
pub fn focus_until_taken(response: &Response, pending: &mut bool) {
    if !*pending {
        return;
    }
    // egui's own record, not `has_focus` (which also wants the system's
    // window focused): the request of an earlier frame held.
    if response.ctx.memory(|m| m.has_focus(response.id)) {
        *pending = false;
    } else {
        response.request_focus();
    }
}

/// The one field of a modal dialog takes the cursor whenever nothing has
/// it: the dialog opens with it there, and a click beside it gives it back.
pub fn modal_field_focus(ui: &Ui, response: &Response) {
    if ui.memory(|m| m.focused().is_none()) {
        response.request_focus();
    }
}

/// The first field of a window: the cursor goes there when the window
/// opens (it was not drawn the pass before), until the field has it.
pub fn first_field_focus(ui: &Ui, response: &Response) {
    let key = response.id.with("first_field_focus");
    let pass = ui.ctx().cumulative_pass_nr();
    let (drawn, mut pending) = ui.data(|d| d.get_temp::<(u64, bool)>(key)).unwrap_or((0, true));
    if drawn + 1 < pass {
        pending = true;
    }
    focus_until_taken(response, &mut pending);
    ui.data_mut(|d| d.insert_temp(key, (pass, pending)));
}

/// A field's message in the error color, or nothing.
pub fn field_message(ui: &mut Ui, message: Option<&str>) {
    if let Some(m) = message {
        wrapped_message(ui, m, theme::ERROR);
    }
}

/// A message beside a field, wrapped to the room left on its line, but
/// never narrower than [`theme::MESSAGE_MIN_WIDTH`]: with less room the
/// form scrolls sideways instead of squeezing it to a word per line.
pub fn wrapped_message(ui: &mut Ui, message: &str, color: egui::Color32) {
    ui.scope(|ui| {
        let width = ui
            .available_width()
            .clamp(theme::MESSAGE_MIN_WIDTH, theme::MESSAGE_WIDTH);
        ui.set_min_width(width);
        ui.set_max_width(width);
        ui.add(egui::Label::new(RichText::new(message).color(color)).wrap());
    });
}

/// Color of a value with this flag; the flag letter is always written too.
pub fn flag_color(flag: Flag) -> egui::Color32 {
    match flag {
        Flag::High | Flag::CriticalHigh => theme::HIGH,
        Flag::Low | Flag::CriticalLow => theme::LOW,
        Flag::Normal => theme::NORMAL,
    }
}

/// Why a button that would write is greyed out.
pub const READ_ONLY_HINT: &str = "This file is open read-only: nothing can be changed in it";

/// A button that writes (or opens a form that will): greyed out, with the
/// reason on hover, while the file is open read-only.
pub fn write_button(ui: &mut Ui, read_only: bool, button: egui::Button<'_>) -> Response {
    ui.add_enabled(!read_only, button)
        .on_disabled_hover_text(READ_ONLY_HINT)
}

/// What an empty list or view says: what is missing, and what to do next.
pub fn empty_state(ui: &mut Ui, what: &str, next: &str) {
    ui.add_space(theme::SECTION_GAP);
    ui.label(what);
    muted(ui, next);
}

/// Muted secondary text (units, hints).
pub fn muted(ui: &mut Ui, text: impl Into<String>) -> Response {
    ui.label(RichText::new(text.into()).color(theme::MUTED))
}

/// Whether Ctrl+S (Cmd+S on macOS) was pressed this frame; consumes it.
/// It is meant to fire from inside a text field: it saves the open form.
pub fn save_shortcut(ui: &Ui) -> bool {
    let shortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S);
    ui.input_mut(|i| i.consume_shortcut(&shortcut))
}

/// Whether Ctrl+N (Cmd+N on macOS) was pressed this frame: open the
/// screen's "New ..." form. Consumes it.
pub fn new_shortcut(ui: &Ui) -> bool {
    let shortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::N);
    ui.input_mut(|i| i.consume_shortcut(&shortcut))
}

/// When a text field gains focus from the keyboard (Tab), select what it
/// holds, so typing replaces a prefilled value as in a spreadsheet.
pub fn select_all_on_focus(ui: &Ui, response: &Response, text: &str) {
    if response.gained_focus() && !ui.input(|i| i.pointer.any_pressed() || i.pointer.any_down()) {
        select_all(ui, response.id, text);
    }
}

/// Selects all of `text` in the text field `id`.
pub fn select_all(ui: &Ui, id: egui::Id, text: &str) {
    let mut state = egui::widgets::text_edit::TextEditState::load(ui.ctx(), id).unwrap_or_default();
    state
        .cursor
        .set_char_range(Some(egui::text_selection::CCursorRange::select_all_str(text)));
    state.store(ui.ctx(), id);
}

/// A score's version and breakdown: each term or point with its value and
/// what went into it. The same in an entry's breakdown and the calculator.
pub fn score_terms_ui(
    ui: &mut Ui,
    result: &clinilog_domain::scores::ScoreResult,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
) {
    muted(ui, result.version);
    egui::Grid::new((id_salt, result.kind.cli_name())).show(ui, |ui| {
        for t in &result.terms {
            ui.label(&t.name);
            ui.label(format!("{:.3}", t.value));
            muted(ui, &t.detail);
            ui.end_row();
        }
    });
}

/// A column title that sorts: `Name ^` or `Name v` when the list is
/// sorted by it; a click gives the new sort (this column ascending, or the
/// other way when it already sorts by it).
pub fn sort_header<T: Copy + PartialEq>(ui: &mut Ui, by: T, title: &str, sort: (T, bool)) -> Option<(T, bool)> {
    let shown = match sort {
        (s, false) if s == by => format!("{title} ^"),
        (s, true) if s == by => format!("{title} v"),
        _ => title.to_owned(),
    };
    let b = ui
        .add(egui::Button::new(RichText::new(shown).strong()).frame(false))
        .on_hover_text(format!("Sort by {}", title.to_lowercase()));
    b.clicked().then(|| match sort {
        (s, d) if s == by => (by, !d),
        _ => (by, false),
    })
}
