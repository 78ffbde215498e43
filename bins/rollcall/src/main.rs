//! `rollcall`: the server and admin CLI (PRODUCT.md §10).

fn main() -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
