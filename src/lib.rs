//! Clinilog: a clinic-side patient monitoring log.
//!
//! Clinicians record weekly lab results (as printed by the lab), symptom
//! ratings and treatment events for each patient into one local SQLite file,
//! and read them back as tables and trend plots.
//!
//! Layers, with arrows pointing one way (`ui -> store -> domain`,
//! `interop -> domain`, `interop -> store` for imports, `cli -> store |
//! interop | domain`): [`domain`] is
//! the pure model, [`store`] the SQLite file, [`interop`] files in and out,
//! [`ui`] the egui window, [`cli`] the command line. See ARCHITECTURE.md.

pub mod cli;

// The layers are crates of the workspace (`crates/`): a layer that reaches
// up does not compile. Re-exported here under their layer's name.
pub use clinilog_domain as domain;
pub use clinilog_interop as interop;
pub use clinilog_store as store;
pub use clinilog_ui as ui;
