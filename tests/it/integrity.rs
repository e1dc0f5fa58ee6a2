//! Every record is its audit trail (issue 41), on both stores: each change
//! an insider can make behind the store (`sqlite3` with the triggers
//! dropped and put back, `psql` as the server's superuser with them off) is
//! named by `check`, and a forged audit row too; and the file's and the
//! server's schemas, two texts, are compared table by table.

use crate::backends::{Backend, on_both_backends, patient_data, today, validated};

use clinilog::domain::{Catalog, TreatmentDraft};
use jiff::civil::date;

on_both_backends!(
    a_record_changed_behind_the_store_is_named_by_the_check,
    an_audit_row_added_by_hand_that_the_record_does_not_match_is_named,
);

/// A clinic with one patient, one entry (total bilirubin 12.30 mg/dL, H)
/// and one treatment event, written through the store; its check is clean.
fn seeded(b: &Backend) -> (i64, i64, i64) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let e = store
        .record_entry(
            p.id,
            &validated(&catalog, "2025-07-19", &[("bili_total", "12.30"), ("alt", "60")]),
            "Dr Rao",
        )
        .unwrap();
    let mut t = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
    t.product = "AF exosomes".into();
    t.dose = "30".into();
    t.dose_unit = "billion exosomes".into();
    let t = store
        .add_treatment(p.id, &t.validate(date(1974, 1, 15), today()).unwrap(), "Dr Rao")
        .unwrap();
    assert_eq!(store.check(&catalog).unwrap(), Vec::<String>::new());
    (p.id, e.id, t.id)
}

/// Runs `sql` as another program would, with the table's triggers out of
/// the way (a superuser on a server; on a file, the triggers dropped and
/// put back), as an insider with the file or the database's owner can.
pub(crate) fn behind_the_store(b: &Backend, table: &str, sql: &str) {
    match b {
        Backend::Postgres(_) => {
            b.raw(&format!("SET session_replication_role = replica; {sql}"))
                .unwrap();
        }
        Backend::Sqlite { .. } => {
            let triggers = b
                .raw(&format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
                ))
                .unwrap();
            for t in &triggers {
                b.raw(&format!("DROP TRIGGER {}", t[0].as_deref().unwrap())).unwrap();
            }
            b.raw(sql).unwrap();
            for t in &triggers {
                b.raw(t[1].as_deref().unwrap()).unwrap();
            }
        }
    }
}

/// Each change an insider can make to a record without the store (as
/// tried with psql and sqlite3 on the release build) is named by `check`:
/// which record, which field, what the record and its audit row say.
fn a_record_changed_behind_the_store_is_named_by_the_check(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let (p, e, t) = seeded(b);
    let check = || b.open().check(&catalog).unwrap();
    // A second version of the entry's values, total bilirubin 12.30 made
    // 1.20, with the entry moved on to it. A server refuses it at commit
    // (no audit row in the transaction); its superuser, or whoever has a
    // file, can still do it with the triggers out of the way.
    let second_version = format!(
        "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code, kind,
             value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag, ref_unit)
         SELECT entry_id, 2, patient_id, collected_on, measure_code, kind,
             CASE WHEN measure_code = 'bili_total' THEN '1.20' ELSE value_text END, value, comparator, unit,
             ref_low, ref_high, ref_source, flag, ref_unit
         FROM observations WHERE entry_id = {e}"
    );
    let moved_on = format!("UPDATE entries SET data_version = 2, version = 2 WHERE id = {e}");
    if let Backend::Postgres(_) = b {
        let err = b.raw(&second_version).unwrap_err();
        assert!(
            err.contains(&format!("a change to entries {e} without its audit row is refused")),
            "{err}"
        );
        assert!(check().is_empty());
    }
    behind_the_store(b, "observations", &second_version);
    behind_the_store(b, "entries", &moved_on);
    let problems = check();
    assert!(
        problems.iter().any(|p| p.contains(&format!("entry {e}"))
            && p.contains("1.20")
            && p.contains("12.30")
            && p.contains("Total bilirubin")),
        "{problems:?}"
    );
    // Each other change, one at a time on a fresh clinic.
    let attacks: [(&str, String, &[&str]); 10] = [
        (
            "patients",
            format!("UPDATE patients SET archived = 1 WHERE id = {p}"),
            &["patient", "archived in the record, but no audit row archives it"],
        ),
        (
            "patients",
            format!("UPDATE patients SET birth_date = '1980-02-02' WHERE id = {p}"),
            &["patient", "birth date", "1980-02-02", "1974-01-15"],
        ),
        (
            "patients",
            format!("UPDATE patients SET diagnosis = 'Hepatitis B' WHERE id = {p}"),
            &["patient", "diagnosis", "Hepatitis B"],
        ),
        (
            "entries",
            format!("UPDATE entries SET voided_at = '2025-08-01T00:00:00Z', void_reason = 'x' WHERE id = {e}"),
            &["entry", "voided in the record, but no audit row voids it"],
        ),
        (
            "entries",
            format!("UPDATE entries SET recorded_by = 'Dr Nobody' WHERE id = {e}"),
            &["entry", "recorded by", "Dr Nobody", "Dr Rao"],
        ),
        (
            "treatment_events",
            format!("UPDATE treatment_events SET dose = '60' WHERE id = {t}"),
            &["treatment event", "dose", "60", "30"],
        ),
        (
            "observations",
            format!("UPDATE observations SET value_text = '1.20' WHERE entry_id = {e} AND measure_code = 'bili_total'"),
            &["entry", "1.20", "12.30", "Total bilirubin"],
        ),
        (
            "observations",
            format!(
                "UPDATE observations SET unit = 'umol/L', ref_unit = 'umol/L' WHERE entry_id = {e} AND measure_code = 'bili_total'"
            ),
            &["entry", "umol/L", "mg/dL"],
        ),
        (
            "observations",
            format!("UPDATE observations SET ref_high = '15.0' WHERE entry_id = {e} AND measure_code = 'bili_total'"),
            &["entry 1: Total bilirubin interval high", "15.0"],
        ),
        (
            "observations",
            format!("UPDATE observations SET flag = '' WHERE entry_id = {e} AND measure_code = 'bili_total'"),
            &["entry", "flag"],
        ),
    ];
    for (table, sql, said) in attacks {
        let fresh = match b {
            Backend::Sqlite { .. } => Backend::sqlite(),
            Backend::Postgres(_) => Backend::postgres().unwrap(),
        };
        let (_, _, _) = seeded(&fresh);
        behind_the_store(&fresh, table, &sql);
        let problems = fresh.open().check(&catalog).unwrap();
        assert!(
            problems.iter().any(|p| said.iter().all(|s| p.contains(s))),
            "{sql}: {problems:?} should say {said:?}"
        );
    }
}

/// An audit row forged for a record (correctly chained, as the file's
/// chain is public arithmetic and the server chains what it is given)
/// makes the record disagree with its trail: named, not trusted.
fn an_audit_row_added_by_hand_that_the_record_does_not_match_is_named(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let (p, _, _) = seeded(b);
    let mut forged = patient_data("MRN-1");
    forged.birth_date = date(1990, 3, 3);
    let after = serde_json::to_string(&forged).unwrap();
    let fields = clinilog::store::chain::RowFields {
        at_utc: "2025-08-01T00:00:00Z",
        user: "Dr Rao",
        action: "edit",
        table_name: "patients",
        row_id: Some(p),
        before_json: None,
        after_json: Some(&after),
        reason: Some("typo"),
    };
    let head = b.open().audit_head().unwrap().unwrap();
    let hash = clinilog::store::chain::row_hash(head.seq + 1, Some(&head.hash), fields);
    let insert = |chain: &str| {
        format!(
            "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason{})
             VALUES ('2025-08-01T00:00:00Z', 'Dr Rao', 'edit', 'patients', {p}, NULL, '{}', 'typo'{})",
            if chain.is_empty() { "" } else { ", seq, row_hash" },
            after.replace('\'', "''"),
            chain
        )
    };
    match b {
        Backend::Sqlite { .. } => b.raw(&insert(&format!(", {}, '{hash}'", head.seq + 1))).unwrap(),
        Backend::Postgres(_) => b.raw(&insert("")).unwrap(),
    };
    let store = b.open();
    assert!(store.audit_chain().unwrap().is_intact(), "the forged row is chained");
    let problems = store.check(&catalog).unwrap();
    assert!(
        problems
            .iter()
            .any(|x| x.contains(&format!("patient {p}")) && x.contains("1990-03-03") && x.contains("1974-01-15")),
        "{problems:?}"
    );
}

/// One column as both schemas describe it: name, kind of value
/// (integer, real, text, bytes), and whether it may be empty (NULL).
type Column = (String, &'static str, bool);

/// What a table is made of, in a form both dialects can be read into.
#[derive(Debug, Default, PartialEq)]
struct TableShape {
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Each unique constraint's columns, sorted.
    unique: std::collections::BTreeSet<Vec<String>>,
    /// Each foreign key as (column, table, column).
    references: std::collections::BTreeSet<(String, String, String)>,
    /// How many CHECK constraints the table has.
    checks: usize,
}

fn kind_of(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "real" | "double precision" => "real",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        other => panic!("a column of type {other}: say how it maps in the other dialect"),
    }
}

fn cell(row: &[Option<String>], i: usize) -> String {
    row[i].clone().unwrap_or_default()
}

fn sqlite_shapes(b: &Backend) -> std::collections::BTreeMap<String, TableShape> {
    let mut out = std::collections::BTreeMap::new();
    let tables = b
        .raw("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    for t in tables {
        let (name, sql) = (cell(&t, 0), cell(&t, 1));
        let mut shape = TableShape {
            checks: sql.matches("CHECK").count(),
            ..TableShape::default()
        };
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in b.raw(&format!("PRAGMA table_info({name})")).unwrap() {
            let column = cell(&c, 1);
            let key: i64 = cell(&c, 5).parse().unwrap();
            // A primary key is never empty, whether or not it says NOT NULL.
            shape
                .columns
                .push((column.clone(), kind_of(&cell(&c, 2)), cell(&c, 3) == "0" && key == 0));
            if key > 0 {
                pk.push((key, column));
            }
        }
        pk.sort();
        shape.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        for i in b.raw(&format!("PRAGMA index_list({name})")).unwrap() {
            // A UNIQUE constraint (u) or a unique index (c): unique either way.
            if cell(&i, 2) == "1" && cell(&i, 3) != "pk" {
                let mut cols: Vec<String> = b
                    .raw(&format!("PRAGMA index_info({})", cell(&i, 1)))
                    .unwrap()
                    .iter()
                    .map(|r| cell(r, 2))
                    .collect();
                cols.sort();
                shape.unique.insert(cols);
            }
        }
        for f in b.raw(&format!("PRAGMA foreign_key_list({name})")).unwrap() {
            shape.references.insert((cell(&f, 3), cell(&f, 2), cell(&f, 4)));
        }
        out.insert(name, shape);
    }
    out
}

fn postgres_shapes(b: &Backend) -> std::collections::BTreeMap<String, TableShape> {
    let mut out: std::collections::BTreeMap<String, TableShape> = std::collections::BTreeMap::new();
    for c in b
        .raw(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
             WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
        )
        .unwrap()
    {
        out.entry(cell(&c, 0))
            .or_default()
            .columns
            .push((cell(&c, 1), kind_of(&cell(&c, 2)), cell(&c, 3) == "YES"));
    }
    // Constraints from the catalog: p primary key, u unique, f foreign key, c check.
    for k in b
        .raw(
            "SELECT t.relname, c.contype,
                 (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att),
                 f.relname,
                 (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(att, n)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att)
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
             JOIN pg_namespace s ON s.oid = t.relnamespace LEFT JOIN pg_class f ON f.oid = c.confrelid
             WHERE s.nspname = 'public' AND c.contype IN ('p', 'u', 'f', 'c')",
        )
        .unwrap()
    {
        let shape = out.entry(cell(&k, 0)).or_default();
        let cols: Vec<String> = cell(&k, 2).split(',').map(str::to_owned).collect();
        match cell(&k, 1).as_str() {
            "p" => shape.primary_key = cols,
            "u" => {
                let mut cols = cols;
                cols.sort();
                shape.unique.insert(cols);
            }
            "f" => {
                shape.references.insert((cols[0].clone(), cell(&k, 3), cell(&k, 4)));
            }
            _ => shape.checks += 1,
        }
    }
    // A primary key is never empty: said the same way as in the file.
    for shape in out.values_mut() {
        let pk = shape.primary_key.clone();
        for c in &mut shape.columns {
            c.2 &= !pk.contains(&c.0);
        }
    }
    out
}

/// The file's DDL (`sqlite/schema.rs`) and the server's (`pg/schema.rs`)
/// are two texts: this reads both databases as created and compares them
/// table by table, column by column (order, kind of value, empty or not),
/// key by key and constraint by constraint. What differs on purpose is
/// named here, each with its reason.
#[test]
fn the_file_and_the_server_are_made_of_the_same_tables() {
    let Some(server) = Backend::postgres() else {
        return;
    };
    let file = Backend::sqlite();
    drop(file.open());
    drop(server.open());
    let mut sqlite = sqlite_shapes(&file);
    let mut postgres = postgres_shapes(&server);
    // The server marks its database in a row; a file in its header
    // (PRAGMA application_id and user_version).
    assert!(postgres.remove("clinilog_meta").is_some());
    // A server keeps each workstation's drafts apart; a file is one workstation's.
    let drafts = postgres.get_mut("drafts").unwrap();
    assert_eq!(drafts.columns.remove(0), ("workstation".to_owned(), "text", false));
    assert_eq!(drafts.primary_key, ["workstation", "key"]);
    drafts.primary_key.remove(0);
    // SQLite numbers rows itself; an id without AUTOINCREMENT leaves no table behind.
    sqlite.remove("sqlite_sequence");
    // SQLite cannot make a column added later NOT NULL: the file's trigger
    // refuses an audit row without its place in the chain instead.
    let trigger = file
        .raw("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_chained'")
        .unwrap();
    assert!(cell(&trigger[0], 0).contains("NEW.seq IS NULL OR NEW.row_hash IS NULL"));
    for c in &mut sqlite.get_mut("audit_log").unwrap().columns {
        if c.0 == "seq" || c.0 == "row_hash" {
            c.2 = false;
        }
    }
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    // Found by this test: a file's `patients.archived` had no CHECK (0 or
    // 1) where the server's has one. SQLite cannot add a CHECK to a column
    // without rebuilding the table: schema 8 adds triggers that refuse the
    // rest, counted here as the CHECK they stand for.
    let archived = file
        .raw("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'patients_archived_%'")
        .unwrap();
    assert_eq!(archived, [[Some("2".to_owned())]]);
    assert!(
        file.raw("UPDATE patients SET archived = 2").is_ok(),
        "no patient: nothing to refuse"
    );
    sqlite.get_mut("patients").unwrap().checks += 1;
    let differ: Vec<String> = sqlite
        .iter()
        .filter(|(table, shape)| *shape != &postgres[*table])
        .map(|(table, shape)| format!("{table}:\n  file   {shape:?}\n  server {:?}", postgres[table]))
        .collect();
    assert!(differ.is_empty(), "tables that differ:\n{}", differ.join("\n"));
}
