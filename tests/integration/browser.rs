//! The web office in a real browser: headless Chromium driven over
//! WebDriver (chromedriver, started here) against the office served in
//! process. One scenario, one browser: the bureau du DASEN signs in by a
//! one-time link, opens a PAR case with two guardians, finds it in the list,
//! sets the interview's appointment, marks the convocation done from the
//! link of a reminder email and subscribes to its calendar feed; then the
//! refusals: a form without its CSRF token, a partner asking for an
//! individual case, a login link opened after 16 minutes. Every page
//! visited is checked with axe-core, and the main ones are photographed
//! under `target/screenshots/` (desktop, and phone-sized for two).
//!
//! The WebDriver protocol is spoken here over `reqwest` (a few JSON
//! commands): fantoccini's rustls client cannot start in this dependency
//! graph, whose rustls has both the `ring` and `aws-lc-rs` providers on and
//! so no process-wide default (hyper-rustls's `with_native_roots` panics).
//!
//! `scripts/test` installs Chromium, chromedriver and axe-core and sets
//! `ECHEANCIER_TEST_CHROMEDRIVER` and `ECHEANCIER_TEST_AXE`; without them
//! the test fails, as the Matrix tests do without Synapse: never a silent
//! pass.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echeancier::app::Options;
use echeancier::channel::ActionLinks;
use echeancier::config::{EmailMode, Settings, WebSettings};
use echeancier::store::StepStatus;
use serde_json::{Value, json};

use crate::util::{TestApp, app_at, paris_noon};

/// How long one page may take to load, or chromedriver to start.
const PATIENCE: Duration = Duration::from_secs(20);

/// Desktop window, and the phone's (an iPhone 12–15's viewport).
const DESKTOP: (u32, u32) = (1280, 1000);
const PHONE: (u32, u32) = (390, 844);

fn required_env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not set: run scripts/test, which installs Chromium, chromedriver and \
                 axe-core and sets ECHEANCIER_TEST_CHROMEDRIVER and ECHEANCIER_TEST_AXE"
            )
        })
}

/// chromedriver on a loopback port of its own, killed with its browsers
/// when the test ends, passed or not.
struct Driver {
    child: Child,
    url: String,
    /// Chromium's profile and chromedriver's log: removed with the guard.
    dir: tempfile::TempDir,
}

impl Driver {
    async fn start(binary: &str) -> Driver {
        let dir = tempfile::tempdir().expect("temp dir");
        // A free port: the kernel picks one, chromedriver takes it over.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).expect("log file");
        let mut command = Command::new(binary);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log);
        // Its own process group: the Drop below ends Chromium with it, even
        // when a panic skips closing the session.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} does not start: {e}"));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = match http.get(format!("{}/status", driver.url)).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == json!(true)),
                Err(_) => false,
            };
            if ready {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready on {} after {PATIENCE:?}: {}",
                driver.url,
                driver.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    fn profile(&self) -> PathBuf {
        self.dir.path().join("profil")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group (chromedriver and the Chromium it launched), by
        // the id of the process started above.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How WebDriver names an element in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How an element is found.
#[derive(Clone, Copy)]
enum Locator<'a> {
    Css(&'a str),
    Id(&'a str),
    XPath(&'a str),
}

/// A W3C WebDriver session: the commands this test uses, named as
/// fantoccini names them.
struct Client {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
}

/// An element of the current document.
struct Element<'a> {
    client: &'a Client,
    id: String,
}

impl Client {
    async fn connect(driver: &str, capabilities: Value) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| e.to_string())?;
        let answer: Value = http
            .post(format!("{driver}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| answer.to_string())?;
        Ok(Client {
            http,
            session: format!("{driver}/session/{id}"),
        })
    }

    /// One command: its `value`, or WebDriver's error as text.
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let value = answer["value"].clone();
        match value.get("error") {
            Some(error) => Err(format!(
                "{path}: {error}: {}",
                value["message"].as_str().unwrap_or_default()
            )),
            None => Ok(value),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    async fn goto(&self, url: &str) -> Result<(), String> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    async fn current_url(&self) -> Result<String, String> {
        Ok(self.get("/url").await?.as_str().unwrap_or_default().to_string())
    }

    async fn find(&self, locator: Locator<'_>) -> Result<Element<'_>, String> {
        let id_css;
        let (using, value) = match locator {
            Locator::Css(css) => ("css selector", css),
            Locator::Id(id) => {
                id_css = format!("[id=\"{id}\"]");
                ("css selector", id_css.as_str())
            }
            Locator::XPath(xpath) => ("xpath", xpath),
        };
        let found = self
            .post("/element", json!({ "using": using, "value": value }))
            .await?;
        let id = found[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element id in {found}"))?;
        Ok(Element {
            client: self,
            id: id.to_string(),
        })
    }

    async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    async fn set_window_size(&self, width: u32, height: u32) -> Result<(), String> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await
            .map(drop)
    }

    async fn screenshot(&self) -> Result<Vec<u8>, String> {
        use base64::Engine;
        let png = self.get("/screenshot").await?;
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    /// Ends the session: chromedriver closes the browser.
    async fn close(self) -> Result<(), String> {
        self.cmd(reqwest::Method::DELETE, "", None).await.map(drop)
    }
}

impl Element<'_> {
    fn path(&self, what: &str) -> String {
        format!("/element/{}/{what}", self.id)
    }

    async fn click(&self) -> Result<(), String> {
        self.client.post(&self.path("click"), json!({})).await.map(drop)
    }

    async fn clear(&self) -> Result<(), String> {
        self.client.post(&self.path("clear"), json!({})).await.map(drop)
    }

    async fn send_keys(&self, text: &str) -> Result<(), String> {
        self.client
            .post(&self.path("value"), json!({ "text": text }))
            .await
            .map(drop)
    }

    async fn text(&self) -> Result<String, String> {
        let text = self.client.get(&self.path("text")).await?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    async fn prop(&self, name: &str) -> Result<Option<String>, String> {
        let value = self.client.get(&self.path(&format!("property/{name}"))).await?;
        Ok(value.as_str().map(str::to_string))
    }

    /// (x, y, width, height) in CSS pixels.
    async fn rectangle(&self) -> Result<(f64, f64, f64, f64), String> {
        let r = self.client.get(&self.path("rect")).await?;
        let n = |k: &str| r[k].as_f64().unwrap_or_default();
        Ok((n("x"), n("y"), n("width"), n("height")))
    }
}

/// One axe-core violation on one page.
struct Violation {
    page: String,
    id: String,
    impact: String,
    help: String,
    targets: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} ({}): {} — {}",
            self.page,
            self.id,
            self.impact,
            self.help,
            self.targets.join(" | ")
        )
    }
}

/// The browser, the office's address, and what axe found so far.
struct Browser {
    client: Client,
    base: String,
    axe: String,
    violations: Vec<Violation>,
    shots: PathBuf,
}

/// A button by its exact label (labels hold no double quote).
fn button(label: &str) -> String {
    format!("//button[normalize-space()=\"{label}\"]")
}

impl Browser {
    /// Opens `path` of the office, or an absolute URL, and checks the page.
    async fn open(&mut self, target: &str, page: &str) {
        let url = if target.starts_with("http") {
            target.to_string()
        } else {
            format!("{}{target}", self.base)
        };
        self.client.goto(&url).await.expect("navigation");
        self.check(page).await;
    }

    /// Clicks what `xpath` finds (a link, a form's button) and waits for
    /// the next document, then checks it.
    async fn click(&mut self, xpath: &str, page: &str) {
        self.client
            .execute("window.__avant_envoi = true;", vec![])
            .await
            .expect("mark the page");
        let here = self.url().await;
        self.client
            .find(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("{xpath} on {here}: {e}"))
            .click()
            .await
            .expect("click");
        let deadline = Instant::now() + PATIENCE;
        loop {
            // A new document has no mark; "complete" once it is loaded.
            let loaded = self
                .client
                .execute(
                    "return window.__avant_envoi === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == json!(true));
            if loaded {
                break;
            }
            assert!(Instant::now() < deadline, "no page after clicking {xpath}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.check(page).await;
    }

    async fn url(&self) -> String {
        self.client.current_url().await.unwrap_or_default()
    }

    async fn h1(&self) -> String {
        self.client
            .find(Locator::Css("main h1"))
            .await
            .expect("h1")
            .text()
            .await
            .expect("h1 text")
    }

    /// The visible text of the main area.
    async fn main_text(&self) -> String {
        self.client
            .find(Locator::Css("main"))
            .await
            .expect("main")
            .text()
            .await
            .expect("text")
    }

    async fn type_into(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await.expect(id);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// axe-core on the current document: every violation is kept, the
    /// serious and critical ones fail the test at the end.
    async fn check(&mut self, page: &str) {
        // Each document starts without axe: injected every time.
        self.client
            .execute(&self.axe, vec![])
            .await
            .expect("axe-core injected");
        let found = self
            .client
            .execute_async(
                // A table's selector says little: its caption goes with it.
                "const done = arguments[arguments.length - 1];
                 const caption = n => {
                     const el = document.querySelector(n.target[0]);
                     const c = el && el.closest('table') && el.closest('table').querySelector('caption');
                     if (c) { n.html += ' (tableau « ' + c.textContent.trim() + ' »)'; }
                 };
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => { r.violations.forEach(v => v.nodes.forEach(caption)); return r; })
                    .then(r => done(JSON.stringify(r.violations)))
                    .catch(e => done(JSON.stringify({ erreur: String(e) })));",
                vec![],
            )
            .await
            .expect("axe.run");
        let mut found: Value =
            serde_json::from_str(found.as_str().expect("axe answers a string")).expect("JSON");
        // What axe does not see: the DSFR orders a card's content with CSS
        // `order`, so an element placed beside the title without its
        // `fr-card__end` shows above it, against the reading order
        // (WCAG 1.3.2).
        let misplaced = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll('.fr-card__content')).flatMap(c => {
                     const title = c.querySelector(':scope > .fr-card__title');
                     if (!title) { return []; }
                     const top = title.getBoundingClientRect().top;
                     return Array.from(c.children)
                         .filter(e => e !== title && e.getClientRects().length > 0 && e.getBoundingClientRect().top < top - 1)
                         .map(e => ({ target: [e.tagName.toLowerCase() + '.' + e.className], html: e.outerHTML.slice(0, 200) + ' (au-dessus de « ' + title.textContent.trim() + ' »)' }));
                 });",
                vec![],
            )
            .await
            .expect("card order");
        if let (Some(list), Some(nodes)) = (found.as_array_mut(), misplaced.as_array())
            && !nodes.is_empty()
        {
            list.push(json!({
                "id": "ordre-carte",
                "impact": "serious",
                "help": "Le contenu d'une carte DSFR s'affiche dans l'ordre de lecture : titre d'abord",
                "nodes": nodes,
            }));
        }
        let list = found
            .as_array()
            .unwrap_or_else(|| panic!("axe failed on {page}: {found}"));
        for v in list {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            self.violations.push(Violation {
                page: page.to_string(),
                id: text("id"),
                impact: text("impact"),
                help: text("help"),
                targets: v["nodes"]
                    .as_array()
                    .map(|nodes| {
                        nodes
                            .iter()
                            .map(|n| {
                                // The selector, and the element's opening tag to find it in src/.
                                let html: String =
                                    n["html"].as_str().unwrap_or_default().chars().take(240).collect();
                                format!("{} {html}", n["target"])
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }

    /// The whole page as a PNG: the window grows to the document's height
    /// for the picture, then returns to `size`.
    async fn shot(&self, name: &str, size: (u32, u32)) {
        let height = self
            // The window is taller than the page's viewport (the browser's
            // own frame), by this much.
            .js("return Math.ceil(document.documentElement.scrollHeight + window.outerHeight - window.innerHeight);")
            .await
            .as_u64()
            .unwrap_or(u64::from(size.1));
        let height = u32::try_from(height).unwrap_or(size.1).clamp(size.1, 6000);
        self.client
            .set_window_size(size.0, height)
            .await
            .expect("window size");
        let png = self.client.screenshot().await.expect("screenshot");
        self.client
            .set_window_size(size.0, size.1)
            .await
            .expect("window size");
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        std::fs::write(self.shots.join(name), png).expect("screenshot written");
    }
}

/// The app of `t` with its links pointing at `url` (the office's address),
/// and reminders by email only.
fn app_for(t: &TestApp, url: &str) -> echeancier::app::App {
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("demo config");
    let mut options = Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = None;
    options.web_url = Some(url.to_string());
    t.app.clone().with_options(options)
}

async fn person(t: &TestApp, slug: &str) -> i64 {
    t.store
        .person_by_slug(slug)
        .await
        .expect("store")
        .unwrap_or_else(|| panic!("{slug} in the demo directory"))
        .0
}

async fn step_state(app: &echeancier::app::App, reference: &str, step: &str) -> StepStatus {
    app.snapshot(reference)
        .await
        .expect("snapshot")
        .steps
        .iter()
        .find(|s| s.step == step)
        .unwrap_or_else(|| panic!("step {step}"))
        .state
}

/// The "Fait" address of the reminder email about `reference`'s `step`.
fn done_link(dir: &Path, reference: &str, step_name: &str) -> String {
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(dir).expect("mail dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).expect("email");
        let text = mail_parser::MessageParser::default()
            .parse(&raw)
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default();
        if text.contains(reference) && text.contains(step_name) {
            let link = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Fait : "))
                .map(str::to_string);
            if let Some(link) = link {
                return link;
            }
        }
        texts.push(text);
    }
    panic!("no reminder email with a Fait link for {reference} ({step_name}): {texts:#?}");
}

#[tokio::test]
async fn the_office_in_a_real_browser() {
    let chromedriver = required_env("ECHEANCIER_TEST_CHROMEDRIVER");
    let axe = std::fs::read_to_string(required_env("ECHEANCIER_TEST_AXE")).expect("axe.min.js readable");
    let started = Instant::now();

    // Thursday 10 December 2026, 08:31 in Paris: a referral received on
    // Tuesday has its convocation due on Friday, reminded at 08:30 today.
    // (Later, the reminder would be late, and late ones leave together in
    // one message without one-click links.)
    let t = app_at(paris_noon(2026, 12, 10)).await;
    t.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-10T08:31:00+01:00")
            .expect("instant")
            .to_utc(),
    );
    echeancier::demo::load(&t.app).await.expect("demo");
    // Bound first: the office's public address is the one it listens on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let app = app_for(&t, &base);
    let office = echeancier::web::Office::new(
        app.clone(),
        WebSettings {
            address: addr,
            public_url: base.clone(),
            session_hours: 8,
        },
    )
    .await
    .expect("office");
    let router = echeancier::web::router(office.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    let driver = Driver::start(&chromedriver).await;
    let args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
        format!("--user-data-dir={}", driver.profile().display()),
        // French pages, read by a French browser.
        "--lang=fr-FR".into(),
    ];
    let mut chrome = json!({ "args": args });
    if Path::new("/usr/bin/chromium").exists() {
        chrome["binary"] = json!("/usr/bin/chromium");
    }
    let client = Client::connect(&driver.url, json!({ "goog:chromeOptions": chrome }))
        .await
        .unwrap_or_else(|e| panic!("WebDriver session: {e}\n{}", driver.log()));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let mut b = Browser {
        client,
        base: base.clone(),
        axe,
        violations: Vec::new(),
        shots,
    };

    // The login page, before anything.
    b.open("/connexion", "connexion").await;
    assert_eq!(b.h1().await, "Connexion");
    b.shot("connexion.png", DESKTOP).await;

    // Sign in by link: the GET shows a button, the POST opens the session.
    let dasen = person(&t, "dasen").await;
    let (link, _) = app.web_link(dasen, "/").await.expect("login link");
    assert!(link.starts_with(&format!("{base}/connexion/lien/")), "{link}");
    b.open(&link, "se connecter").await;
    assert_eq!(b.h1().await, "Se connecter");
    b.click(&button("Se connecter"), "mes échéances").await;
    assert_eq!(b.url().await, format!("{base}/"));
    assert_eq!(b.h1().await, "Mes échéances");
    assert!(b.main_text().await.contains("En retard"));
    b.shot("mes-echeances.png", DESKTOP).await;

    // A PAR case with two guardians, from the intake form.
    b.open("/dossiers/nouveau", "nouveau dossier (procédures)").await;
    b.click(
        "//main//a[normalize-space()=\"Protocole d'accompagnement et de responsabilisation des parents\"]",
        "nouveau dossier (formulaire PAR)",
    )
    .await;
    b.client
        .find(Locator::Css("select#lieu option[value='0490001K']"))
        .await
        .expect("the collège among the places")
        .click()
        .await
        .expect("establishment chosen");
    b.type_into("evenement-exclusion_1", "05/10/2026").await;
    b.type_into("evenement-exclusion_2", "16/11/2026").await;
    b.type_into("evenement-accueil", "23/11/2026").await;
    b.type_into("evenement-saisine_envoyee", "07/12/2026").await;
    b.type_into("evenement-saisine_recue", "08/12/2026").await;
    b.type_into("eleve-nom", "Lucie Exemple").await;
    b.type_into("eleve-classe", "5e C").await;
    b.type_into("responsable-1-nom", "Marc Exemple").await;
    b.type_into("responsable-1-courriel", "marc.exemple@example.org")
        .await;
    b.type_into("responsable-2-nom", "Nadia Exemple").await;
    b.type_into("responsable-2-telephone", "06 12 34 56 78").await;
    b.shot("nouveau-dossier.png", DESKTOP).await;
    b.click(&button("Ouvrir le dossier"), "dossier (ouvert)").await;
    let url = b.url().await;
    let shown = b.main_text().await;
    let reference = url
        .strip_prefix(&format!("{base}/dossiers/"))
        .unwrap_or_else(|| panic!("not on the new case: {url}\n{shown}"))
        .to_string();
    assert!(reference.starts_with("PAR-2026-"), "{reference}");
    assert_eq!(b.h1().await, reference);
    let text = b.main_text().await;
    for shown in [
        "Lucie Exemple",
        "Marc Exemple",
        "marc.exemple@example.org",
        "Nadia Exemple",
    ] {
        assert!(text.contains(shown), "{shown} on the case page: {text}");
    }

    // It is in the list, with its pupil (staff see names).
    b.open("/dossiers", "dossiers").await;
    let row = b
        .client
        .find(Locator::XPath(&format!(
            "//table//a[normalize-space()=\"{reference}\"]/ancestor::tr"
        )))
        .await
        .expect("the case in the list")
        .text()
        .await
        .expect("row");
    assert!(row.contains("Lucie Exemple"), "{row}");
    b.shot("dossiers.png", DESKTOP).await;

    // The convocation's reminder leaves by email with its one-click links
    // (before the interview's appointment, which would convoke).
    let mail = tempfile::tempdir().expect("mail dir");
    let mailer =
        echeancier::email::Mailer::new(&EmailMode::Files(mail.path().into()), "echeancier@example.org")
            .expect("mailer")
            .with_links(Arc::new(office.links()) as Arc<dyn ActionLinks>);
    let scheduler = echeancier::scheduler::Scheduler::new(app.clone(), vec![]).with_sender(Arc::new(mailer));
    scheduler.tick().await.expect("tick");
    scheduler.deliver().await.expect("deliver");
    let done = done_link(mail.path(), &reference, "Convocation des parents");
    assert!(done.starts_with(&format!("{base}/action/")), "{done}");
    assert_eq!(
        step_state(&app, &reference, "convocation").await,
        StepStatus::Open
    );
    b.open(&done, "action (confirmation)").await;
    assert_eq!(b.h1().await, "Marquer l'étape faite");
    // Opening the link changed nothing: only the button acts.
    assert_eq!(
        step_state(&app, &reference, "convocation").await,
        StepStatus::Open
    );
    b.click(&button("Confirmer : étape faite aujourd'hui"), "action (faite)")
        .await;
    let text = b.main_text().await;
    assert!(
        text.contains("C'est fait") && text.contains("Étape marquée faite aujourd'hui."),
        "{text}"
    );
    assert_eq!(
        step_state(&app, &reference, "convocation").await,
        StepStatus::Done
    );

    // The interview's appointment: Tuesday 15 December, 10:30.
    b.open(&format!("/dossiers/{reference}"), "dossier").await;
    let form = "//form[contains(@action, '/etapes/entretien/rendez-vous')]";
    b.type_into("rdv-date-entretien", "15/12/2026").await;
    // A time field's typing depends on the browser's locale: set as a script would.
    b.js("document.getElementById('rdv-heure-entretien').value = '10:30';")
        .await;
    b.click(
        &format!("{form}{}", button("Fixer le rendez-vous")),
        "dossier (rendez-vous fixé)",
    )
    .await;
    let text = b.main_text().await;
    assert!(
        text.contains("Rendez-vous fixé le mardi 15 décembre 2026 à 10 h 30"),
        "{text}"
    );
    assert!(!text.contains("Aucun rendez-vous fixé."), "{text}");
    b.shot("dossier.png", DESKTOP).await;
    // Also on the deadlines page.
    b.open("/", "mes échéances (rendez-vous)").await;
    let appointments = b
        .client
        .find(Locator::XPath(
            "//table[caption[normalize-space()='Rendez-vous']]",
        ))
        .await
        .expect("appointments table")
        .text()
        .await
        .expect("text");
    assert!(appointments.contains(&reference), "{appointments}");

    // The calendar feed: an address, its QR code, and the feed it serves.
    b.open("/indicateurs", "indicateurs").await;
    assert_eq!(b.h1().await, "Indicateurs");
    b.shot("indicateurs.png", DESKTOP).await;
    b.open("/agenda", "agenda (sans adresse)").await;
    b.click(&button("Créer mon adresse d'agenda"), "agenda").await;
    assert_eq!(b.url().await, format!("{base}/agenda"));
    let feed = b
        .client
        .find(Locator::Id("adresse-agenda"))
        .await
        .expect("feed address")
        .prop("value")
        .await
        .expect("value")
        .expect("an address");
    assert!(
        feed.starts_with(&format!("{base}/agenda/")) && feed.ends_with(".ics"),
        "{feed}"
    );
    let qr = b
        .client
        .find(Locator::Css("main figure[role='img'] svg"))
        .await
        .expect("QR code");
    let (_, _, width, _) = qr.rectangle().await.expect("QR size");
    assert!(width >= 100.0, "QR code {width} px wide");
    b.shot("agenda.png", DESKTOP).await;
    let served = b
        .client
        .execute_async(
            "const [url, done] = arguments;
             fetch(url).then(async r => done({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }))
                .catch(e => done({ status: 0, type: '', body: String(e) }));",
            vec![json!(feed)],
        )
        .await
        .expect("fetch the feed");
    assert_eq!(served["status"], json!(200), "{served}");
    assert!(
        served["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("text/calendar")),
        "{served}"
    );
    let ics = served["body"].as_str().unwrap_or_default();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains(&reference),
        "{ics}"
    );
    assert!(!ics.contains("Lucie") && !ics.contains("Exemple"), "{ics}");

    // On a phone.
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("phone size");
    b.open("/", "mes échéances (téléphone)").await;
    let width = b.js("return window.innerWidth;").await;
    assert!(
        width.as_u64().is_some_and(|w| w <= u64::from(PHONE.0)),
        "viewport {width}"
    );
    b.shot("mes-echeances-telephone.png", PHONE).await;
    b.open(&format!("/dossiers/{reference}"), "dossier (téléphone)")
        .await;
    b.shot("dossier-telephone.png", PHONE).await;
    b.client
        .set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("desktop size");

    // A form without its CSRF token changes nothing.
    b.open(&format!("/dossiers/{reference}"), "dossier").await;
    let removed = b
        .js(
            "const i = document.querySelector(\"form[action$='/etapes/entretien/fait'] input[name=csrf]\");
             if (!i) { return false; } i.remove(); return true;",
        )
        .await;
    assert_eq!(removed, json!(true), "the form has a CSRF field");
    b.click(
        &format!(
            "//form[contains(@action, '/etapes/entretien/fait')]{}",
            button("Marquer fait")
        ),
        "formulaire expiré (session)",
    )
    .await;
    assert_eq!(b.h1().await, "Formulaire expiré");
    assert_eq!(step_state(&app, &reference, "entretien").await, StepStatus::Open);

    // Signing out ends the session: the office sends back to the login page.
    b.open("/", "mes échéances").await;
    b.click(&button("Se déconnecter"), "connexion (après déconnexion)")
        .await;
    assert_eq!(b.url().await, format!("{base}/connexion"));
    b.open(&format!("/dossiers/{reference}"), "connexion (session close)")
        .await;
    assert_eq!(b.h1().await, "Connexion");

    // A partner: its login link, first posted without the token (refused,
    // and the link is not spent), then properly.
    let caf = person(&t, "caf").await;
    let (link, _) = app.web_link(caf, "/").await.expect("login link");
    b.open(&link, "se connecter (partenaire)").await;
    b.js("document.querySelector('main form input[name=csrf]').remove();")
        .await;
    b.click(&button("Se connecter"), "formulaire expiré (connexion)")
        .await;
    assert_eq!(b.h1().await, "Formulaire expiré");
    b.open(&link, "se connecter (partenaire)").await;
    assert_eq!(b.h1().await, "Se connecter", "a refused form spent the link");
    b.click(&button("Se connecter"), "partenariat").await;
    assert_eq!(b.url().await, format!("{base}/partenariat"));
    assert_eq!(b.h1().await, "Partenariat");
    assert!(b.main_text().await.contains("L'assiduité, on en parle"));
    b.shot("partenariat.png", DESKTOP).await;
    // Individual cases are not a partner's: they read as missing.
    b.open(
        &format!("/dossiers/{reference}"),
        "dossier introuvable (partenaire)",
    )
    .await;
    assert_eq!(b.h1().await, "Dossier introuvable");
    assert!(!b.main_text().await.contains("Lucie"));
    b.open("/dossiers", "dossiers (partenaire)").await;
    let text = b.main_text().await;
    assert!(!text.contains(&reference) && !text.contains("Lucie"), "{text}");

    // A login link opened 16 minutes after it was made has expired.
    let chef = person(&t, "chef").await;
    let (link, _) = app.web_link(chef, "/").await.expect("login link");
    t.clock.advance(chrono::Duration::minutes(16));
    b.open(&link, "lien expiré").await;
    assert_eq!(b.h1().await, "Lien expiré");
    assert!(
        b.client
            .find(Locator::XPath(&button("Se connecter")))
            .await
            .is_err()
    );

    b.client.close().await.expect("session closed");
    drop(driver);

    let all: Vec<String> = b.violations.iter().map(ToString::to_string).collect();
    if !all.is_empty() {
        eprintln!("axe-core, every violation found:\n{}", all.join("\n"));
    }
    let blocking: Vec<&Violation> = b
        .violations
        .iter()
        .filter(|v| matches!(v.impact.as_str(), "serious" | "critical"))
        .collect();
    assert!(
        blocking.is_empty(),
        "axe-core: {} serious or critical violation(s); every violation found:\n{}",
        blocking.len(),
        all.join("\n")
    );
    eprintln!(
        "browser: scenario passed in {:.1} s, screenshots in target/screenshots/",
        started.elapsed().as_secs_f64()
    );
}
