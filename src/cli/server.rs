//! `clinilog server init | add-user | users`: a clinic's server set up by
//! its IT, as a PostgreSQL superuser or a role with CREATEROLE (the store
//! does the work: `store/pg/server.rs`).

use std::io::{BufRead, Write};

use anyhow::{Result, bail};

use crate::store::pg::server::{self, Role};
use crate::store::pg::{PgTarget, is_server_address};

fn target(db: &str) -> Result<PgTarget> {
    if !is_server_address(db) {
        bail!("--db takes a server database, written postgres://user@host:port/database (a file has no logins)");
    }
    Ok(PgTarget::parse(db)?)
}

/// `server init --db ADDRESS`.
pub fn init(db: &str, out: &mut dyn Write) -> Result<()> {
    let target = target(db)?;
    let report = server::init(&target)?;
    if report.created_database {
        writeln!(out, "created the database {}", target.dbname())?;
    }
    if report.created_roles.is_empty() {
        writeln!(out, "the roles were there already: {}", target.describe())?;
    } else {
        writeln!(out, "created the roles {}", report.created_roles.join(", "))?;
    }
    writeln!(
        out,
        "{} the clinic's tables, owned by {} (no login)",
        if report.created_schema { "created" } else { "kept" },
        report.roles.owner
    )?;
    writeln!(
        out,
        "groups: {} (read and write records; audit rows added, never changed), {} (read only)",
        report.roles.clinician, report.roles.auditor
    )?;
    writeln!(
        out,
        "the server now signs every audit row with the login that writes it; add logins with: \
         clinilog server add-user LOGIN --name \"FULL NAME\" --role clinician --db {}",
        target.address()
    )?;
    Ok(())
}

/// `server add-user LOGIN --name NAME --role ROLE [--password-stdin] --db ADDRESS`.
pub fn add_user(
    db: &str,
    login: &str,
    name: &str,
    role: &str,
    password_stdin: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    let target = target(db)?;
    let role = match role {
        "clinician" => Role::Clinician,
        "auditor" => Role::Auditor,
        other => bail!("--role takes clinician or auditor, not \"{other}\""),
    };
    let (password, made) = if password_stdin {
        let mut line = String::new();
        stdin.read_line(&mut line)?;
        let p = line.trim_end_matches(['\r', '\n']).to_owned();
        if p.is_empty() {
            bail!("--password-stdin read no password: give it on the first line of standard input");
        }
        (p, false)
    } else {
        (server::make_password()?, true)
    };
    server::add_user(&target, login, name, role, &password)?;
    writeln!(
        out,
        "added {login} ({}) as {} of {}",
        name.trim(),
        role.as_str(),
        target.dbname()
    )?;
    if made {
        writeln!(
            out,
            "password (shown once, give it to {} by hand; it is not kept anywhere): {password}",
            name.trim()
        )?;
    }
    Ok(())
}

/// `server users --db ADDRESS`.
pub fn users(db: &str, out: &mut dyn Write) -> Result<()> {
    let target = target(db)?;
    let users = server::users(&target)?;
    writeln!(out, "{:<20} {:<28} {:<10} password", "login", "name", "role")?;
    for u in &users {
        let password = match u.has_password {
            Some(true) => "set",
            Some(false) => "NONE",
            None => "(only a superuser may see)",
        };
        writeln!(out, "{:<20} {:<28} {:<10} {password}", u.login, u.full_name, u.role)?;
        for w in u.warnings() {
            writeln!(out, "  warning: {w}")?;
        }
    }
    if users.iter().all(|u| u.superuser) {
        writeln!(
            out,
            "no clinician or auditor login yet: clinilog server add-user LOGIN --name \"FULL NAME\" --role clinician --db {}",
            target.address()
        )?;
    }
    Ok(())
}
