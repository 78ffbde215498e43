//! `rollcall`: the server and admin CLI (PRODUCT.md §10).
//!
//! `main` only parses the command line, sets up logging and hands over to a command;
//! each command lives in its own module.

mod cli;
mod clock;
mod commands;
mod config;
mod logging;
mod maintenance;
mod serve;
mod urls;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// A failure is a message on stderr (the error and its causes on one line, never a
/// backtrace, whatever `RUST_BACKTRACE` says: a user's mistake is not a crash) and exit
/// status 1.
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = config::Settings::resolve(&args)?;
            logging::init(settings.log_format);
            serve::run(settings)
        }
        Command::Org(command) => {
            logging::init(config::LogFormat::Text);
            commands::org::run(command)
        }
        Command::Token(command) => {
            logging::init(config::LogFormat::Text);
            commands::token::run(command)
        }
        Command::Workspace(command) => {
            logging::init(config::LogFormat::Text);
            commands::access::workspace(command)
        }
        Command::Grant(command) => {
            logging::init(config::LogFormat::Text);
            commands::access::grant(command)
        }
        Command::Rule(command) => {
            logging::init(config::LogFormat::Text);
            commands::access::rule(command)
        }
        Command::Access(command) => {
            logging::init(config::LogFormat::Text);
            commands::access::access(command)
        }
        Command::Audit(command) => {
            logging::init(config::LogFormat::Text);
            commands::audit::run(command)
        }
        Command::Webhook(command) => {
            logging::init(config::LogFormat::Text);
            commands::webhook::run(command)
        }
        Command::OAuthClient(command) => {
            logging::init(config::LogFormat::Text);
            commands::credentials::oauth_client(command)
        }
        Command::JwtIssuer(command) => {
            logging::init(config::LogFormat::Text);
            commands::credentials::jwt_issuer(command)
        }
        Command::Kek(command) => {
            logging::init(config::LogFormat::Text);
            commands::credentials::kek(command)
        }
        Command::Migrate(args) => {
            logging::init(config::LogFormat::Text);
            commands::migrate::run(args)
        }
        Command::Purge(args) => {
            logging::init(config::LogFormat::Text);
            commands::purge::run(args)
        }
    }
}
