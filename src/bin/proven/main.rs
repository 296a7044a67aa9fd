//! `proven`: certified bounds and probabilistic certificates from the command line.
//!
//! Subcommands: `bounds`, `verify`, `certify`, `radius` (see `proven --help`). With `--json`
//! the result is one JSON object on stdout; errors go to stderr with a non-zero exit.
#![forbid(unsafe_code)]

mod args;
mod input;
mod run;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    match run::run(cli) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("proven: error: {e}");
            std::process::exit(1);
        }
    }
}
