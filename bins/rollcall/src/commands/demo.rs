//! `rollcall serve --demo`: on a database without any organization, create the
//! organization "demo" and tell a person how to reach it.

use anyhow::Context;
use rollcall_store::Store;

use super::org::{self, CreatedOrg};

/// The demo organization, when this run created it.
pub type DemoOrg = CreatedOrg;

/// Create the demo organization if the database has none; `None` when it already has one.
pub fn ensure(store: &Store) -> anyhow::Result<Option<DemoOrg>> {
    let orgs = store
        .read(|tx| tx.orgs().list())
        .context("cannot list the organizations")?;
    if let Some(first) = orgs.first() {
        tracing::info!(
            organizations = orgs.len(),
            first_org_id = %first.id,
            "--demo: the database already has organizations, none created \
             (new token: rollcall token create --org ID)"
        );
        return Ok(None);
    }
    org::create(store, "demo").map(Some)
}

/// Print the demo organization's SCIM base URL, token and a curl example to stdout.
pub fn print(org: &DemoOrg, base_url: &str) {
    let token = &org.scim_token;
    println!();
    println!("Demo organization created (org id {}).", org.org_id);
    println!();
    println!("  SCIM base URL:  {base_url}");
    println!("  SCIM token:     {token}");
    println!("  admin token:    {}", org.admin_token);
    println!(
        "  admin console:  {}/console (sign in with the admin token)",
        base_url.trim_end_matches("/scim/v2")
    );
    println!();
    println!("The tokens are shown only this once. Try:");
    println!();
    println!("  curl -s -X POST {base_url}/Users \\");
    println!("    -H 'Authorization: Bearer {token}' \\");
    println!("    -H 'Content-Type: application/scim+json' \\");
    println!(
        "    -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"ann@example.com\"}}'"
    );
    println!();
    println!("  curl -s -G {base_url}/Users -H 'Authorization: Bearer {token}' \\");
    println!("    --data-urlencode 'filter=userName eq \"ann@example.com\"'");
    println!();
}
