//! The `senco` binary's library: command-line parsing, start-up and the commands.
//!
//! This crate is glue. It turns flags and `SENCO_*` variables into configuration, opens the
//! store, and calls into the other crates. Nothing depends on it.

pub mod backup_file;
pub mod cli;
pub mod commands;
pub mod mail;
pub mod startup;
pub mod telemetry;

use std::process::ExitCode;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
