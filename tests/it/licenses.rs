//! The licences Help > About shows (`assets/package/licenses.txt`) are
//! generated from the dependency graph, not written by hand: this test
//! makes the list from `cargo metadata` (the program's normal dependencies
//! on this platform) and fails when the file differs. To write it again
//! after a dependency changed:
//! `CLINILOG_WRITE_LICENSES=1 cargo nextest run licenses`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

fn host() -> String {
    let out = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap()
}

/// Every crate the `clinilog` program is built from on this platform, with
/// its version and licence expression.
fn crates() -> BTreeSet<(String, String, String)> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--locked",
            "--filter-platform",
        ])
        .arg(host())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages: HashMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: HashMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = packages
        .values()
        .find(|p| p["name"] == "clinilog" && p["source"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        for d in nodes[id]["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let pkg = d["pkg"].as_str().unwrap();
            if normal && seen.insert(pkg) {
                todo.push(pkg);
            }
        }
    }
    seen.into_iter()
        .map(|id| packages[id])
        .filter(|p| !p["source"].is_null())
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
                p["license"]
                    .as_str()
                    .unwrap_or("see the crate's licence file")
                    .to_owned(),
            )
        })
        .collect()
}

fn list() -> String {
    let crates = crates();
    let mut by_licence: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, licence) in &crates {
        *by_licence.entry(licence.as_str()).or_default() += 1;
    }
    let mut out = format!(
        "Clinilog is licensed MIT OR Apache-2.0. It is built from {} crates from crates.io, under these licences \
         (generated from cargo metadata):\n\n",
        crates.len()
    );
    let mut counts: Vec<_> = by_licence.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (licence, n) in counts {
        out.push_str(&format!("{n:>4}  {licence}\n"));
    }
    out.push_str("\nEach crate, its version and licence:\n\n");
    for (name, version, licence) in &crates {
        out.push_str(&format!("{name} {version}: {licence}\n"));
    }
    out
}

#[test]
fn the_licences_shown_are_those_of_the_dependency_graph() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/package/licenses.txt");
    let made = list();
    if std::env::var_os("CLINILOG_WRITE_LICENSES").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == made,
        "{} is not the dependency graph's: write it again with CLINILOG_WRITE_LICENSES=1 cargo nextest run licenses",
        path.display()
    );
    assert!(made.contains("rusqlite "), "{made}");
    assert!(made.contains("eframe "), "{made}");
}
