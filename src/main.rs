//! The `clinilog` command: parses the command line and dispatches
//! (`clinilog::cli`); with no subcommand it opens the window.

use std::process::ExitCode;

fn main() -> ExitCode {
    match clinilog::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clinilog: {e:#}");
            ExitCode::FAILURE
        }
    }
}
