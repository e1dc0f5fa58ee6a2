//! The patient's Adverse events tab: the CTCAE form (term picked from what
//! is typed, grade, onset and resolution, seriousness, relation to a cycle,
//! action, outcome), its list with voids, and the records of "no adverse
//! events since the last visit".

use super::*;

/// A blank adverse-event form, the cycle prefilled with the latest before today.
pub(super) fn new_adverse_form(cx: &FollowCx<'_>) -> AdverseForm {
    let cycles = treatment_dates(cx.treatments);
    let cycle = adverse::cycle_before(cx.today, cycles.iter().copied());
    let draft = AdverseEventDraft::blank(cx.today, cycle, cx.clinician);
    let extra = AdverseExtra {
        warnings: Vec::new(),
        cycle_filled: Some(draft.cycle.clone()),
        cycles,
    };
    Form::new(
        DraftKey::NewAdverseEvent { patient: cx.patient.id },
        draft,
        None,
        extra,
        adverse::field::TERM,
    )
}

pub(super) fn combo<T: Copy + PartialEq>(
    ui: &mut Ui,
    id: &str,
    label: &str,
    value: &mut T,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> egui::Response {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(id)
        .selected_text(name(*value))
        .width(220.0)
        .show_ui(ui, |ui| {
            for v in all {
                ui.selectable_value(value, *v, name(*v));
            }
        })
        .response
        .labelled_by(l.id)
}

/// The *Adverse events* tab.
pub fn adverse_ui(ui: &mut Ui, st: &mut FollowUpState, cx: &FollowCx<'_>) -> Option<Action> {
    let mut action = None;
    if let Some(f) = &mut st.adverse_form {
        let birth = cx.patient.data.birth_date;
        let today = cx.today;
        let first_treatment = cx.treatments.first().map(|t| t.data.date);
        let editing = f.editing.is_some();
        let text = FormText {
            title: if editing {
                "Edit adverse event"
            } else {
                "Record an adverse event"
            }
            .to_owned(),
            save: if editing { "Save changes" } else { "Save adverse event" },
            noun: "adverse event",
        };
        let outcome = show_form(
            ui,
            f,
            &text,
            |d, extra: &mut AdverseExtra| {
                let checked = d.validate(birth, today);
                extra.warnings = match &checked {
                    Ok(data) => adverse::warnings(data, first_treatment),
                    Err(_) => Vec::new(),
                };
                checked
            },
            adverse_fields,
        );
        match outcome {
            FormOutcome::Save(data) => {
                action = Some(Action::Write(match &f.editing {
                    Some(event) => Write::EditAdverseEvent {
                        event: Box::new(event.clone()),
                        data,
                        reason: f.state.reason.trim().to_owned(),
                    },
                    None => Write::AddAdverseEvent {
                        patient_id: cx.patient.id,
                        data,
                    },
                }))
            }
            FormOutcome::Cancel => {
                action = Some(Action::DiscardDraft(f.key));
                st.adverse_form = None;
            }
            FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(f.key)),
            FormOutcome::Reload => action = Some(Action::ReloadPatient),
            FormOutcome::Editing => {}
        }
        ui.separator();
    } else {
        ui.horizontal(|ui| {
            if write_button(ui, cx.read_only, egui::Button::new("Record adverse event")).clicked() {
                st.adverse_form = Some(new_adverse_form(cx));
            }
            ui.separator();
            if st.none_on.is_empty() {
                st.none_on = cx.today.to_string();
            }
            let label = ui.label("No adverse events since the last visit, as of");
            ui.add(
                egui::TextEdit::singleline(&mut st.none_on)
                    .hint_text("YYYY-MM-DD")
                    .desired_width(theme::DATE_FIELD_WIDTH),
            )
            .labelled_by(label.id);
            if write_button(ui, cx.read_only, egui::Button::new("Record none")).clicked() {
                match parse_iso_date(st.none_on.trim()) {
                    Some(d) if d > cx.today => st.none_error = Some(format!("As of: {d} is in the future")),
                    Some(d) if d < cx.patient.data.birth_date => {
                        st.none_error = Some(format!("As of: {d} is before the patient's birth date"))
                    }
                    Some(on) => {
                        st.none_error = None;
                        action = Some(Action::Write(Write::RecordNoAdverseEvents {
                            patient_id: cx.patient.id,
                            data: NoEventsData {
                                on,
                                note: String::new(),
                                recorded_by: cx.clinician.to_owned(),
                            },
                        }));
                    }
                    None => {
                        st.none_error = Some(format!(
                            "As of: \"{}\" is not a date: enter it as YYYY-MM-DD",
                            st.none_on.trim()
                        ))
                    }
                }
            }
        });
        field_message(ui, st.none_error.as_deref());
    }
    if let Some(v) = &mut st.adverse_void
        && let Some(event) = st.data.adverse.iter().find(|e| e.id == v.id)
    {
        let mut close = false;
        let question = format!("Void {} of {}?", event.data.headline(), event.data.onset);
        if let Some(reason) = v.ask(
            ui,
            &question,
            "Reason for voiding",
            "Void adverse event",
            "Not voided",
            &mut close,
        ) {
            action = Some(Action::Write(Write::VoidAdverseEvent {
                event: Box::new(event.clone()),
                reason,
            }));
        }
        if close {
            st.adverse_void = None;
        }
    }
    if st.data.adverse.is_empty() && st.data.none.is_empty() {
        empty_state(
            ui,
            "No adverse events recorded, and no visit says there were none.",
            "Record each event with its CTCAE term and grade, or record that there were none since the last visit.",
        );
        return action;
    }
    if st.data.adverse.is_empty() {
        ui.label("No adverse events recorded.");
    } else {
        let mut edit = None;
        TableBuilder::new(ui)
            .id_salt("adverse_table")
            .striped(true)
            .vscroll(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(80.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(220.0).clip(true))
            .column(Column::auto().at_least(150.0))
            .column(Column::auto().at_least(60.0))
            .column(Column::auto().at_least(80.0))
            .column(Column::auto().at_least(50.0))
            .column(Column::auto().at_least(170.0))
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(22.0, |mut h| {
                for t in [
                    "", "Onset", "Term", "Grade", "Serious", "Relation", "Cycle", "Action", "Outcome",
                ] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|mut body| {
                for e in &st.data.adverse {
                    let d = &e.data;
                    body.row(22.0, |mut row| {
                        row.col(|ui| {
                            if write_button(ui, cx.read_only, egui::Button::new("Edit").small()).clicked() {
                                edit = Some(e.clone());
                            }
                            if write_button(ui, cx.read_only, egui::Button::new("Void").small()).clicked() {
                                st.adverse_void = Some(Void::new(e.id));
                            }
                        });
                        row.col(|ui| {
                            ui.label(d.onset.to_string());
                        });
                        row.col(|ui| {
                            ui.label(&d.term)
                                .on_hover_text(if d.note.is_empty() { &d.term } else { &d.note });
                        });
                        row.col(|ui| {
                            ui.label(RichText::new(format!("{} ({})", d.grade, grade_meaning(d.grade))).strong());
                        });
                        row.col(|ui| {
                            ui.label(if d.serious { "yes" } else { "no" });
                        });
                        row.col(|ui| {
                            ui.label(d.relation.label());
                        });
                        row.col(|ui| {
                            ui.label(d.cycle.map_or(String::new(), |c| format!("C{c}")));
                        });
                        row.col(|ui| {
                            ui.label(d.action.label());
                        });
                        row.col(|ui| {
                            ui.label(match d.resolved_on {
                                Some(r) => format!("{} on {r}", d.outcome.label()),
                                None => d.outcome.label().to_owned(),
                            });
                        });
                    });
                }
            });
        if let Some(e) = edit {
            st.adverse_form = Some(Form::new(
                DraftKey::EditAdverseEvent(e.id),
                AdverseEventDraft::from_data(&e.data),
                Some(e),
                AdverseExtra::default(),
                adverse::field::TERM,
            ));
        }
    }
    if !st.data.none.is_empty() {
        ui.add_space(theme::SECTION_GAP);
        ui.strong("Visits with no adverse events since the previous one");
        for n in &st.data.none {
            let note = if n.data.note.is_empty() {
                String::new()
            } else {
                format!(": {}", n.data.note)
            };
            ui.label(format!("{} (recorded by {}){note}", n.data.on, n.data.recorded_by));
        }
    }
    action
}

/// The adverse-event form's grid.
pub(super) fn adverse_fields(
    ui: &mut Ui,
    f: &mut crate::form::Fields<'_>,
    d: &mut AdverseEventDraft,
    extra: &mut AdverseExtra,
) {
    use adverse::field;
    let warn = |ui: &mut Ui, key: &str, extra: &AdverseExtra| {
        for (_, w) in extra.warnings.iter().filter(|(k, _)| *k == key) {
            ui.label(RichText::new(w).color(theme::WARN));
        }
    };
    // The cycle follows the onset until the user types a cycle of their own.
    if extra.cycle_filled.as_deref() == Some(d.cycle.as_str())
        && let Some(onset) = parse_iso_date(d.onset.trim())
    {
        let follows =
            adverse::cycle_before(onset, extra.cycles.iter().copied()).map_or(String::new(), |c| c.to_string());
        if follows != d.cycle {
            d.cycle = follows.clone();
            extra.cycle_filled = Some(follows);
        }
    }
    egui::Grid::new("adverse_form")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            f.text(ui, field::TERM, "Term (CTCAE v5)", &mut d.term, theme::WIDE_FIELD_WIDTH);
            ui.horizontal(|ui| {
                muted(ui, "a common CTCAE term, or your own words");
                f.message(ui, field::TERM, !d.term.trim().is_empty());
            });
            ui.end_row();
            // Matching terms under the field while it has the cursor.
            // The matching terms stay listed while the text is not a listed
            // term, whatever has the cursor: a list that vanished when Term
            // lost the cursor took the Tab's target with it (the cursor left
            // the form). Tab reaches them from Term; choosing one puts the
            // cursor in Grade.
            let typed = d.term.trim().to_owned();
            let exact = adverse::ctcae_terms().any(|t| t.eq_ignore_ascii_case(&typed));
            if !typed.is_empty() && !exact {
                let found = matching_terms(&typed, 5);
                if !found.is_empty() {
                    muted(ui, "CTCAE terms");
                    // One under the other: a wrapped row in a grid cell
                    // would overlap the next row.
                    ui.vertical(|ui| {
                        for t in found {
                            if ui.small_button(t).on_hover_text("Use this CTCAE term").clicked() {
                                d.term = t.to_owned();
                                f.focus(field::GRADE);
                            }
                        }
                    });
                    ui.end_row();
                }
            }
            f.text(ui, field::GRADE, "Grade", &mut d.grade, theme::FORM_FIELD_WIDTH * 0.6);
            ui.horizontal(|ui| {
                let meaning = d.grade.trim().parse::<u8>().ok().filter(|g| (1..=5).contains(g));
                muted(
                    ui,
                    match meaning {
                        Some(g) => format!("{g} = {}", grade_meaning(g)),
                        None => "1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death".to_owned(),
                    },
                );
                f.message(ui, field::GRADE, !d.grade.trim().is_empty());
                warn(ui, field::GRADE, extra);
            });
            ui.end_row();
            f.date(ui, field::ONSET, "Onset", &mut d.onset);
            ui.horizontal(|ui| {
                f.message(ui, field::ONSET, !d.onset.trim().is_empty());
                warn(ui, field::ONSET, extra);
            });
            ui.end_row();
            f.date(ui, field::RESOLVED_ON, "Resolved on", &mut d.resolved_on);
            ui.horizontal(|ui| {
                muted(ui, "empty while it lasts");
                f.message(ui, field::RESOLVED_ON, !d.resolved_on.trim().is_empty());
            });
            ui.end_row();
            ui.label("Serious");
            let r = ui.checkbox(&mut d.serious, "Serious adverse event (SAE)");
            f.register(ui, field::SERIOUS, &r, "");
            warn(ui, field::SERIOUS, extra);
            ui.end_row();
            let l = ui.label("Relation to treatment");
            let r = egui::ComboBox::from_id_salt("ae_relation")
                .selected_text(d.relation.map_or("Choose...", Relation::label))
                .width(220.0)
                .show_ui(ui, |ui| {
                    for v in Relation::ALL {
                        ui.selectable_value(&mut d.relation, Some(*v), v.label());
                    }
                })
                .response
                .labelled_by(l.id);
            f.register(ui, field::RELATION, &r, "");
            f.message(ui, field::RELATION, false);
            ui.end_row();
            f.text(
                ui,
                field::CYCLE,
                "After cycle",
                &mut d.cycle,
                theme::FORM_FIELD_WIDTH * 0.6,
            );
            ui.horizontal(|ui| {
                muted(ui, "the cycle it followed (empty if none)");
                f.message(ui, field::CYCLE, !d.cycle.trim().is_empty());
            });
            ui.end_row();
            let r = combo(
                ui,
                "ae_action",
                "Action taken",
                &mut d.action,
                ActionTaken::ALL,
                ActionTaken::label,
            );
            f.register(ui, field::ACTION, &r, "");
            ui.label("");
            ui.end_row();
            let r = combo(
                ui,
                "ae_outcome",
                "Outcome",
                &mut d.outcome,
                Outcome::ALL,
                Outcome::label,
            );
            f.register(ui, field::OUTCOME, &r, "");
            ui.horizontal(|ui| {
                f.message(ui, field::OUTCOME, true);
                warn(ui, field::OUTCOME, extra);
            });
            ui.end_row();
            f.text(ui, field::NOTE, "Note", &mut d.note, theme::WIDE_FIELD_WIDTH);
            ui.label("");
            ui.end_row();
            f.last_text(
                ui,
                field::RECORDED_BY,
                "Recorded by",
                &mut d.recorded_by,
                theme::WIDE_FIELD_WIDTH,
            );
            f.reason_row(ui);
        });
}
