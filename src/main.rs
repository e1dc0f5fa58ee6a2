//! The `clinilog` command: with no subcommand it opens the window; the
//! subcommands run headless jobs (write the demo patient, export CSV).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod score_cmd;

use clinilog::demo::{DemoOutcome, write_busy_demo, write_demo};
use clinilog::domain::Catalog;
use clinilog::domain::score_inputs::DEFAULT_CARRY_DAYS;
use clinilog::interop::csv_export;
use clinilog::store::Store;

/// Clinilog: a clinic-side patient monitoring log.
///
/// Record weekly lab results (as printed by the lab), symptom ratings and
/// treatment cycles for each patient in one local SQLite file, and read them
/// back as tables and trend plots.
///
/// With no subcommand, opens the window on the default database in your
/// per-user data folder (created on first run), or on --db PATH.
#[derive(Parser, Debug)]
#[command(name = "clinilog", version, about, long_about)]
struct Cli {
    /// Open the window on this database file (created if it does not exist).
    #[arg(long, value_name = "PATH", conflicts_with = "demo")]
    db: Option<PathBuf>,

    /// Open the window on a fresh demo database in a temporary folder
    /// (removed when the window closes).
    #[arg(long)]
    demo: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the demo patient (a published cirrhosis case report) into a
    /// database and exit. Running it again adds nothing.
    Demo {
        /// The database file (created if it does not exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Also write a generated patient followed weekly for five years
        /// (260 entries, 15 lab measures): to try a busy record. Not clinical data.
        #[arg(long)]
        busy: bool,
    },
    /// Compute one liver score from values given as options (see --help).
    ///
    /// Units: bilirubin and creatinine mg/dL, albumin g/dL, sodium mmol/L,
    /// AST/ALT U/L, platelets 10^9/L; --si for umol/L and g/L.
    Score(score_cmd::ScoreArgs),
    /// Every score for every entry date of one patient.
    Scores {
        /// The database file (must exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The patient, by MRN.
        #[arg(long, value_name = "MRN")]
        patient: String,
        /// CSV instead of a readable table.
        #[arg(long)]
        csv: bool,
        /// How many days a missing value may be carried from an earlier entry.
        #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_CARRY_DAYS)]
        carry_days: i64,
    },
    /// Export observations as CSV: one row per observation, values as printed.
    ///
    /// Columns: mrn,date,measure_code,measure_name,loinc,value,comparator,
    /// unit,reference_low,reference_high,flag,entry_id.
    Export {
        /// The database file (must exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Only this patient (by MRN).
        #[arg(long, value_name = "MRN")]
        patient: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clinilog: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let catalog = Catalog::builtin()?;
    match cli.command {
        Some(Command::Demo { db, busy }) => {
            let mut store = Store::open(&db)?;
            if busy {
                match write_busy_demo(&mut store, &catalog, jiff::Zoned::now().date())? {
                    DemoOutcome::Written { mrn, entries, .. } => {
                        println!("wrote generated patient {mrn}: {entries} entries")
                    }
                    DemoOutcome::AlreadyPresent { mrn } => println!("generated patient {mrn} is already there"),
                }
            }
            match write_demo(&mut store, &catalog, jiff::Zoned::now().date())? {
                DemoOutcome::Written {
                    mrn,
                    entries,
                    treatments,
                } => println!(
                    "wrote demo patient {mrn}: {entries} entries, {treatments} treatment events: {}",
                    db.display()
                ),
                DemoOutcome::AlreadyPresent { mrn } => {
                    println!("demo patient {mrn} is already there; nothing written: {}", db.display())
                }
            }
            Ok(())
        }
        Some(Command::Score(args)) => score_cmd::run_score(&args, &catalog, &mut io::stdout().lock()),
        Some(Command::Scores {
            db,
            patient,
            csv,
            carry_days,
        }) => score_cmd::run_scores(&db, &patient, csv, carry_days, &catalog, &mut io::stdout().lock()),
        Some(Command::Export { db, patient, out }) => export(&db, patient.as_deref(), out.as_deref(), &catalog),
        None if cli.demo => {
            let dir = tempfile::tempdir().context("cannot create a temporary folder for the demo database")?;
            let path = dir.path().join("clinilog-demo.sqlite");
            let mut store = Store::open(&path)?;
            write_demo(&mut store, &catalog, jiff::Zoned::now().date())?;
            let result = clinilog::ui::run_window(store, catalog);
            drop(dir);
            result.map_err(anyhow::Error::msg)
        }
        None => {
            let path = match cli.db {
                Some(p) => p,
                None => default_db_path()?,
            };
            let store = Store::open(&path)?;
            clinilog::ui::run_window(store, catalog).map_err(anyhow::Error::msg)
        }
    }
}

/// `clinilog.sqlite` in the per-user data folder, which is created if needed.
fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "clinilog")
        .context("cannot find your home folder to place the default database; pass --db PATH")?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder: {}", dir.display()))?;
    Ok(dir.join("clinilog.sqlite"))
}

fn export(db: &Path, patient: Option<&str>, out: Option<&Path>, catalog: &Catalog) -> Result<()> {
    if !db.is_file() {
        bail!("no database file to export from: {}", db.display());
    }
    let store = Store::open(db)?;
    let rows = store.patients_with_entries(patient)?;
    match out {
        Some(path) => {
            let file = File::create(path).with_context(|| format!("cannot write the CSV file: {}", path.display()))?;
            csv_export::write_observations(file, &rows, catalog)?;
        }
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            csv_export::write_observations(&mut lock, &rows, catalog)?;
            lock.flush()?;
        }
    }
    Ok(())
}
