//! The command line (PRODUCT.md §10), as clap derive types. Parsing only: the commands
//! themselves live in `serve` and `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The default database: an SQLite file under `./data` (created when missing).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/rollcall.db";

/// The default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Rollcall: a SCIM 2.0 service provider.
///
/// Identity providers (Okta, Microsoft Entra ID, Google Workspace, any RFC 7644 client)
/// provision users and groups at `http://HOST:PORT/scim/v2` with a bearer SCIM token of
/// one organization. The database is SQLite (`sqlite://path`, the default) or PostgreSQL
/// (`postgres://…`), chosen from the URL. Logs go to stderr; `RUST_LOG` sets the level
/// (default `info`).
#[derive(Debug, Parser)]
#[command(name = "rollcall", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server: migrate the database, then serve `/scim/v2`.
    Serve(ServeArgs),
    /// Manage organizations (tenants).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage the API tokens of an organization.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run pending database migrations and exit (also done by `serve`).
    Migrate(DatabaseArgs),
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path` or `postgres://user@host:port/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_name = "URL")]
    pub database_url: String,
}

/// `rollcall serve`.
///
/// Precedence: command-line flag, then environment variable, then the config file, then
/// the default.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A TOML config file with any of the keys `database_url`, `bind`, `max_body_bytes`,
    /// `log_format` (`text` or `json`).
    #[arg(long, env = "ROLLCALL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL [default: sqlite://./data/rollcall.db].
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on, `IP:PORT` [default: 127.0.0.1:8080].
    #[arg(long, env = "ROLLCALL_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// On a database without any organization, create the organization "demo" and print
    /// its SCIM base URL, a SCIM token and a curl example.
    #[arg(long)]
    pub demo: bool,
}

/// `rollcall org …`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization with a SCIM token and an admin token (shown once).
    Create(OrgCreateArgs),
}

/// `rollcall org create`.
#[derive(Debug, Args)]
pub struct OrgCreateArgs {
    /// The organization's name.
    pub name: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Where the server listens, for the SCIM base URL printed without `--json`.
    #[arg(long, env = "ROLLCALL_BIND", default_value = DEFAULT_BIND, value_name = "ADDR")]
    pub bind: String,
    /// Print exactly one JSON object: `{"org_id", "scim_token", "admin_token"}`.
    #[arg(long)]
    pub json: bool,
}

/// `rollcall token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (its secret is shown once).
    Create(TokenCreateArgs),
    /// List an organization's tokens (never their secrets).
    List(TokenListArgs),
    /// Revoke a token; it stops working on the next request.
    Revoke(TokenRevokeArgs),
}

/// The two kinds of token, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenKindArg {
    /// A SCIM bearer token (`/scim/v2`).
    Scim,
    /// An admin token (`/admin/v1`).
    Admin,
}

/// `rollcall token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The organization's id.
    #[arg(long, value_name = "ID")]
    pub org: String,
    /// The kind of token.
    #[arg(long, value_enum, default_value_t = TokenKindArg::Scim)]
    pub kind: TokenKindArg,
    /// A label, e.g. the identity provider that will use it.
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    /// Expire the token after this many days (default: never).
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub expires_in_days: Option<u32>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `rollcall token list`.
#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// The organization's id.
    #[arg(long, value_name = "ID")]
    pub org: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `rollcall token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The organization's id.
    #[arg(long, value_name = "ID")]
    pub org: String,
    /// The id of the token to revoke (from `token list`).
    pub token_id: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
