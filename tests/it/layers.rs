//! The layers are crates, and a crate can only use what its Cargo.toml
//! names: this reads the workspace's resolved dependency graph (`cargo
//! metadata`) and proves that no layer reaches up. The domain is pure (no
//! window, database, server or typesetting), the stores know no files in
//! or out nor the window, interop knows no window.

use std::collections::{BTreeSet, HashMap};

/// Every package each workspace crate builds on (normal dependencies, all
/// the way down), by crate name.
fn closures() -> HashMap<String, BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let normal: HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
                .map(|d| d["pkg"].as_str().unwrap())
                .collect();
            (n["id"].as_str().unwrap(), deps)
        })
        .collect();
    let mut out = HashMap::new();
    for member in meta["workspace_members"].as_array().unwrap() {
        let id = member.as_str().unwrap();
        let mut seen = BTreeSet::new();
        let mut todo = vec![id];
        while let Some(next) = todo.pop() {
            for d in &normal[next] {
                if seen.insert(name_of[d].to_owned()) {
                    todo.push(d);
                }
            }
        }
        out.insert(name_of[id].to_owned(), seen);
    }
    out
}

#[test]
fn no_layer_reaches_up() {
    let all = closures();
    let forbidden: [(&str, &[&str]); 5] = [
        (
            "clinilog-domain",
            &[
                "clinilog-store",
                "clinilog-interop",
                "clinilog-ui",
                "clinilog",
                "egui",
                "eframe",
                "rusqlite",
                "postgres",
                "typst",
            ],
        ),
        (
            "clinilog-store",
            &["clinilog-interop", "clinilog-ui", "clinilog", "egui", "eframe", "typst"],
        ),
        ("clinilog-interop", &["clinilog-ui", "clinilog", "egui", "eframe"]),
        ("clinilog-ui", &["clinilog"]),
        // The pixel work on scans: the domain's words and images, nothing more.
        (
            "clinilog-ocr",
            &[
                "clinilog-store",
                "clinilog-interop",
                "clinilog-ui",
                "clinilog",
                "egui",
                "rusqlite",
                "typst",
            ],
        ),
    ];
    for (layer, above) in forbidden {
        let deps = all
            .get(layer)
            .unwrap_or_else(|| panic!("{layer} is no workspace crate"));
        for name in above {
            assert!(!deps.contains(*name), "{layer} builds on {name}: a layer reaches up");
        }
    }
    // The arrows that are meant: each layer on the ones below it.
    assert!(all["clinilog-store"].contains("clinilog-domain"));
    assert!(all["clinilog-interop"].contains("clinilog-store"));
    assert!(all["clinilog-ui"].contains("clinilog-interop"));
    assert!(all["clinilog"].contains("clinilog-ui"));
}

/// The store's records are written once, over its connection trait: no
/// file under `records/` names a driver, so a rule written there holds for
/// the file and the server alike (and a driver's type cannot creep in).
#[test]
fn the_records_name_no_driver() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/clinilog-store/src/records");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        files += 1;
        for driver in ["rusqlite", "postgres::", "postgres_types", "tokio_postgres"] {
            assert!(
                !text.contains(driver),
                "{} names {driver}: the records are written over crate::sql only",
                path.display()
            );
        }
    }
    assert!(files >= 10, "the records are in {}", dir.display());
}
