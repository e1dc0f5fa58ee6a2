//! One form model for every form in the window.
//!
//! A [`Form`] holds the draft exactly as typed (a domain draft type of
//! strings), the record it edits (if any), and the bookkeeping every form
//! shares: the reason an edit needs, the field errors, whether a save was
//! tried, the store's refusal, the kept draft, and where the cursor goes.
//! [`show_form`] draws what every form has around its own field grid:
//!
//! - the title, and the "restored" line with *Discard draft*;
//! - the cursor in the first field when the form opens, and tabbing into a
//!   field selects its text, so typing replaces it;
//! - a message beside each field (shown once the field holds text or a save
//!   was tried); Save is disabled while a message shows, and a save attempt
//!   shows every message and puts the cursor on the first field in error;
//! - *Reason for the change* when editing (required, one message);
//! - the store's refusal beside the form, with *Reload* after a conflict;
//! - Ctrl+S (or Enter in the last field) saves, Esc cancels, and Esc or
//!   Cancel ask first when anything was typed.
//!
//! A form file holds only its field grid and its domain draft type.

use std::collections::HashSet;

use eframe::egui::{self, Id, Key, Response, RichText, Ui};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::theme;
use super::widgets::{field_message, save_shortcut, select_all, select_all_on_focus};
use clinilog_domain::FieldError;
use clinilog_domain::validate::message_for;
use clinilog_store::DraftKey;

/// Field key of the reason an edit needs.
pub const REASON: &str = "reason";

/// The one message for a missing reason.
pub const REASON_REQUIRED: &str = "Reason for the change is required: say why it is changed";

/// What a form asks its screen to do this frame.
#[derive(Debug, PartialEq)]
pub enum FormOutcome<T> {
    Editing,
    Save(T),
    /// Close the form (nothing typed, or the user confirmed).
    Cancel,
    /// The kept draft was discarded; the form is blank again.
    DiscardDraft,
    /// The save met a newer version: load it again, keep the typing.
    Reload,
}

/// What is kept of a form in the file: what was typed, and the reason of an edit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormDraft<D> {
    pub draft: D,
    pub reason: String,
}

/// The words of a form that differ between forms.
pub struct FormText<'a> {
    pub title: String,
    /// The Save button's label.
    pub save: &'a str,
    /// What the form records, for "Discard what you typed in this ...?".
    pub noun: &'a str,
}

/// The bookkeeping every form shares, apart from its draft.
#[derive(Debug, Default)]
pub struct FormState {
    pub reason: String,
    pub errors: Vec<FieldError>,
    /// A save was tried: every message shows.
    pub attempted: bool,
    /// The store refused the last save (shown beside the form).
    pub store_error: Option<String>,
    /// The refusal was a newer version in the file: offer *Reload*.
    pub conflict: bool,
    /// Esc or Cancel with typing: asking before discarding it.
    pub confirm_cancel: bool,
    /// Local time of the kept draft this form was restored from.
    pub restored_from: Option<String>,
    /// The draft as last written to the file, to write only changes.
    saved_draft: Option<String>,
    /// The file was asked for this form's draft.
    draft_checked: bool,
    /// The field to put the cursor in when it is drawn next.
    focus: Option<String>,
    /// Fields drawn this frame, in the form's order.
    drawn: Vec<(String, Id)>,
    /// Every widget of the form last frame: it owns the keyboard when one has focus.
    last_ids: HashSet<Id>,
    ids: HashSet<Id>,
    /// Messages shown this frame.
    shown: usize,
    /// Enter was pressed in the form's last field.
    submit: bool,
    /// The form edits a stored record (a reason is required).
    editing: bool,
    /// The draft differs from how the form opened.
    draft_changed: bool,
    /// The field that had the cursor last (egui drops the focus on Esc).
    last_focused: Option<String>,
    /// The field that had the cursor when the form asked before discarding,
    /// to return to on *Keep editing*.
    return_to: Option<String>,
    /// Put the cursor on *Discard* when the question appears (Enter confirms, Esc keeps editing).
    focus_discard: bool,
}

/// A form: its draft as typed, the record it edits, extra state of its own
/// (`X`), and the shared [`FormState`].
pub struct Form<D, R, X = ()> {
    pub key: DraftKey,
    pub draft: D,
    /// The record being edited; its version guards the save.
    pub editing: Option<R>,
    pub extra: X,
    pub state: FormState,
    /// The draft as the form opened, to tell whether anything was typed.
    initial: D,
    first_field: String,
    /// What the errors were computed from.
    checked_for: Option<(D, String)>,
}

impl<D: Clone + PartialEq, R, X> Form<D, R, X> {
    /// A form opening with the cursor in `first_field`.
    pub fn new(key: DraftKey, draft: D, editing: Option<R>, extra: X, first_field: &str) -> Self {
        Self {
            key,
            initial: draft.clone(),
            draft,
            editing,
            extra,
            state: FormState {
                focus: Some(first_field.to_owned()),
                ..FormState::default()
            },
            first_field: first_field.to_owned(),
            checked_for: None,
        }
    }

    /// Whether anything was typed (or restored) that closing would lose.
    pub fn typed(&self) -> bool {
        self.draft != self.initial || !self.state.reason.trim().is_empty() || self.state.restored_from.is_some()
    }

    /// Whether the draft or reason changed since the last check; marks them checked.
    pub fn changed_since_check(&mut self) -> bool {
        // Compared in place each frame; copied only when it changed.
        if let Some((draft, reason)) = &self.checked_for
            && *draft == self.draft
            && *reason == self.state.reason
        {
            return false;
        }
        self.checked_for = Some((self.draft.clone(), self.state.reason.clone()));
        true
    }

    /// Blank again, as when it opened; the kept draft is gone.
    pub fn discard_typing(&mut self) {
        self.draft = self.initial.clone();
        self.state.reason.clear();
        self.state.restored_from = None;
        self.state.saved_draft = None;
        self.state.confirm_cancel = false;
        self.state.attempted = false;
        self.state.store_error = None;
        self.state.conflict = false;
        self.state.focus = Some(self.first_field.clone());
        self.checked_for = None;
    }

    /// The store refused the save: the message goes beside the form, the typing stays.
    pub fn refused(&mut self, message: String, conflict: bool) {
        self.state.store_error = Some(message);
        self.state.conflict = conflict;
    }

    /// After a reload: the typing stays, an edit now builds on the newest
    /// version of its record.
    pub fn rebase(&mut self, newest: Option<R>) {
        if let (Some(editing), Some(newest)) = (&mut self.editing, newest) {
            *editing = newest;
        }
        self.state.conflict = false;
        self.state.store_error = None;
    }
}

/// A form whose typing the shell keeps as a draft in the file.
pub trait KeptDraft {
    fn draft_key(&self) -> DraftKey;
    /// The draft to keep, or `None` when nothing was typed.
    fn draft_json(&self) -> Option<String>;
    /// Puts a kept draft back; `when` is its local time.
    fn restore(&mut self, json: &str, when: String);
    /// The draft as last written (or restored), to write only changes.
    fn saved_draft(&mut self) -> &mut Option<String>;
    /// Whether the file was already asked for this form's draft.
    fn draft_checked(&mut self) -> &mut bool;
}

impl<D, R, X> KeptDraft for Form<D, R, X>
where
    D: Clone + PartialEq + Serialize + DeserializeOwned,
{
    fn draft_key(&self) -> DraftKey {
        self.key
    }

    fn draft_json(&self) -> Option<String> {
        if !self.typed() {
            return None;
        }
        serde_json::to_string(&FormDraft {
            draft: &self.draft,
            reason: self.state.reason.clone(),
        })
        .ok()
    }

    fn restore(&mut self, json: &str, when: String) {
        if let Ok(kept) = serde_json::from_str::<FormDraft<D>>(json) {
            self.draft = kept.draft;
            self.state.reason = kept.reason;
            self.state.restored_from = Some(when);
            self.state.saved_draft = Some(json.to_owned());
            self.checked_for = None;
        }
    }

    fn saved_draft(&mut self) -> &mut Option<String> {
        &mut self.state.saved_draft
    }

    fn draft_checked(&mut self) -> &mut bool {
        &mut self.state.draft_checked
    }
}

/// Draws a form's fields: each registered under its key, so that messages,
/// the cursor and Enter-to-save work the same in every form.
pub struct Fields<'a> {
    state: &'a mut FormState,
}

impl Fields<'_> {
    /// A label and a single-line field tied to it: two grid cells.
    pub fn text(&mut self, ui: &mut Ui, key: &str, label: &str, value: &mut String, width: f32) -> Response {
        let label = ui.label(label);
        let r = ui
            .add(
                egui::TextEdit::singleline(value)
                    // Its id from its key: a row shown or hidden above it
                    // (matching terms, a message) never moves the cursor away.
                    .id_salt(("form_field", key))
                    .desired_width(width)
                    .min_size(egui::vec2(width, 0.0)),
            )
            .labelled_by(label.id);
        self.register(ui, key, &r, value)
    }

    /// Like [`Fields::text`] for a date: the field shows the format while empty.
    pub fn date(&mut self, ui: &mut Ui, key: &str, label: &str, value: &mut String) -> Response {
        let label = ui.label(label);
        let width = theme::DATE_FIELD_WIDTH;
        let r = ui
            .add(
                egui::TextEdit::singleline(value)
                    .id_salt(("form_field", key))
                    .hint_text("YYYY-MM-DD")
                    .desired_width(width)
                    .min_size(egui::vec2(width, 0.0)),
            )
            .labelled_by(label.id);
        self.register(ui, key, &r, value)
    }

    /// Registers a field drawn by the form itself under `key`; `text` is
    /// what it holds (selected when it gets the cursor).
    pub fn register(&mut self, ui: &Ui, key: &str, response: &Response, text: &str) -> Response {
        select_all_on_focus(ui, response, text);
        self.state.drawn.push((key.to_owned(), response.id));
        self.state.ids.insert(response.id);
        if self.state.focus.as_deref() == Some(key) {
            self.state.focus = None;
            ui.memory_mut(|m| m.request_focus(response.id));
            select_all(ui, response.id, text);
        }
        response.clone()
    }

    /// Puts the cursor in the field `key` when it is drawn next.
    pub fn focus(&mut self, key: &str) {
        self.state.focus = Some(key.to_owned());
    }

    /// The form's last field: Enter in it saves; its message beside it
    /// once a save was tried. Two grid cells, then the row ends.
    pub fn last_text(&mut self, ui: &mut Ui, key: &str, label: &str, value: &mut String, width: f32) {
        let r = self.text(ui, key, label, value, width);
        self.submit_on_enter(ui, &r);
        self.message(ui, key, false);
        ui.end_row();
    }

    /// *Reason for the change*, when the form edits a record: a row of the
    /// form's grid (its last; Enter saves). Once something is changed, a
    /// missing reason says so at once. Nothing when the form creates a record.
    pub fn reason_row(&mut self, ui: &mut Ui) {
        if !self.state.editing {
            return;
        }
        let mut reason = std::mem::take(&mut self.state.reason);
        let r = self.text(
            ui,
            REASON,
            "Reason for the change",
            &mut reason,
            theme::WIDE_FIELD_WIDTH,
        );
        self.state.reason = reason;
        self.submit_on_enter(ui, &r);
        let changed = self.state.draft_changed;
        self.message(ui, REASON, changed);
        ui.end_row();
    }

    /// Enter in this field saves the form (its last field).
    pub fn submit_on_enter(&mut self, ui: &Ui, response: &Response) {
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            self.state.submit = true;
        }
    }

    /// The message of `key`, if it is to show: once the field holds text
    /// (`typed`) or a save was tried.
    pub fn error(&self, key: &str, typed: bool) -> Option<String> {
        if self.state.attempted || typed {
            message_for(&self.state.errors, key).map(str::to_owned)
        } else {
            None
        }
    }

    /// Draws the message of `key` (or nothing); returns whether one shows.
    pub fn message(&mut self, ui: &mut Ui, key: &str, typed: bool) -> bool {
        let message = self.error(key, typed);
        self.show_message(ui, message.as_deref())
    }

    /// Draws a message that belongs to this form's fields.
    pub fn show_message(&mut self, ui: &mut Ui, message: Option<&str>) -> bool {
        field_message(ui, message);
        if message.is_some() {
            self.state.shown += 1;
        }
        message.is_some()
    }
}

/// Draws a form around its field grid and handles what every form shares.
///
/// `check` turns the draft into what is saved, or the field errors; it runs
/// when the draft or reason changed (and once more on a save attempt), not
/// every frame. `fields` draws the form's own grid with [`Fields`].
pub fn show_form<D, R, X, T>(
    ui: &mut Ui,
    form: &mut Form<D, R, X>,
    text: &FormText<'_>,
    mut check: impl FnMut(&D, &mut X) -> Result<T, Vec<FieldError>>,
    fields: impl FnOnce(&mut Ui, &mut Fields<'_>, &mut D, &mut X),
) -> FormOutcome<T>
where
    D: Clone + PartialEq,
{
    let editing = form.editing.is_some();
    let focused_before = ui.memory(|m| m.focused());
    let owns_keyboard = match focused_before {
        Some(id) => form.state.last_ids.contains(&id),
        None => true,
    };
    form.state.drawn.clear();
    form.state.ids.clear();
    form.state.shown = 0;
    form.state.submit = false;

    let mut outcome = FormOutcome::Editing;
    ui.label(RichText::new(&text.title).strong().size(16.0));
    if let Some(when) = &form.state.restored_from {
        let mut discard = false;
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Restored what was typed on {when} and not saved.")).color(theme::WARN));
            discard = ui.button("Discard draft").clicked();
        });
        if discard {
            form.discard_typing();
            outcome = FormOutcome::DiscardDraft;
        }
    }

    if form.changed_since_check() {
        let mut errors = check(&form.draft, &mut form.extra).err().unwrap_or_default();
        if editing && form.state.reason.trim().is_empty() {
            errors.push(FieldError::new(REASON, REASON_REQUIRED));
        }
        form.state.errors = errors;
    }

    form.state.editing = editing;
    form.state.draft_changed = form.draft != form.initial;
    {
        let mut f = Fields { state: &mut form.state };
        fields(ui, &mut f, &mut form.draft, &mut form.extra);
    }

    // A form that did not put the reason in its own grid gets it here.
    if editing && !form.state.drawn.iter().any(|(k, _)| k == REASON) {
        egui::Grid::new((text.title.as_str(), "reason"))
            .num_columns(3)
            .spacing([8.0, 6.0])
            .show(ui, |ui| Fields { state: &mut form.state }.reason_row(ui));
    }

    // Messages of fields not drawn (a whole-form message, or a closed panel).
    if form.state.attempted {
        let drawn: HashSet<&str> = form.state.drawn.iter().map(|(k, _)| k.as_str()).collect();
        let hidden: Vec<String> = form
            .state
            .errors
            .iter()
            .filter(|e| !drawn.contains(e.field.as_str()))
            .map(|e| e.message.clone())
            .collect();
        for m in hidden {
            field_message(ui, Some(&m));
            form.state.shown += 1;
        }
    }

    if let Some(e) = &form.state.store_error {
        let mut reload = false;
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Not saved: {e}")).color(theme::ERROR));
            if form.state.conflict {
                reload = ui.button("Reload").clicked();
            }
        });
        if reload {
            outcome = FormOutcome::Reload;
        }
    }

    let shortcut = owns_keyboard && save_shortcut(ui);
    let escape = owns_keyboard && ui.input(|i| i.key_pressed(Key::Escape));
    let asking = form.state.confirm_cancel;
    if asking {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Discard what you typed in this {}?", text.noun)).color(theme::WARN));
            let discard = ui.button("Discard");
            let keep = ui.button("Keep editing");
            form.state.ids.extend([discard.id, keep.id]);
            if std::mem::take(&mut form.state.focus_discard) {
                discard.request_focus();
            }
            if discard.clicked() {
                outcome = FormOutcome::Cancel;
            }
            if keep.clicked() || escape {
                form.state.confirm_cancel = false;
                form.state.focus = form.state.return_to.take();
            }
        });
    }
    ui.horizontal(|ui| {
        let blocked = form.state.shown > 0 && !form.state.errors.is_empty();
        let save = ui
            .add_enabled(!blocked, egui::Button::new(text.save))
            .on_hover_text("Ctrl+S")
            .on_disabled_hover_text("Correct the fields marked in red first");
        let cancel = ui.button("Cancel").on_hover_text("Esc");
        form.state.ids.extend([save.id, cancel.id]);
        if save.clicked() || shortcut || form.state.submit {
            form.state.attempted = true;
            let result = check(&form.draft, &mut form.extra);
            let reason_missing = editing && form.state.reason.trim().is_empty();
            match result {
                Ok(data) if !reason_missing => outcome = FormOutcome::Save(data),
                result => {
                    let mut errors = result.err().unwrap_or_default();
                    if reason_missing {
                        errors.push(FieldError::new(REASON, REASON_REQUIRED));
                    }
                    // The cursor goes to the first field in error, in the form's order.
                    form.state.focus = form
                        .state
                        .drawn
                        .iter()
                        .find(|(k, _)| errors.iter().any(|e| &e.field == k))
                        .map(|(k, _)| k.clone());
                    form.state.errors = errors;
                }
            }
        }
        if cancel.clicked() || (escape && !asking && matches!(outcome, FormOutcome::Editing)) {
            if form.typed() {
                form.state.confirm_cancel = true;
                form.state.focus_discard = true;
                form.state.return_to = form.state.last_focused.clone();
            } else {
                outcome = FormOutcome::Cancel;
            }
        }
    });
    if form.state.attempted && !form.state.errors.is_empty() {
        ui.label(
            RichText::new(format!(
                "Not saved: {} field(s) need attention; the messages are beside them.",
                form.state.errors.len()
            ))
            .color(theme::ERROR),
        );
    }
    let focused_now = ui.memory(|m| m.focused());
    if let Some((key, _)) = form.state.drawn.iter().find(|(_, id)| Some(*id) == focused_now) {
        form.state.last_focused = Some(key.clone());
    }
    let drawn_ids = form.state.drawn.iter().map(|(_, id)| *id).collect::<Vec<_>>();
    form.state.ids.extend(drawn_ids);
    form.state.last_ids = std::mem::take(&mut form.state.ids);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Draft {
        name: String,
    }

    fn form() -> Form<Draft, ()> {
        Form::new(DraftKey::NewPatient, Draft::default(), None, (), "name")
    }

    #[test]
    fn nothing_typed_keeps_no_draft() {
        let f = form();
        assert!(!f.typed());
        assert_eq!(f.draft_json(), None);
    }

    #[test]
    fn a_kept_draft_comes_back_with_its_reason_and_counts_as_typed() {
        let mut f = form();
        f.draft.name = "Ana".into();
        f.state.reason = "typo".into();
        let json = f.draft_json().unwrap();
        let mut g = form();
        g.restore(&json, "2025-08-19 10:00".into());
        assert_eq!((g.draft.name.as_str(), g.state.reason.as_str()), ("Ana", "typo"));
        assert!(g.typed());
        g.discard_typing();
        assert!(!g.typed());
        assert_eq!(g.draft, Draft::default());
    }

    #[test]
    fn the_check_reruns_only_after_a_change() {
        let mut f = form();
        assert!(f.changed_since_check());
        assert!(!f.changed_since_check());
        f.draft.name = "A".into();
        assert!(f.changed_since_check());
        f.state.reason = "r".into();
        assert!(f.changed_since_check());
    }

    #[test]
    fn a_refusal_keeps_the_typing_and_a_rebase_clears_it() {
        let mut f: Form<Draft, i64> = Form::new(DraftKey::EditPatient(1), Draft::default(), Some(1), (), "name");
        f.draft.name = "typed".into();
        f.refused("changed by X".into(), true);
        assert_eq!(f.draft.name, "typed");
        assert!(f.state.conflict);
        f.rebase(Some(2));
        assert_eq!(
            (f.editing, f.state.conflict, f.state.store_error.clone()),
            (Some(2), false, None)
        );
        assert_eq!(f.draft.name, "typed");
    }
}
