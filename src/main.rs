//! The `clinilog` command: parses the command line and dispatches, to a
//! command-line job in `clinilog::cli` or to the window in `clinilog::ui`.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use clinilog::cli::{self, demo, export, import, score};
use clinilog::domain::Catalog;
use clinilog::domain::score_inputs::DEFAULT_CARRY_DAYS;

/// Clinilog: a clinic-side patient monitoring log.
///
/// Record weekly lab results (as printed by the lab), symptom ratings and
/// treatment cycles for each patient in one local SQLite file, and read them
/// back as tables and trend plots.
///
/// With no subcommand, opens the window on the default database in your
/// per-user data folder (created on first run), or on FILE (or --db PATH).
#[derive(Parser, Debug)]
#[command(name = "clinilog", version, about, long_about)]
struct Cli {
    /// Open the window on this database file (created if it does not
    /// exist), as the applications menu does with a file given to it.
    #[arg(value_name = "FILE", conflicts_with_all = ["demo", "db"])]
    file: Option<PathBuf>,

    /// Open the window on this database file (created if it does not exist).
    #[arg(long, value_name = "PATH", conflicts_with = "demo")]
    db: Option<PathBuf>,

    /// Open the window on a fresh demo database in a temporary folder
    /// (removed when the window closes).
    #[arg(long)]
    demo: bool,

    /// Where the key of an encrypted file is (every command takes it): a
    /// key file written by `clinilog encrypt --key-file PATH` (mode 0600)
    /// instead of this computer's keyring.
    #[arg(long, value_name = "PATH", global = true)]
    key_file: Option<PathBuf>,

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
        /// Also write a generated clinic of N patients (MRNs C-000001...),
        /// followed weekly with the liver panel, symptoms and three cycles,
        /// values drifting plausibly, a few voids and edits: the fixture of
        /// the benchmarks. Not clinical data.
        #[arg(long, value_name = "N")]
        clinic: Option<usize>,
        /// Weeks of follow-up per generated patient.
        #[arg(long, value_name = "W", default_value_t = 26, requires = "clinic")]
        weeks: usize,
        /// The generator's seed: the same seed writes the same clinic.
        #[arg(long, value_name = "S", default_value_t = 1, requires = "clinic")]
        seed: u64,
    },
    /// Compute one liver score from values given as options (see --help).
    ///
    /// Units: bilirubin and creatinine mg/dL, albumin g/dL, sodium mmol/L,
    /// AST/ALT U/L, platelets 10^9/L; --si for umol/L and g/L.
    Score(score::ScoreArgs),
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
    /// Take a backup of a database: a consistent, checked copy, even while
    /// Clinilog writes to it.
    Backup {
        /// The database file (must exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The folder to write it in (default: backups/ beside the database).
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// List the backups of a database, newest first, with what each holds.
    Backups {
        /// The database file.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The folder to list (default: backups/ beside the database).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Put a backup in the place of a database (close Clinilog first). The
    /// current file is kept as a backup, and the restore is recorded.
    Restore {
        /// The database file to replace.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The backup file to restore.
        #[arg(value_name = "BACKUP")]
        backup: PathBuf,
        /// Who restores (recorded in the audit trail).
        #[arg(long, value_name = "NAME")]
        user: String,
    },
    /// Check a database: SQLite's integrity check and Clinilog's own rules
    /// (audit rows, observations, drafts, units). Exits non-zero on a problem.
    Check {
        /// The database file (must exist), or postgres://user@host:port/database.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// An audit anchor kept outside the database (SEQ:HASH, as printed by
        /// audit-head, in a report's footer or beside a backup): the audit
        /// trail must still hold that row with that hash. May be repeated.
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<clinilog::store::chain::Anchor>,
    },
    /// Print the audit trail's head (SEQ:HASH): the anchor to keep outside
    /// the database; check --anchor tests the database against it later.
    AuditHead {
        /// The database file (must exist), or postgres://user@host:port/database.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
    /// Copy a clinic from its file into an empty PostgreSQL database (every
    /// record and audit row), and check each table's row count and checksum
    /// on both sides. The password comes from PGPASSWORD or ~/.pgpass.
    Copy {
        /// The database file.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The server database: postgres://user@host:port/database (no password).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Export a patient's record (or every patient's) as a FHIR R4 Bundle
    /// (type collection): Patient, laboratory and survey Observations,
    /// Procedures. Values keep their printed digits; voided entries are left out.
    Fhir(ExportArgs),
    /// Print a patient's report as PDF: treatment cycles, serial values as
    /// printed (dates as columns), scores with the change from baseline, the
    /// symptom course and trend figures.
    Report(cli::report::ReportArgs),
    /// Import lab results from a CSV (long or wide) or HL7 v2 ORU^R01 file.
    ///
    /// Every line is listed with what it became (new, already present,
    /// conflict, rejected with the reason, skipped); the new values are
    /// written in one transaction. Importing the same file again adds
    /// nothing. Exit codes: 0 imported, 3 nothing to import, 1 refused
    /// (nothing written).
    Import(import::ImportArgs),
    /// Read a printed lab report (its PDF, or a scan or photo) into an
    /// entry of a patient; the report is kept with the entry.
    Capture(clinilog::cli::capture::CaptureArgs),
    /// Cohort outcomes: one measure (a lab or a score) for every patient,
    /// aligned at the first cycle (or enrolment): the baseline, the value
    /// nearest each day, the change and percentage change, and the median
    /// and IQR of the changes.
    Cohort {
        /// The database file (must exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// A lab measure's code (bili_total, alt, albumin, inr...) or a
        /// score (meld, meld-na, meld3, child-pugh, albi, apri, fib4, ast-alt).
        #[arg(long, value_name = "CODE")]
        measure: String,
        /// Day 0: first-cycle or enrolment.
        #[arg(long, value_name = "ALIGN", default_value = "first-cycle", value_parser = ["first-cycle", "enrolment"])]
        align: String,
        /// The days after day 0 to report, comma-separated.
        #[arg(long, value_name = "DAYS", value_delimiter = ',', default_value = "14,30,90,180")]
        at: Vec<i64>,
        /// Only patients on this protocol (by name).
        #[arg(long, value_name = "NAME")]
        protocol: Option<String>,
        /// The baseline is the last value up to this many days before day 0.
        #[arg(long, value_name = "DAYS", default_value_t = 14)]
        baseline_days: i64,
        /// A value counts for a day when at most this many days away.
        #[arg(long, value_name = "DAYS", default_value_t = 7)]
        window_days: i64,
        /// Values in SI units (umol/L, g/L) instead of conventional ones.
        #[arg(long)]
        si: bool,
        /// CSV instead of a readable table.
        #[arg(long)]
        csv: bool,
        /// Also print the cohort as a PDF report (the plot in the printed
        /// report's style, the summaries and the table) to this file.
        #[arg(long, value_name = "FILE.pdf")]
        pdf: Option<PathBuf>,
    },
    /// The due list of a week: for every patient on a protocol, the cycles
    /// and visits due that week, those late (with how late), and the
    /// measures the latest visit lacks.
    Due {
        /// The database file (must exist).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Any day of the week to list (Monday to Sunday); default: this week.
        #[arg(long, value_name = "DATE")]
        week: Option<jiff::civil::Date>,
        /// Only patients on this protocol (by name).
        #[arg(long, value_name = "NAME")]
        protocol: Option<String>,
        /// List the missed visits and cycles instead (windows closed more
        /// than the protocol's missed_after_days, default 28, before the
        /// week): they are not on the week's list.
        #[arg(long)]
        missed: bool,
        /// CSV instead of a readable list, one row per patient and visit
        /// (columns: mrn, name, protocol, item, status, date, days_late,
        /// missing_measures (codes, ;-separated), text).
        #[arg(long)]
        csv: bool,
    },
    /// Close a late or missed visit or cycle of a patient's plan as not
    /// done, with why (declined, moved, died, sample lost): it leaves the
    /// due list, and the Plan tab and History say so.
    NotDone {
        /// The database file (must exist), or postgres://user@host:port/database.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The patient, by MRN.
        #[arg(long, value_name = "MRN")]
        patient: String,
        /// The visit or cycle as the plan names it (Day 90, Week 3, C2).
        #[arg(long, value_name = "ITEM")]
        item: String,
        /// Why it was not done.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Who closes it (default: the login name; on a set-up server, the login).
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// Encrypt a clinic file at rest (SQLCipher, a random 256-bit key): its
    /// backups are encrypted too. The key is kept in this computer's
    /// keyring, or in the file given with --key-file; a recovery key is
    /// printed once, to be written on paper. The plain file as it was is
    /// kept in backups/plain/ (told) until --remove-plain.
    Encrypt {
        /// The database file.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Overwrite and remove the plain copies (the file as it was and its
        /// plain backups) instead of keeping them in backups/plain/; on a
        /// file already encrypted, remove those left there.
        #[arg(long)]
        remove_plain: bool,
    },
    /// Turn an encrypted clinic file back into a plain one (the encrypted
    /// file as it was is kept as a backup).
    Decrypt {
        /// The database file.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
    /// Re-create the key of an encrypted file on this computer from its
    /// recovery key, read from standard input, and keep it in the keyring
    /// (or in the file given with --key-file).
    Unlock {
        /// The encrypted database file.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
    /// Write the manual page (clinilog.1) and the bash, zsh and fish
    /// completions into a folder: what the package installs.
    #[command(hide = true)]
    PackageFiles {
        /// The folder to write them in (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Set up a clinic's PostgreSQL server: roles, logins (run as a
    /// superuser or a role with CREATEROLE).
    #[command(subcommand)]
    Server(ServerCommand),
    /// Export observations as CSV: one row per observation, values as printed.
    ///
    /// Columns: mrn,date,measure_code,measure_name,loinc,value,comparator,
    /// unit,reference_low,reference_high,flag,entry_id,source_document. With
    /// --adverse-events, the adverse events instead: mrn,onset,term,grade,
    /// grade_meaning,serious,relation,cycle,action,outcome,resolved_on,note,
    /// recorded_by,event_id.
    Export {
        #[command(flatten)]
        args: ExportArgs,
        /// Export the adverse events (not voided) instead of the observations.
        #[arg(long)]
        adverse_events: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ServerCommand {
    /// Set the database up for one login per clinician: the tables owned by
    /// a role without login, a clinician group (reads and writes records,
    /// adds audit rows, never changes one, no DDL) and an auditor group
    /// (reads only); the server then signs every audit row with the login
    /// that writes it. Creates the database if needed. Running it again
    /// changes nothing.
    Init {
        /// The server database: postgres://ADMIN@host:port/database.
        #[arg(long, value_name = "URL")]
        db: String,
    },
    /// Add a login (SCRAM password) to the clinician or auditor group. The
    /// password is read from standard input with --password-stdin, or made
    /// and printed once.
    AddUser {
        /// The login name (lower-case letters, digits, _ . -).
        #[arg(value_name = "LOGIN")]
        login: String,
        /// The full name: it signs every audit row of this login.
        #[arg(long, value_name = "FULL NAME")]
        name: String,
        /// clinician or auditor.
        #[arg(long, value_name = "ROLE", value_parser = ["clinician", "auditor"])]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The server database: postgres://ADMIN@host:port/database.
        #[arg(long, value_name = "URL")]
        db: String,
    },
    /// List the logins of the database's groups, their names and roles,
    /// and warn about superusers and logins without a password.
    Users {
        /// The server database: postgres://user@host:port/database.
        #[arg(long, value_name = "URL")]
        db: String,
    },
}

/// What an export reads and where it writes (`fhir`, `export`).
#[derive(clap::Args, Debug)]
struct ExportArgs {
    /// The database file (must exist).
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// Only this patient (by MRN).
    #[arg(long, value_name = "MRN")]
    patient: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("clinilog: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Command {
    /// The records a command reads or writes (its `--db`).
    fn db(&self) -> Option<&std::path::Path> {
        match self {
            Command::Demo { db, .. }
            | Command::Scores { db, .. }
            | Command::Backup { db, .. }
            | Command::Backups { db, .. }
            | Command::Restore { db, .. }
            | Command::Check { db, .. }
            | Command::AuditHead { db }
            | Command::Cohort { db, .. }
            | Command::Due { db, .. }
            | Command::NotDone { db, .. }
            | Command::Encrypt { db, .. }
            | Command::Decrypt { db }
            | Command::Unlock { db } => Some(db),
            Command::Fhir(a) | Command::Export { args: a, .. } => Some(&a.db),
            Command::Report(a) => Some(&a.db),
            Command::Import(a) => Some(&a.db),
            Command::Capture(a) => Some(&a.db),
            Command::Copy { from, .. } => Some(from),
            Command::Score(_) | Command::Server(_) | Command::PackageFiles { .. } => None,
        }
    }
}

fn run() -> Result<u8> {
    let cli = Cli::parse();
    if let Some(file) = &cli.key_file {
        clinilog::store::keys::set_keeper(clinilog::store::keys::Keeper::KeyFile(file.clone()));
    }
    // The clinic's own critical limits (its mapping file) apply everywhere.
    if let Some(Command::PackageFiles { out }) = &cli.command {
        return package_files(out).map(|()| 0);
    }
    let db = cli.file.clone().or(cli.db.clone());
    let catalog = match &cli.command {
        Some(c) => cli::clinic_catalog(c.db())?,
        None if cli.demo => Catalog::builtin()?,
        None => cli::clinic_catalog(db.as_deref())?,
    };
    if let Some(Command::Import(args)) = &cli.command {
        return import::run(args, &catalog, &mut io::stdout().lock());
    }
    if let Some(Command::Capture(args)) = &cli.command {
        return clinilog::cli::capture::run(args, &catalog, &mut io::stdout().lock());
    }
    let window =
        |(store, location), catalog| clinilog::ui::run_window(store, location, catalog).map_err(anyhow::Error::msg);
    let done = match cli.command {
        Some(Command::Import(_) | Command::Capture(_) | Command::PackageFiles { .. }) => Ok(()),
        Some(Command::Demo {
            db,
            busy,
            clinic,
            weeks,
            seed,
        }) => {
            if let Some(n) = clinic {
                // A file, or a server database (set up if empty, as the window does).
                let mut store = clinilog::store::Location::parse(&db)?.open()?;
                cli::may_write(&*store)?;
                let started = std::time::Instant::now();
                let done = cli::clinic::write_clinic(&mut *store, &catalog, n, weeks, seed, jiff::Zoned::now().date())?;
                println!(
                    "wrote a generated clinic: {} patients, {} entries, {} treatment events, {} on a protocol, {} voided, \
                     {} edited, in {:.1} s",
                    done.patients,
                    done.entries,
                    done.treatments,
                    done.assignments,
                    done.voided,
                    done.edited,
                    started.elapsed().as_secs_f64()
                );
            }
            demo::run(&db, busy, &catalog)
        }
        Some(Command::Score(args)) => score::run_score(&args, &catalog, &mut io::stdout().lock()),
        Some(Command::Scores {
            db,
            patient,
            csv,
            carry_days,
        }) => score::run_scores(&db, &patient, csv, carry_days, &catalog, &mut io::stdout().lock()),
        Some(Command::Backup { db, to }) => cli::backup::backup(&db, to),
        Some(Command::Backups { db, dir }) => cli::backup::backups(&db, dir),
        Some(Command::Restore { db, backup, user }) => cli::backup::restore_from(&db, &backup, &user),
        Some(Command::Check { db, anchor }) => cli::backup::check(&db, &anchor, &catalog),
        Some(Command::AuditHead { db }) => cli::backup::audit_head(&db),
        Some(Command::Copy { from, to }) => cli::copy::run(&from, &to, &mut io::stdout().lock()),
        Some(Command::Report(args)) => cli::report::run(&args, &catalog),
        Some(Command::Fhir(a)) => cli::fhir::run(&a.db, a.patient.as_deref(), a.out.as_deref(), &catalog),
        Some(Command::Cohort {
            db,
            measure,
            align,
            at,
            protocol,
            baseline_days,
            window_days,
            si,
            csv,
            pdf,
        }) => cli::cohort::run(
            &cli::cohort::CohortArgs {
                db: &db,
                measure: &measure,
                align: if align == "enrolment" {
                    clinilog::domain::cohort::Align::Enrolment
                } else {
                    clinilog::domain::cohort::Align::FirstCycle
                },
                at,
                protocol,
                baseline_days,
                window_days,
                si,
                csv,
                pdf: pdf.as_deref(),
            },
            &catalog,
            &mut io::stdout().lock(),
        ),
        Some(Command::Due {
            db,
            week,
            protocol,
            missed,
            csv,
        }) => cli::due::run(
            &db,
            week,
            protocol.as_deref(),
            missed,
            csv,
            &catalog,
            &mut io::stdout().lock(),
        ),
        Some(Command::Export {
            args: a,
            adverse_events: true,
        }) => export::adverse_events(&a.db, a.patient.as_deref(), a.out.as_deref()),
        Some(Command::NotDone {
            db,
            patient,
            item,
            reason,
            user,
        }) => cli::due::not_done(
            &db,
            &patient,
            &item,
            &reason,
            user.as_deref(),
            &catalog,
            &mut io::stdout().lock(),
        ),
        Some(Command::Encrypt { db, remove_plain }) => {
            cli::protect::encrypt(&db, remove_plain, &mut io::stdout().lock())
        }
        Some(Command::Decrypt { db }) => cli::protect::decrypt(&db, &mut io::stdout().lock()),
        Some(Command::Unlock { db }) => cli::protect::unlock(&db, &mut io::stdin().lock(), &mut io::stdout().lock()),
        Some(Command::Server(ServerCommand::Init { db })) => cli::server::init(&db, &mut io::stdout().lock()),
        Some(Command::Server(ServerCommand::AddUser {
            login,
            name,
            role,
            password_stdin,
            db,
        })) => cli::server::add_user(
            &db,
            &login,
            &name,
            &role,
            password_stdin,
            &mut io::stdin().lock(),
            &mut io::stdout().lock(),
        ),
        Some(Command::Server(ServerCommand::Users { db })) => cli::server::users(&db, &mut io::stdout().lock()),
        Some(Command::Export { args: a, .. }) => export::run(&a.db, a.patient.as_deref(), a.out.as_deref(), &catalog),
        None if cli.demo => {
            // The folder, and the demo file in it, go when the window closes.
            let (dir, store) = demo::throwaway_store(&catalog)?;
            let location = clinilog::store::Location::File(store.path().to_owned());
            let result = window((Some(Box::new(store)), location), catalog);
            drop(dir);
            result
        }
        None => window(cli::window_store(db)?, catalog),
    };
    done.map(|()| 0)
}

/// `clinilog package-files --out DIR`: the manual page and the shell
/// completions, made from these very definitions.
fn package_files(out: &std::path::Path) -> Result<()> {
    use anyhow::Context;
    use clap::CommandFactory;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut man = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut man)?;
    // Each subcommand on its own page too (clinilog-export.1, ...), as git does.
    let path = out.join("clinilog.1");
    std::fs::write(&path, man).with_context(|| format!("cannot write {}", path.display()))?;
    for sub in Cli::command().get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("clinilog-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut page)?;
        let path = out.join(format!("{name}.1"));
        std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for (shell, file) in [
        (clap_complete::Shell::Bash, "clinilog.bash"),
        (clap_complete::Shell::Zsh, "_clinilog"),
        (clap_complete::Shell::Fish, "clinilog.fish"),
    ] {
        let path = out.join(file);
        let mut f = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        clap_complete::generate(shell, &mut Cli::command(), "clinilog", &mut f);
    }
    println!("wrote the manual pages and completions to {}", out.display());
    Ok(())
}
