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
pub mod domain;
pub mod interop;
pub mod store;
pub mod ui;
