//! A clinic's server as its IT sets it up: `server init` (the schema owned
//! by a role without login, a clinician and an auditor group, the audit
//! rows stamped by the server), `server add-user` (one SCRAM login per
//! clinician, in one group), `server users` (who may log in, and who is
//! warned about).
//!
//! Role names carry the database's name (`clinilog_<db>_clinician`), so
//! two clinics on one server never share a role.
//!
//! What the groups may do:
//! - clinician: read every record, add and change records (new versions,
//!   voids), add audit rows (never change or remove one), its own drafts
//!   only (row-level security); no DDL.
//! - auditor: read every record and the audit trail; nothing else (the
//!   window opens read-only, and every command that writes refuses); its
//!   own drafts only, and it has none.
//! - owner (no login): owns the tables; `server init` and `copy` act as it.
//!
//! The signer of an audit row is stamped by a `SECURITY DEFINER` trigger
//! with a fixed `search_path`: the session's login and its full name (the
//! role's comment, set by `add-user`), at the server's `clock_timestamp()`.
//! Only a member of the owner role may keep the signer of rows it writes
//! (`SET LOCAL clinilog.keep_signer = 'on'`: `copy` moving a clinic's
//! history, signed by whoever wrote it).

use postgres::{Client, Transaction};

use super::{PgTarget, schema};
use crate::StoreError;

/// The three roles of one clinic's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicRoles {
    pub owner: String,
    pub clinician: String,
    pub auditor: String,
}

impl ClinicRoles {
    /// The roles for the database `db`.
    pub fn of(db: &str) -> Result<Self, StoreError> {
        let roles = Self {
            owner: format!("clinilog_{db}_owner"),
            clinician: format!("clinilog_{db}_clinician"),
            auditor: format!("clinilog_{db}_auditor"),
        };
        if roles.clinician.len() > 63 {
            return Err(StoreError::Server(format!(
                "the database name \"{db}\" is too long for its role names ({} bytes; PostgreSQL keeps 63): \
                 use a shorter name",
                roles.clinician.len()
            )));
        }
        Ok(roles)
    }
}

/// What a login may do in a clinic's database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A clinician: reads and writes records.
    Clinician,
    /// An auditor: reads only.
    Auditor,
    /// The owner's member or a superuser (the clinic's IT): everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Auditor => "auditor",
            Role::Admin => "administrator",
        }
    }
}

/// Who is logged in, on a database set up by `server init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The PostgreSQL login (`session_user`).
    pub login: String,
    /// The full name given by `add-user` (empty when none).
    pub full_name: String,
    pub role: Role,
}

impl Login {
    /// How the server signs this login's audit rows: `Dr A. Rao (arao)`,
    /// or the login alone when it has no full name.
    pub fn signer(&self) -> String {
        signer(&self.login, &self.full_name)
    }
}

fn signer(login: &str, full_name: &str) -> String {
    if full_name.trim().is_empty() {
        login.to_owned()
    } else {
        format!("{} ({login})", full_name.trim())
    }
}

/// A PostgreSQL identifier, quoted.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A statement built by the server itself from `template` (`%I` an
/// identifier, `%L` a literal, as PostgreSQL's `format`): quoted as the
/// server reads it, whatever `standard_conforming_strings` says, so that a
/// name with a quote or a backslash stays a name.
fn server_format(tx: &mut Transaction<'_>, template: &str, args: &[&str]) -> Result<String, postgres::Error> {
    let args: Vec<&str> = args.to_vec();
    tx.query_one("SELECT format($1::text, VARIADIC $2::text[])", &[&template, &args])?
        .try_get(0)
}

/// Whether the database was set up by `server init` (its audit rows are
/// stamped by the server), and if so who is logged in. `None` on a
/// database that was not.
pub(crate) fn login_of(client: &mut Client, target: &PgTarget) -> Result<Option<Login>, StoreError> {
    let lost = |e| target.lost(e);
    let stamped: bool = client
        .query_one(
            "SELECT to_regprocedure('public.clinilog_stamp_audit()') IS NOT NULL",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if !stamped {
        return Ok(None);
    }
    let roles = ClinicRoles::of(target.dbname())?;
    let row = client
        .query_one(
            "SELECT session_user::text,
                    coalesce(shobj_description(r.oid, 'pg_authid'), ''),
                    r.rolsuper OR pg_has_role(session_user, $1::text, 'MEMBER'),
                    pg_has_role(session_user, $2::text, 'MEMBER'),
                    pg_has_role(session_user, $3::text, 'MEMBER')
             FROM pg_roles r WHERE r.rolname = session_user",
            &[&roles.owner, &roles.clinician, &roles.auditor],
        )
        .map_err(lost)?;
    let (admin, clinician, auditor): (bool, bool, bool) = (row.get(2), row.get(3), row.get(4));
    let role = if admin {
        Role::Admin
    } else if clinician {
        Role::Clinician
    } else if auditor {
        Role::Auditor
    } else {
        return Err(StoreError::Server(format!(
            "the login {} is in neither group of {} ({} or {}): ask the clinic's IT to add it \
             (clinilog server add-user)",
            row.get::<_, String>(0),
            target.describe(),
            roles.clinician,
            roles.auditor
        )));
    };
    Ok(Some(Login {
        login: row.get(0),
        full_name: row.get(1),
        role,
    }))
}

/// The stamping of audit rows, and the drafts each login keeps to itself.
/// Run as the owner; every statement may run again. The function runs with
/// its owner's rights, so it trusts nothing a login can put in its way:
/// `search_path` is `pg_catalog, pg_temp` (a temporary table named
/// `pg_roles` comes last, never first), every object is named with its
/// schema, and the owner's name is quoted by the server (`%L`).
fn stamping(tx: &mut Transaction<'_>, roles: &ClinicRoles) -> Result<(), postgres::Error> {
    let body = server_format(
        tx,
        r#"
DECLARE
    full_name text;
BEGIN
    IF pg_catalog.current_setting('clinilog.keep_signer', true) = 'on'
       AND pg_catalog.pg_has_role(session_user, %L, 'MEMBER') THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(pg_catalog.shobj_description(r.oid, 'pg_authid'), '') INTO full_name
        FROM pg_catalog.pg_roles r WHERE r.rolname = session_user;
    NEW."user" := CASE WHEN coalesce(pg_catalog.btrim(full_name), '') = '' THEN session_user::text
                       ELSE pg_catalog.btrim(full_name) || ' (' || session_user || ')' END;
    NEW.at_utc := pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    RETURN NEW;
END"#,
        &[&roles.owner],
    )?;
    let function = server_format(
        tx,
        "CREATE OR REPLACE FUNCTION public.clinilog_stamp_audit() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L",
        &[&body],
    )?;
    tx.batch_execute(&function)?;
    tx.batch_execute(
        "CREATE OR REPLACE TRIGGER audit_log_stamp BEFORE INSERT ON public.audit_log
             FOR EACH ROW EXECUTE FUNCTION public.clinilog_stamp_audit();
         ALTER TABLE public.drafts ADD COLUMN IF NOT EXISTS login TEXT NOT NULL DEFAULT session_user;
         ALTER TABLE public.drafts ENABLE ROW LEVEL SECURITY;
         DROP POLICY IF EXISTS drafts_own ON public.drafts;
         CREATE POLICY drafts_own ON public.drafts USING (login = session_user) WITH CHECK (login = session_user);",
    )
}

/// What `server init` found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    pub roles: ClinicRoles,
    /// The roles it created (none when run again).
    pub created_roles: Vec<String>,
    /// The database itself was created.
    pub created_database: bool,
    /// The clinic's tables were created (else they were there, and their
    /// owner changed to the owner role if needed).
    pub created_schema: bool,
}

/// `clinilog server init`: sets the clinic's database up for logins and
/// roles, as a superuser or a role with CREATEROLE (and CREATEDB when the
/// database does not exist yet). Running it again changes nothing.
pub fn init(target: &PgTarget) -> Result<InitReport, StoreError> {
    let roles = ClinicRoles::of(target.dbname())?;
    let lost = |e| target.lost(e);
    let mut created_database = false;
    let mut client = match target.connect() {
        Ok(c) => c,
        Err(StoreError::Server(msg)) if msg.contains("does not exist") => {
            let mut admin = target.with_dbname("postgres").connect()?;
            admin
                .batch_execute(&format!("CREATE DATABASE {}", ident(target.dbname())))
                .map_err(lost)?;
            created_database = true;
            target.connect()?
        }
        Err(e) => return Err(e),
    };
    let mut tx = client.transaction().map_err(lost)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&i64::from(crate::schema::APPLICATION_ID)],
    )
    .map_err(lost)?;
    let mut created_roles = Vec::new();
    for (name, what) in [
        (&roles.owner, "owns the Clinilog database"),
        (&roles.clinician, "clinicians of the Clinilog database"),
        (&roles.auditor, "auditors of the Clinilog database"),
    ] {
        let exists: bool = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[name])
            .and_then(|r| r.try_get(0))
            .map_err(lost)?;
        if !exists {
            let comment = format!("{what} {}", target.dbname());
            let sql = server_format(
                &mut tx,
                "CREATE ROLE %I NOLOGIN; COMMENT ON ROLE %I IS %L",
                &[name, name, &comment],
            )
            .map_err(lost)?;
            tx.batch_execute(&sql).map_err(lost)?;
            created_roles.push(name.clone());
        }
    }
    // The one running init acts as the owner (a superuser already may).
    let superuser: bool = tx
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", &[])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if !superuser {
        tx.batch_execute(&format!("GRANT {} TO CURRENT_USER", ident(&roles.owner)))
            .map_err(lost)?;
    }
    let (owner, clinician, auditor) = (ident(&roles.owner), ident(&roles.clinician), ident(&roles.auditor));
    let db = ident(target.dbname());
    tx.batch_execute(&format!(
        "REVOKE ALL ON DATABASE {db} FROM PUBLIC;
         GRANT CONNECT ON DATABASE {db} TO {owner}, {clinician}, {auditor};
         GRANT TEMPORARY ON DATABASE {db} TO {owner};
         REVOKE TEMPORARY ON DATABASE {db} FROM {clinician}, {auditor};
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         GRANT USAGE, CREATE ON SCHEMA public TO {owner};
         GRANT USAGE ON SCHEMA public TO {clinician}, {auditor};"
    ))
    .map_err(lost)?;
    // The clinic's tables: created as the owner, or given to it.
    let has_meta: bool = tx
        .query_one("SELECT to_regclass('public.clinilog_meta') IS NOT NULL", &[])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    // A clinic already there (opened by the window or copied in) is handed
    // to the owner first, which then brings it up to date.
    if has_meta {
        for table in schema::TABLES
            .iter()
            .chain(&["clinilog_meta", "drafts", "documents", "entry_documents"])
        {
            tx.batch_execute(&format!("ALTER TABLE IF EXISTS {table} OWNER TO {owner}"))
                .map_err(lost)?;
        }
        // Its functions too, which a later schema replaces as the owner.
        let functions: Vec<String> = tx
            .query(
                "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
                 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'clinilog%'",
                &[],
            )
            .map_err(lost)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for f in functions {
            tx.batch_execute(&format!("ALTER FUNCTION {f} OWNER TO {owner}"))
                .map_err(lost)?;
        }
    }
    tx.batch_execute(&format!("SET LOCAL ROLE {owner}")).map_err(lost)?;
    super::migrate_in(&mut tx, target)?;
    tx.batch_execute("RESET ROLE").map_err(lost)?;
    tx.batch_execute(&format!("ALTER FUNCTION clinilog_refuse() OWNER TO {owner}"))
        .map_err(lost)?;
    tx.batch_execute(&format!("SET LOCAL ROLE {owner}")).map_err(lost)?;
    stamping(&mut tx, &roles).map_err(lost)?;
    grant(&mut tx, &roles).map_err(lost)?;
    tx.batch_execute("RESET ROLE").map_err(lost)?;
    tx.commit().map_err(lost)?;
    Ok(InitReport {
        roles,
        created_roles,
        created_database,
        created_schema: !has_meta,
    })
}

/// The groups' rights on the clinic's tables (as the owner).
fn grant(tx: &mut Transaction<'_>, roles: &ClinicRoles) -> Result<(), postgres::Error> {
    let (clinician, auditor) = (ident(&roles.clinician), ident(&roles.auditor));
    let records = [
        "patients",
        "entries",
        "treatment_events",
        "protocol_assignments",
        "adverse_events",
        "no_adverse_events",
    ];
    let mut sql = format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {clinician}, {auditor};
         REVOKE ALL ON drafts FROM {auditor};
         GRANT SELECT ON drafts TO {auditor};
         GRANT INSERT ON observations, plan_shifts, plan_closures, audit_log TO {clinician};
         GRANT SELECT, INSERT, UPDATE, DELETE ON drafts TO {clinician};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {clinician};
         REVOKE EXECUTE ON FUNCTION clinilog_stamp_audit() FROM PUBLIC;"
    );
    for t in records {
        sql.push_str(&format!("GRANT INSERT, UPDATE ON {t} TO {clinician};"));
    }
    tx.batch_execute(&sql)
}

/// A login as `server users` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub login: String,
    pub full_name: String,
    /// `clinician`, `auditor`, or `superuser`.
    pub role: String,
    /// `Some(false)` when it has no password; `None` when this login may
    /// not see (only a superuser reads passwords' presence).
    pub has_password: Option<bool>,
    pub superuser: bool,
}

impl UserInfo {
    /// What is wrong with it, if anything.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut w = Vec::new();
        if self.superuser {
            w.push("superuser: passes every rule, audit included; use it only for server init and add-user");
        }
        if self.has_password == Some(false) {
            w.push("no password: it cannot log in over the network (scram-sha-256), or anyone can if trusted");
        }
        w
    }
}

/// `clinilog server users`: the logins of the clinic's two groups, and the
/// superusers who may log in (each may do anything).
pub fn users(target: &PgTarget) -> Result<Vec<UserInfo>, StoreError> {
    let roles = ClinicRoles::of(target.dbname())?;
    let lost = |e| target.lost(e);
    let mut client = target.connect()?;
    let set_up: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            &[&roles.clinician],
        )
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if !set_up {
        return Err(StoreError::Server(format!(
            "{} is not set up for logins yet: run clinilog server init --db ... first",
            target.describe()
        )));
    }
    let may_see_passwords: bool = client
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", &[])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    let password = if may_see_passwords {
        "(SELECT a.rolpassword IS NOT NULL FROM pg_authid a WHERE a.oid = r.oid)"
    } else {
        "NULL::bool"
    };
    let rows = client
        .query(
            &format!(
                "SELECT r.rolname::text, coalesce(shobj_description(r.oid, 'pg_authid'), ''),
                        CASE WHEN pg_has_role(r.oid, $1::text, 'MEMBER') AND NOT r.rolsuper THEN 'clinician'
                             WHEN pg_has_role(r.oid, $2::text, 'MEMBER') AND NOT r.rolsuper THEN 'auditor'
                             ELSE 'superuser' END,
                        {password}, r.rolsuper
                 FROM pg_roles r
                 WHERE r.rolcanlogin AND (r.rolsuper OR pg_has_role(r.oid, $1::text, 'MEMBER')
                                          OR pg_has_role(r.oid, $2::text, 'MEMBER'))
                 ORDER BY 3, 1"
            ),
            &[&roles.clinician, &roles.auditor],
        )
        .map_err(lost)?;
    Ok(rows
        .iter()
        .map(|r| UserInfo {
            login: r.get(0),
            full_name: r.get(1),
            role: r.get(2),
            has_password: r.get(3),
            superuser: r.get(4),
        })
        .collect())
}

/// `clinilog server add-user`: a login in the clinician or auditor group,
/// with its full name (the signer of its audit rows) and a SCRAM password.
/// The password is sent as its SCRAM verifier, never in clear.
pub fn add_user(target: &PgTarget, login: &str, full_name: &str, role: Role, password: &str) -> Result<(), StoreError> {
    let roles = ClinicRoles::of(target.dbname())?;
    let lost = |e| target.lost(e);
    valid_login(login)?;
    if full_name.trim().is_empty() {
        return Err(StoreError::Server(
            "--name is needed: the full name signs every audit row of this login".to_owned(),
        ));
    }
    if password.chars().count() < 12 {
        return Err(StoreError::Server(
            "the password is too short: at least 12 characters (or leave --password-stdin out to have one made)"
                .to_owned(),
        ));
    }
    let group = match role {
        Role::Clinician => &roles.clinician,
        Role::Auditor => &roles.auditor,
        Role::Admin => {
            return Err(StoreError::Server("--role takes clinician or auditor".to_owned()));
        }
    };
    let mut client = target.connect()?;
    let mut tx = client.transaction().map_err(lost)?;
    let group_exists: bool = tx
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[group])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if !group_exists {
        return Err(StoreError::Server(format!(
            "{} is not set up for logins yet: run clinilog server init --db ... first",
            target.describe()
        )));
    }
    let exists: bool = tx
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[&login])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if exists {
        return Err(StoreError::Server(format!(
            "the login {login} already exists on this server: choose another login (nothing was changed)"
        )));
    }
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    let sql = server_format(
        &mut tx,
        "CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I; COMMENT ON ROLE %I IS %L",
        &[login, &verifier, group, login, full_name.trim()],
    )
    .map_err(lost)?;
    tx.batch_execute(&sql).map_err(lost)?;
    tx.commit().map_err(lost)?;
    Ok(())
}

/// A login name: letters, digits, `_`, `.` and `-`, starting with a letter.
fn valid_login(login: &str) -> Result<(), StoreError> {
    let ok = login.len() <= 63
        && login.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Server(format!(
            "\"{login}\" cannot be a login: use lower-case letters, digits, _ . or -, starting with a letter \
             (at most 63)"
        )))
    }
}

/// A password made for a new login: 20 characters from an alphabet
/// without look-alikes, in groups of five (about 100 bits).
pub fn make_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| StoreError::Server("this computer gave no random numbers for a password".to_owned()))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_carry_the_database_name_and_long_names_are_refused() {
        let r = ClinicRoles::of("north").unwrap();
        assert_eq!(r.clinician, "clinilog_north_clinician");
        assert_eq!(r.auditor, "clinilog_north_auditor");
        assert_eq!(r.owner, "clinilog_north_owner");
        assert!(ClinicRoles::of(&"x".repeat(50)).is_err());
    }

    #[test]
    fn a_signer_is_the_full_name_and_the_login() {
        assert_eq!(signer("arao", "Dr A. Rao"), "Dr A. Rao (arao)");
        assert_eq!(signer("arao", " "), "arao");
    }

    #[test]
    fn logins_are_plain_names() {
        for ok in ["arao", "nurse.kim", "dr-lee_2"] {
            valid_login(ok).unwrap();
        }
        for bad in ["", "Arao", "2x", "a b", "x\"; DROP TABLE patients; --"] {
            assert!(valid_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn made_passwords_are_long_and_differ() {
        let a = make_password().unwrap();
        let b = make_password().unwrap();
        assert_eq!(a.len(), 23, "{a}");
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()), "{a}");
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
