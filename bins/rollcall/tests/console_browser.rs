//! The admin console in a real browser (PRODUCT.md §8): Debian's `chromium`, driven through
//! `chromedriver` (WebDriver) against a real `rollcall serve`. One admin's first hour:
//! sign in (by keyboard), create a SCIM token and see it once, find a user by filter, ask
//! why they have a role, add a grant after its preview, find the grant's record in the
//! audit page. Every page is checked for landmarks, headings and labelled controls, and
//! photographed at a laptop's and a phone's width into `target/console-screenshots/`.
//!
//! Without `chromium` and `chromedriver` the test says it skipped, unless `CI=true`: then
//! it fails (`.ci/run` installs both).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use support::{Server, TempSqlite, agent, create_org, create_user, free_port};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The widths every page is photographed and checked at: a laptop and a phone.
const WIDTHS: [(&str, u32, u32); 2] = [("laptop", 1366, 900), ("phone", 390, 844)];

/// A running chromedriver, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Start chromedriver, or say why not (`None`: skipped, outside CI).
    fn start() -> Option<Driver> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|path| !std::path::Path::new(path).exists())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "the console's browser test needs {} (apt-get install -y chromium chromium-driver)",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|value| value == "true") {
                panic!("{message}; CI=true, so this is a failure");
            }
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while agent().get(&format!("{url}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Driver { child, url })
    }

    async fn browser(&self) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1366,900", "--lang=en-US"],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a chromium session")
    }
}

/// Where the screenshots go: `target/console-screenshots/`.
fn screenshots() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test> → target
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The automated accessibility check of the page in the browser: one `main`, one `h1`, no
/// skipped heading level, a labelled `nav`, `lang` and a title, every control with an
/// accessible name, every table with headers, every chart named; and nothing wider than a
/// phone's screen (wide tables scroll inside their own box).
const A11Y: &str = r#"
const problems = [];
const named = (el) => {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
  if (el.id && document.querySelector('label[for="' + el.id + '"]')) return true;
  if (el.closest('label')) return true;
  if ((el.tagName === 'BUTTON' || el.tagName === 'A') && el.textContent.trim()) return true;
  return false;
};
document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]').forEach((el) => {
  if (!named(el)) problems.push('no accessible name: ' + el.outerHTML.slice(0, 100));
});
if (document.querySelectorAll('main').length !== 1) problems.push('main landmarks: ' + document.querySelectorAll('main').length);
if (document.querySelectorAll('h1').length !== 1) problems.push('h1 elements: ' + document.querySelectorAll('h1').length);
let last = 0;
document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach((h) => {
  const level = Number(h.tagName[1]);
  if (level > last + 1) problems.push('heading level skipped before ' + h.tagName + ' ' + h.textContent);
  last = level;
});
document.querySelectorAll('nav').forEach((nav) => { if (!named(nav)) problems.push('nav without a label'); });
document.querySelectorAll('svg[role=img]').forEach((svg) => { if (!named(svg)) problems.push('chart without a name'); });
document.querySelectorAll('table').forEach((table) => { if (!table.querySelector('th')) problems.push('table without headers'); });
if (!document.documentElement.lang) problems.push('html without lang');
if (!document.title) problems.push('no title');
if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push('wider than the window: ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth);
return problems;
"#;

/// Check the current page at both widths and photograph it as `name`.
async fn look(browser: &Client, name: &str) {
    for (width_name, width, height) in WIDTHS {
        browser.set_window_size(width, height).await.unwrap();
        let problems = browser.execute(A11Y, vec![]).await.unwrap();
        assert_eq!(problems, json!([]), "{name} at {width_name} width");
        let png = browser.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{width_name}.png")), png).unwrap();
    }
    let (width, height) = (WIDTHS[0].1, WIDTHS[0].2);
    browser.set_window_size(width, height).await.unwrap();
}

async fn wait_for(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(locator)
        .await
        .unwrap()
}

/// Choose the option of a `select` by its label, or by its value when no label matches.
async fn select(browser: &Client, locator: Locator<'_>, option: &str) {
    let element = browser.find(locator).await.unwrap();
    if element.select_by_label(option).await.is_err() {
        element.select_by_value(option).await.unwrap();
    }
}

/// Click, and when the click navigates (a link, a form's submit), wait until the page it
/// left is gone, so what the test reads next is the new page's, not the old one's. A
/// click that stays on the page (a copy button) costs up to the wait.
async fn click(browser: &Client, locator: Locator<'_>) {
    let page = browser.find(Locator::Css("html")).await.unwrap();
    browser.find(locator).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while page.tag_name().await.is_ok() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn type_into(browser: &Client, locator: Locator<'_>, text: &str) {
    browser
        .find(locator)
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// The text of the first element `css` finds, once there is one (a page still loading
/// has none yet).
async fn text_of(browser: &Client, css: &str) -> String {
    wait_for(browser, Locator::Css(css))
        .await
        .text()
        .await
        .unwrap()
}

/// `POST /admin/v1/{path}` with the admin token: the answer's JSON.
fn admin_post(base: &str, token: &str, path: &str, body: &Value) -> Value {
    let mut response = agent()
        .post(&format!("{base}/admin/v1/{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admins_first_hour_in_a_real_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let db = TempSqlite::new();
    let org = create_org(&db.url, "Acme");
    let server = Server::start(&db.url);
    let scim = server.base_url.clone();
    let origin = scim.trim_end_matches("/scim/v2").to_owned();
    let console = format!("{origin}/console");
    // The directory an IdP pushed: two users, a group, a workspace.
    let ann = create_user(&scim, &org.scim_token, "ann@example.com").body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        create_user(&scim, &org.scim_token, "bob@example.com").status,
        201
    );
    let hostile = create_user(&scim, &org.scim_token, "<script>alert(1)</script>");
    assert_eq!(hostile.status, 201);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering", "members": [{"value": ann}]});
    let created = agent()
        .post(&format!("{scim}/Groups"))
        .header("Authorization", &format!("Bearer {}", org.scim_token))
        .header("Content-Type", "application/scim+json")
        .send(group.to_string())
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let workspace = admin_post(
        &origin,
        &org.admin_token,
        "workspaces",
        &json!({"name": "Q3 Plans"}),
    );
    let workspace_id = workspace["id"].as_str().unwrap().to_owned();

    let browser = driver.browser().await;

    // Signed out, the console asks for the admin token; signed in by keyboard alone.
    browser.goto(&console).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/sign-in")
    );
    look(&browser, "sign-in").await;
    let token_field = browser.find(Locator::Id("token")).await.unwrap();
    token_field.send_keys(&org.admin_token).await.unwrap();
    token_field.send_keys("\u{E007}").await.unwrap(); // Enter
    wait_for(&browser, Locator::Css("nav[aria-label=Console]")).await;
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/overview")
    );
    assert_eq!(text_of(&browser, "h1").await, "Overview");
    let page = browser.source().await.unwrap();
    assert!(
        page.contains(&format!("{origin}/scim/v2")),
        "the SCIM base URL to paste"
    );
    look(&browser, "overview").await;
    // The first Tab reaches the skip link.
    type_into(&browser, Locator::Css("body"), "\u{E004}").await;
    let focused = browser.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Skip to content");

    // A SCIM token, created and shown once.
    type_into(&browser, Locator::Id("token-name"), "okta-prod").await;
    click(
        &browser,
        Locator::XPath("//button[normalize-space()='Create token']"),
    )
    .await;
    let secret = wait_for(&browser, Locator::Css(".secret"))
        .await
        .text()
        .await
        .unwrap();
    assert!(secret.starts_with("rc_scim_"), "{secret}");
    look(&browser, "token-created").await;
    // It works, and the overview never shows it again.
    let works = agent()
        .get(&format!("{scim}/Users"))
        .header("Authorization", &format!("Bearer {secret}"))
        .call()
        .unwrap();
    assert_eq!(works.status().as_u16(), 200);
    browser.goto(&format!("{console}/overview")).await.unwrap();
    assert!(
        browser
            .find_all(Locator::Css(".secret"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!browser.source().await.unwrap().contains(&secret));

    // Find a user by filter; the hostile name is text.
    click(&browser, Locator::LinkText("Directory")).await;
    look(&browser, "directory").await;
    let page = browser.source().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let alerted = browser.get_alert_text().await;
    assert!(alerted.is_err(), "no script ran: {alerted:?}");
    type_into(
        &browser,
        Locator::Id("filter"),
        "userName eq \"ann@example.com\"",
    )
    .await;
    click(
        &browser,
        Locator::XPath("//main//button[normalize-space()='Search']"),
    )
    .await;
    wait_for(&browser, Locator::LinkText("ann@example.com")).await;
    let rows = browser
        .find_all(Locator::Css("main tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only ann");
    click(&browser, Locator::LinkText("ann@example.com")).await;
    wait_for(&browser, Locator::LinkText("Engineering")).await;
    look(&browser, "user").await;

    // A grant to Engineering on Q3 Plans: the preview first, then saved.
    browser.goto(&format!("{console}/access")).await.unwrap();
    look(&browser, "access").await;
    select(&browser, Locator::Id("grant-group"), "Engineering").await;
    select(&browser, Locator::Id("grant-resource"), "Q3 Plans").await;
    select(&browser, Locator::Id("grant-role"), "editor").await;
    click(
        &browser,
        Locator::XPath("//fieldset[legend='Add a grant']//button"),
    )
    .await;
    wait_for(&browser, Locator::Css("caption")).await;
    assert_eq!(text_of(&browser, "h1").await, "Preview");
    let preview = text_of(&browser, "main table").await;
    assert!(
        preview.contains("ann@example.com") && preview.contains("editor"),
        "{preview}"
    );
    assert!(preview.contains("none"), "before: none: {preview}");
    look(&browser, "grant-preview").await;
    // Nothing saved yet.
    let grants = agent()
        .get(&format!("{origin}/admin/v1/grants"))
        .header("Authorization", &format!("Bearer {}", org.admin_token))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(grants.contains("\"grants\":[]"), "{grants}");
    browser
        .find(Locator::XPath(
            "//button[starts-with(normalize-space(), 'Confirm')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, Locator::Css("p.notice[role=status]")).await;
    assert!(
        text_of(&browser, "main")
            .await
            .contains("group Engineering")
    );
    look(&browser, "access-granted").await;

    // Why does ann have editor on Q3 Plans?
    type_into(&browser, Locator::Id("why-user"), "ann@example.com").await;
    select(&browser, Locator::Id("why-resource"), "Q3 Plans").await;
    click(
        &browser,
        Locator::XPath("//button[normalize-space()='Explain']"),
    )
    .await;
    wait_for(&browser, Locator::Css("main table")).await;
    let answer = text_of(&browser, "main p.notice").await;
    assert_eq!(answer, "ann@example.com has editor on Q3 Plans.");
    assert!(
        text_of(&browser, "main table")
            .await
            .contains("Engineering")
    );
    look(&browser, "why").await;

    // Who has access to Q3 Plans.
    browser
        .goto(&format!(
            "{console}/access/who?resource=workspace:{workspace_id}"
        ))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "main table")
            .await
            .contains("ann@example.com")
    );
    look(&browser, "who").await;

    // The grant's record in the audit page, with the access it changed.
    browser.goto(&format!("{console}/audit")).await.unwrap();
    type_into(&browser, Locator::Id("type"), "grant.create").await;
    click(
        &browser,
        Locator::XPath("//button[normalize-space()='Filter']"),
    )
    .await;
    wait_for(&browser, Locator::Css("main tbody tr")).await;
    let rows = browser
        .find_all(Locator::Css("main tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows[0].text().await.unwrap();
    assert!(
        row.contains("grant.create") && row.contains("ann@example.com on Q3 Plans: none → editor"),
        "{row}"
    );
    assert!(
        row.contains("admin:"),
        "the admin credential is the actor: {row}"
    );
    look(&browser, "audit").await;

    // Health (with its chart) and webhooks.
    browser.goto(&format!("{console}/health")).await.unwrap();
    browser.find(Locator::Css("svg.chart")).await.unwrap();
    look(&browser, "health").await;
    browser.goto(&format!("{console}/webhooks")).await.unwrap();
    look(&browser, "webhooks").await;

    // Signing out ends the session.
    browser
        .find(Locator::XPath(
            "//header//button[normalize-space()='Sign out']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, Locator::Id("token")).await;
    browser.goto(&format!("{console}/overview")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/sign-in")
    );
    browser.close().await.unwrap();
    drop(server);
}
