//! Tools > Score calculator: type values, see every score that can be
//! computed, with the same breakdown as an entry's scores.

use eframe::egui::{self, RichText, Ui};

use super::theme;
use super::widgets::{field_message, first_field_focus, labelled_text, muted, score_terms_ui};
use clinilog_domain::Catalog;
use clinilog_domain::score_inputs::CalculatorDraft;
use clinilog_domain::scores::{Ascites, Encephalopathy, ScoreKind, compute};
use clinilog_domain::validate::message_for;

#[derive(Default)]
pub struct Calculator {
    pub open: bool,
    pub draft: CalculatorDraft,
}

pub fn calculator_window(ctx: &egui::Context, calc: &mut Calculator, catalog: &Catalog) {
    let mut open = calc.open;
    egui::Window::new("Score calculator")
        .open(&mut open)
        .default_pos(theme::CALCULATOR_POS)
        .default_width(720.0)
        // Within the screen below its corner: it scrolls on a small one.
        .default_height(700.0_f32.min(ctx.content_rect().height() - theme::CALCULATOR_POS.y - 40.0))
        .vscroll(true)
        .show(ctx, |ui| calculator_ui(ui, &mut calc.draft, catalog));
    calc.open = open;
}

fn calculator_ui(ui: &mut Ui, d: &mut CalculatorDraft, catalog: &Catalog) {
    let errors = d.inputs(catalog).err().unwrap_or_default();
    let (bili_unit, cr_unit, alb_unit) = if d.si {
        ("umol/L", "umol/L", "g/L")
    } else {
        ("mg/dL", "mg/dL", "g/dL")
    };
    egui::Grid::new("calculator_inputs")
        .num_columns(3)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let field = |ui: &mut Ui, label: &str, key: &str, text: &mut String, unit: &str| {
                let r = labelled_text(ui, label, text, theme::FORM_FIELD_WIDTH);
                if key == "bilirubin" {
                    first_field_focus(ui, &r);
                }
                ui.horizontal(|ui| {
                    muted(ui, unit);
                    field_message(ui, message_for(&errors, key));
                });
                ui.end_row();
            };
            field(ui, "Bilirubin (total)", "bilirubin", &mut d.bilirubin, bili_unit);
            field(ui, "INR", "inr", &mut d.inr, "ratio");
            field(ui, "Creatinine", "creatinine", &mut d.creatinine, cr_unit);
            field(ui, "Sodium", "sodium", &mut d.sodium, "mmol/L");
            field(ui, "Albumin", "albumin", &mut d.albumin, alb_unit);
            field(ui, "AST", "ast", &mut d.ast, "U/L");
            field(ui, "ALT", "alt", &mut d.alt, "U/L");
            field(ui, "AST upper limit of normal", "ast_uln", &mut d.ast_uln, "U/L");
            field(ui, "Platelets", "platelets", &mut d.platelets, "10^9/L");
            field(ui, "Age", "age", &mut d.age, "years");
        });
    ui.checkbox(
        &mut d.si,
        "SI units: bilirubin and creatinine in umol/L, albumin in g/L",
    );
    ui.checkbox(&mut d.dialysis, "Dialysis twice in the past 7 days, or 24 h of CVVHD");
    ui.horizontal(|ui| {
        let label = ui.label("Sex");
        egui::ComboBox::from_id_salt("calculator_sex")
            .selected_text(match d.female {
                Some(true) => "female",
                Some(false) => "male",
                None => "not given",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut d.female, None, "not given");
                ui.selectable_value(&mut d.female, Some(true), "female");
                ui.selectable_value(&mut d.female, Some(false), "male");
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Ascites");
        egui::ComboBox::from_id_salt("calculator_ascites")
            .selected_text(d.ascites.map_or("not given", Ascites::label))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut d.ascites, None, "not given");
                for a in [Ascites::None, Ascites::Mild, Ascites::ModerateSevere] {
                    ui.selectable_value(&mut d.ascites, Some(a), a.label());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Encephalopathy");
        egui::ComboBox::from_id_salt("calculator_enceph")
            .selected_text(d.encephalopathy.map_or("not given", Encephalopathy::label))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut d.encephalopathy, None, "not given");
                for e in [
                    Encephalopathy::None,
                    Encephalopathy::Grade1To2,
                    Encephalopathy::Grade3To4,
                ] {
                    ui.selectable_value(&mut d.encephalopathy, Some(e), e.label());
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.separator();
    let Ok(inputs) = d.inputs(catalog) else {
        ui.label(RichText::new("Correct the fields marked above.").color(theme::ERROR));
        return;
    };
    for kind in ScoreKind::ALL {
        match compute(kind, &inputs) {
            Ok(r) => {
                egui::CollapsingHeader::new(RichText::new(format!("{} {}", kind.label(), r.display())).strong())
                    .id_salt(("calculator_result", kind.cli_name()))
                    .show(ui, |ui| {
                        score_terms_ui(ui, &r, "calculator_terms");
                    });
            }
            Err(e) => {
                muted(ui, e.to_string());
            }
        }
    }
}
