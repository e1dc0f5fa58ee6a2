//! `clinilog score` and `clinilog scores`: the score calculator and every
//! score of a patient's entries, on the command line.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::domain::Catalog;
use crate::domain::score_inputs::{CalculatorDraft, all_entry_scores};
use crate::domain::scores::{Ascites, Encephalopathy, ScoreError, ScoreInputs, ScoreKind, ScoreResult, compute};
use crate::interop::csv::write_table;

/// The names `clinilog score` accepts: the domain's own.
fn score_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(ScoreKind::ALL.map(ScoreKind::cli_name))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SexArg {
    Male,
    Female,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AscitesArg {
    None,
    Mild,
    ModerateSevere,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EncephalopathyArg {
    None,
    #[value(name = "grade1-2")]
    Grade1To2,
    #[value(name = "grade3-4")]
    Grade3To4,
}

/// Inputs of `clinilog score`. Numbers accept a decimal point or comma.
#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Which score.
    #[arg(value_parser = score_names())]
    pub name: String,
    /// Total bilirubin, mg/dL (umol/L with --si).
    #[arg(long, value_name = "X")]
    pub bilirubin: Option<String>,
    /// INR.
    #[arg(long, value_name = "X")]
    pub inr: Option<String>,
    /// Creatinine, mg/dL (umol/L with --si).
    #[arg(long, value_name = "X")]
    pub creatinine: Option<String>,
    /// Sodium, mmol/L.
    #[arg(long, value_name = "X")]
    pub sodium: Option<String>,
    /// Albumin, g/dL (g/L with --si).
    #[arg(long, value_name = "X")]
    pub albumin: Option<String>,
    /// Bilirubin and creatinine are in umol/L and albumin in g/L.
    #[arg(long)]
    pub si: bool,
    /// Dialysis twice in the past 7 days, or 24 h of CVVHD.
    #[arg(long)]
    pub dialysis: bool,
    /// Sex (MELD 3.0).
    #[arg(long, value_enum)]
    pub sex: Option<SexArg>,
    /// Age in years (FIB-4).
    #[arg(long, value_name = "YEARS")]
    pub age: Option<String>,
    /// AST, U/L.
    #[arg(long, value_name = "X")]
    pub ast: Option<String>,
    /// ALT, U/L.
    #[arg(long, value_name = "X")]
    pub alt: Option<String>,
    /// Upper limit of normal for AST, U/L (APRI).
    #[arg(long, value_name = "X")]
    pub ast_uln: Option<String>,
    /// Platelets, 10^9/L.
    #[arg(long, value_name = "X")]
    pub platelets: Option<String>,
    /// Ascites (Child-Pugh).
    #[arg(long, value_enum)]
    pub ascites: Option<AscitesArg>,
    /// Hepatic encephalopathy (Child-Pugh).
    #[arg(long, value_enum)]
    pub encephalopathy: Option<EncephalopathyArg>,
    /// Print one JSON object instead of a line.
    #[arg(long)]
    pub json: bool,
}

impl ScoreArgs {
    fn inputs(&self, catalog: &Catalog) -> Result<ScoreInputs> {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let draft = CalculatorDraft {
            bilirubin: text(&self.bilirubin),
            inr: text(&self.inr),
            creatinine: text(&self.creatinine),
            sodium: text(&self.sodium),
            albumin: text(&self.albumin),
            si: self.si,
            dialysis: self.dialysis,
            female: self.sex.map(|s| matches!(s, SexArg::Female)),
            age: text(&self.age),
            ast: text(&self.ast),
            alt: text(&self.alt),
            ast_uln: text(&self.ast_uln),
            platelets: text(&self.platelets),
            ascites: self.ascites.map(|a| match a {
                AscitesArg::None => Ascites::None,
                AscitesArg::Mild => Ascites::Mild,
                AscitesArg::ModerateSevere => Ascites::ModerateSevere,
            }),
            encephalopathy: self.encephalopathy.map(|e| match e {
                EncephalopathyArg::None => Encephalopathy::None,
                EncephalopathyArg::Grade1To2 => Encephalopathy::Grade1To2,
                EncephalopathyArg::Grade3To4 => Encephalopathy::Grade3To4,
            }),
        };
        draft.inputs(catalog).map_err(|errors| {
            let first = &errors[0];
            anyhow::anyhow!("--{}: {}", first.field.replace('_', "-"), first.message)
        })
    }
}

/// The reported value as JSON: a whole number for the MELD family and
/// Child-Pugh, else the number.
fn json_value(r: &ScoreResult) -> serde_json::Value {
    match r.kind {
        ScoreKind::Meld | ScoreKind::MeldNa | ScoreKind::Meld3 | ScoreKind::ChildPugh => {
            json!(r.value as i64)
        }
        _ => json!(r.value),
    }
}

pub fn result_json(r: &ScoreResult) -> serde_json::Value {
    json!({
        "score": r.kind.cli_name(),
        "value": json_value(r),
        "unrounded": r.unrounded,
        "class": r.class,
        "version": r.version,
        "terms": r.terms,
    })
}

fn explain(e: ScoreError) -> anyhow::Error {
    match e {
        ScoreError::Missing { score, missing } => {
            let named: Vec<String> = missing
                .iter()
                .map(|m| format!("{} ({})", m.label(), m.cli_option()))
                .collect();
            anyhow::anyhow!("{score} not computed: missing {}", named.join(", "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

pub fn run_score(args: &ScoreArgs, catalog: &Catalog, out: &mut dyn Write) -> Result<()> {
    let kind = ScoreKind::from_cli_name(&args.name).with_context(|| format!("no score named {}", args.name))?;
    let inputs = args.inputs(catalog)?;
    let result = compute(kind, &inputs).map_err(explain)?;
    if args.json {
        writeln!(out, "{}", result_json(&result))?;
    } else {
        writeln!(
            out,
            "{} = {} (unrounded {:.3}; {})",
            result.kind.label(),
            result.display(),
            result.unrounded,
            result.version
        )?;
    }
    Ok(())
}

pub fn run_scores(
    db: &Path,
    mrn: &str,
    csv_out: bool,
    carry_days: i64,
    catalog: &Catalog,
    out: &mut dyn Write,
) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let patient = store
        .patient_by_mrn(mrn)?
        .with_context(|| format!("no patient with MRN \"{mrn}\" in {}", db.display()))?;
    let mut entries = store.entries(patient.id)?;
    entries.reverse();
    for e in &mut entries {
        e.data.mark_flags(catalog, patient.data.sex);
    }
    let all = all_entry_scores(&entries, &patient, catalog, carry_days);
    if csv_out {
        let mut rows = Vec::new();
        for s in &all {
            let carried: Vec<String> = s
                .carried()
                .iter()
                .map(|u| format!("{} {} ({})", u.name, u.value, u.source.describe()))
                .collect();
            for (kind, result) in &s.results {
                let (value, unrounded, class, why) = match result {
                    Ok(r) => (
                        json_value(r).to_string(),
                        format!("{}", r.unrounded),
                        r.class.clone().unwrap_or_default(),
                        String::new(),
                    ),
                    Err(e) => (String::new(), String::new(), String::new(), e.to_string()),
                };
                rows.push(vec![
                    mrn.to_owned(),
                    s.date.to_string(),
                    s.entry_id.to_string(),
                    kind.cli_name().to_owned(),
                    value,
                    unrounded,
                    class,
                    why,
                    carried.join("; "),
                ]);
            }
        }
        write_table(
            out,
            &[
                "mrn",
                "date",
                "entry_id",
                "score",
                "value",
                "unrounded",
                "class",
                "not_computed",
                "carried",
            ],
            rows,
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{} ({}), carry window {carry_days} days",
        patient.data.name, patient.data.mrn
    )?;
    for s in &all {
        let cells: Vec<String> = s
            .results
            .iter()
            .map(|(k, r)| match r {
                Ok(r) => format!("{} {}", k.label(), r.display()),
                Err(_) => format!("{} -", k.label()),
            })
            .collect();
        writeln!(out, "{}  {}", s.date, cells.join("  "))?;
        for u in s.carried() {
            writeln!(out, "            {} {} {}", u.name, u.value, u.source.describe())?;
        }
    }
    Ok(())
}
