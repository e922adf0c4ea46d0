//! `jixiao`: check, score, explain and what-if from the command line.

mod cli;
mod commands;
mod output;
mod server;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    commands::run(cli.command)
}
