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
    /// Scrub the personal data of deleted users kept past their organization's
    /// `purge_after_days`, print how many, and exit (`serve` also does it hourly).
    Purge(DatabaseArgs),
    /// Workspaces and their folders (mirrors `/admin/v1/workspaces`).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Grants of roles on workspaces and folders (mirrors `/admin/v1/grants`).
    #[command(subcommand)]
    Grant(GrantCommand),
    /// Group mapping rules (mirrors `/admin/v1/rules`).
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Effective access: why a user has a role, and who has one (mirrors `/admin/v1/access`).
    #[command(subcommand)]
    Access(AccessCommand),
    /// The audit trail (mirrors `/admin/v1/audit`).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Webhooks that receive the organization's events (mirrors `/admin/v1/webhooks`).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// OAuth 2.0 clients for the client credentials grant (mirrors
    /// `/admin/v1/oauth-clients`), and the keys that sign their access tokens.
    #[command(subcommand, name = "oauth-client")]
    OAuthClient(OAuthClientCommand),
    /// JWT issuers an organization trusts (mirrors `/admin/v1/jwt-issuers`); the operator
    /// may delete any organization's registration, to free its key.
    #[command(subcommand, name = "jwt-issuer")]
    JwtIssuer(JwtIssuerCommand),
    /// The key-encryption key that wraps stored secrets and users' data keys.
    #[command(subcommand)]
    Kek(KekCommand),
}

/// `rollcall oauth-client …`.
#[derive(Debug, Subcommand)]
pub enum OAuthClientCommand {
    /// Register a client; its secret is printed once.
    Create {
        /// What to call it.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List the organization's clients (never their secrets).
    List(OrgArgs),
    /// Revoke a client: its access tokens are refused from their next use.
    Revoke {
        /// The client's id.
        id: String,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// Make a new signing key for the organization's access tokens. Tokens signed with the
    /// older keys stay valid until they expire (keys also rotate every 7 days by
    /// themselves).
    RotateKey(OrgArgs),
}

/// `rollcall jwt-issuer …`.
#[derive(Debug, Subcommand)]
pub enum JwtIssuerCommand {
    /// Trust an issuer's JWTs for the organization.
    Create {
        /// The tokens' `iss`.
        #[arg(long)]
        issuer: String,
        /// The tokens' `aud`.
        #[arg(long)]
        audience: String,
        /// Algorithms accepted: HS256, RS256, ES256, EdDSA (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        algorithms: Vec<String>,
        /// A claim tokens must carry, as NAME=VALUE (repeatable), e.g. `tid=<tenant>`.
        #[arg(long = "claim", value_name = "NAME=VALUE")]
        claims: Vec<String>,
        /// The HS256 shared secret, from this environment variable (not the command line).
        #[arg(long, value_name = "VAR")]
        shared_secret_env: Option<String>,
        /// A file holding the PEM public key.
        #[arg(long, value_name = "FILE")]
        public_key_file: Option<std::path::PathBuf>,
        /// The issuer's JWKS URL.
        #[arg(long)]
        jwks_url: Option<String>,
        /// Accept a JWKS URL on a private address (fetched only when the server sets
        /// `webhook_allow_private_addresses = true`).
        #[arg(long)]
        allow_private_address: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List the organization's registrations.
    List(OrgArgs),
    /// Delete a registration. With `--org`, only that organization's; without, any
    /// organization's: the operator's way to free a key another organization holds.
    Delete {
        /// The registration's id.
        id: String,
        /// Only a registration of this organization.
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `rollcall kek …`.
#[derive(Debug, Subcommand)]
pub enum KekCommand {
    /// Rewrap every stored secret and data key from the current key-encryption key
    /// (`ROLLCALL_KEY_ENCRYPTION_KEY`; none: stored in clear) to the one in
    /// `ROLLCALL_NEW_KEY_ENCRYPTION_KEY` (none: store them in clear), in one transaction.
    /// Stop the servers first, and start them again with the new key.
    Rotate(DatabaseArgs),
}

/// `rollcall webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register a webhook: events are POSTed to URL, signed with SECRET
    /// (`X-Rollcall-Signature: sha256=<hex HMAC-SHA256 of the body>`).
    Create {
        /// An http:// or https:// URL.
        #[arg(long)]
        url: String,
        /// The signing secret.
        #[arg(long)]
        secret: String,
        /// Event types, comma-separated (`user.deactivated,user.deleted`), or `*` for all.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Accept a URL whose host is a private IP address or a `localhost` name
        /// (deliveries reach it only when the server sets
        /// `webhook_allow_private_addresses = true`).
        #[arg(long)]
        allow_private_address: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List the organization's webhooks with their delivery state (never their secrets).
    List(OrgArgs),
    /// Delete a webhook.
    Delete {
        /// The webhook's id.
        id: String,
        #[command(flatten)]
        org: OrgArgs,
    },
}

/// `rollcall audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the organization's audit trail to stdout as JSON lines, oldest first.
    Export {
        /// Only records from this RFC 3339 time on.
        #[arg(long)]
        since: Option<String>,
        /// Only records before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// The organization: its id, or its name when no other organization has it.
        #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
        org: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Check the organization's audit hash chain from its first record to its head; name
    /// the first break and exit with status 1 if there is one.
    Verify {
        /// The organization: its id or its name (every organization when omitted).
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// An organization and a database: what every org-scoped admin subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct OrgArgs {
    /// The organization: its id, or its name when no other organization has it.
    #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
    pub org: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Print JSON (what the admin API answers) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `rollcall workspace …`.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace (with its Home folder).
    Create {
        /// Its name.
        name: String,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List the organization's workspaces.
    List(OrgArgs),
    /// Create a folder in a workspace.
    AddFolder {
        /// The workspace's id.
        #[arg(long, value_name = "ID")]
        workspace: String,
        /// The folder's name.
        name: String,
        /// `invite_only` (default), `everyone:editor`, `everyone:participant` or `everyone:viewer`.
        #[arg(long, default_value = "invite_only")]
        team_access: String,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List a workspace's folders (Home first).
    Folders {
        /// The workspace's id.
        #[arg(long, value_name = "ID")]
        workspace: String,
        #[command(flatten)]
        org: OrgArgs,
    },
}

/// `rollcall grant …`.
#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// Grant a role: `--principal user:<id>|group:<id> --resource workspace:<id>|folder:<id> --role editor`.
    Create {
        /// `user:<scim id>` or `group:<scim id>`.
        #[arg(long)]
        principal: String,
        /// `workspace:<id>` or `folder:<id>`.
        #[arg(long)]
        resource: String,
        /// A role tier (aliases accepted).
        #[arg(long)]
        role: String,
        /// Make it time-bound: it stops counting after this many days.
        #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=36500))]
        expires_in_days: Option<u32>,
        /// Print the access changes it would make, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List grants, optionally of one principal or on one resource.
    List {
        /// `user:<id>` or `group:<id>`.
        #[arg(long)]
        principal: Option<String>,
        /// `workspace:<id>` or `folder:<id>`.
        #[arg(long)]
        resource: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// Revoke a grant.
    Revoke {
        /// The grant's id.
        id: String,
        /// Print the access changes it would make, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
}

/// `rollcall rule …`.
#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Add a rule: groups whose displayName matches `--group` (or users whose attributes
    /// match the SCIM filter `--filter`) get `--role` on every workspace whose name matches
    /// `--workspaces` (globs with `*` and `?`).
    Create {
        /// A glob over group displayNames.
        #[arg(long, required_unless_present = "filter", conflicts_with = "filter")]
        group: Option<String>,
        /// A SCIM filter over the user's own attributes, custom extensions included
        /// (an attribute rule), e.g. `title sw "VP"`.
        #[arg(long)]
        filter: Option<String>,
        /// A glob over workspace names.
        #[arg(long)]
        workspaces: String,
        /// A role tier, at most maintainer.
        #[arg(long)]
        role: String,
        /// Print the access changes it would make, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// List the organization's rules.
    List(OrgArgs),
    /// Delete a rule.
    Delete {
        /// The rule's id.
        id: String,
        /// Print the access changes it would make, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        org: OrgArgs,
    },
}

/// `rollcall access …`.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Why a user has the role they have on a resource: every contribution, the winner marked.
    Explain {
        /// The user's SCIM id.
        #[arg(long)]
        user: String,
        /// `workspace:<id>` or `folder:<id>`.
        #[arg(long)]
        resource: String,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// Everyone with a role on a resource, with that role.
    Who {
        /// `workspace:<id>` or `folder:<id>`.
        #[arg(long)]
        resource: String,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// The access review: every user with a role on every workspace and folder (or on
    /// `--resource`), the role and why, as CSV or JSON (what `GET /admin/v1/access/review`
    /// answers), read and written a page of users at a time.
    Review {
        /// `csv` or `json`.
        #[arg(long, value_enum, default_value_t = ReviewFormatArg::Csv)]
        format: ReviewFormatArg,
        /// Only this resource: `workspace:<id>` or `folder:<id>`.
        #[arg(long)]
        resource: Option<String>,
        /// Users per page (each page is read in a transaction of its own).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=5000))]
        page_size: u16,
        /// The organization: its id, or its name when no other organization has it.
        #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
        org: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The format of `rollcall access review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReviewFormatArg {
    /// A header line, then one line per row.
    Csv,
    /// One JSON document.
    Json,
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
    /// `log_format` (`text` or `json`), `event_poll_interval_ms`, `webhook_retry_base_ms`,
    /// `webhook_retry_max_ms`, `event_lease_ms` (how long a crashed instance's claim on a
    /// webhook blocks the others; default 60000), `event_retention_days` (default 7),
    /// `webhook_allow_private_addresses` (default false) and `trusted_proxies` (IP
    /// addresses of reverse proxies whose `X-Forwarded-For` names the client; default none),
    /// `metrics_bind`, `metrics_on_main_address` (default false) and `metrics_per_org`
    /// (default false). `rollcall.example.toml` shows every key.
    #[arg(long, env = "ROLLCALL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL [default: sqlite://./data/rollcall.db].
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on, `IP:PORT` [default: 127.0.0.1:8080].
    #[arg(long, env = "ROLLCALL_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Serve Prometheus `/metrics` on a listener of its own at `IP:PORT` (e.g.
    /// 127.0.0.1:9464), apart from the SCIM address [default: not served, unless the config
    /// file sets `metrics_on_main_address = true`].
    #[arg(long, env = "ROLLCALL_METRICS_BIND", value_name = "ADDR")]
    pub metrics_bind: Option<String>,
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
    /// The organization: its id, or its name when no other organization has it.
    #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
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
    /// The organization: its id, or its name when no other organization has it.
    #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
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
    /// The organization: its id, or its name when no other organization has it.
    #[arg(long, value_name = "ORG", env = "ROLLCALL_ORG")]
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
