//! The composition root: [`Daemon::open`] opens the store and the
//! application, [`Daemon::run`] wires the outbox's senders, the chat
//! front-ends, the HTTP endpoints and the scheduler, and runs them until the
//! shutdown future resolves. The command line and the tests both start the
//! daemon here. A chat account's sync loop runs under a leadership
//! ([`while_leading`]): in the one instance holding its lock, moving to
//! another instance when that one stops or loses its database.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use echeancier_core::procedure::Library;
use tokio::sync::watch;

use crate::app::{App, AppError};
use crate::channel::Channel;
use crate::clock::{Clock, SystemClock};
use crate::config::{EmailMode, Settings};
use crate::http::ChannelInfo;
use crate::store::Store;
use crate::store::leader::Leader;

/// Why the daemon could not start or went down.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot be served as written (exit code 2).
    #[error("{0}")]
    Input(String),
    /// The machine failed: a folder, the database, standard input (exit 1).
    #[error("{0}")]
    Runtime(String),
    #[error(transparent)]
    App(#[from] AppError),
}

/// The file of a SQLite database URL (`None` for PostgreSQL or memory).
pub fn sqlite_file(url: &str) -> Option<&Path> {
    let path = url.strip_prefix("sqlite://")?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

/// Opens the store (creating a SQLite file private to this user), builds
/// the application on the system clock, syncs the directory and records
/// the procedure versions of cases opened before they were recorded.
pub async fn open_app(settings: &Settings, lib: Library) -> Result<App, Error> {
    open_app_with(settings, lib, Arc::new(SystemClock)).await
}

/// [`open_app`] on a given clock (tests).
pub async fn open_app_with(settings: &Settings, lib: Library, clock: Arc<dyn Clock>) -> Result<App, Error> {
    if let Some(path) = sqlite_file(&settings.database_url) {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            crate::files::create_private_dir(parent)
                .map_err(|e| Error::Runtime(format!("création de {} : {e}", parent.display())))?;
        }
        // Created here rather than by SQLite so that it is 0600 whatever
        // the umask; SQLite gives its -wal and -shm files the same mode.
        crate::files::create_private_file(path)
            .map_err(|e| Error::Runtime(format!("création de {} : {e}", path.display())))?;
    }
    let store = Store::open(&settings.database_url)
        .await
        .map_err(|e| Error::Runtime(e.to_string()))?;
    let templates = crate::notice::Templates::embedded().map_err(|e| Error::Input(e.to_string()))?;
    let app =
        App::new(store, lib, clock).with_options(crate::app::Options::from_settings(settings, templates));
    app.sync_directory(settings).await?;
    // Cases opened before versions were recorded follow the files loaded
    // at this start from now on (`app::versions`).
    let adopted = app.adopt_unversioned().await?;
    if adopted > 0 {
        tracing::info!(cases = adopted, "procedure versions recorded for earlier cases");
    }
    Ok(app)
}

/// Opens and runs the daemon for `settings` until `shutdown` resolves:
/// [`Daemon::open`] then [`Daemon::run`].
pub async fn run(settings: Settings, lib: Library, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    Daemon::open(settings, lib).await?.run(shutdown).await
}

/// An opened daemon, not yet running: the demo loads its data here.
pub struct Daemon {
    settings: Settings,
    app: App,
}

impl Daemon {
    /// Opens the application for `settings`. The console runs when
    /// `settings.console` is `Some(true)`; the caller decides (the command
    /// line turns it on for the demo and for a terminal).
    pub async fn open(settings: Settings, lib: Library) -> Result<Daemon, Error> {
        let app = open_app(&settings, lib).await?;
        Ok(Daemon { settings, app })
    }

    /// [`Daemon::open`] on a given clock (tests).
    pub async fn open_with_clock(
        settings: Settings,
        lib: Library,
        clock: Arc<dyn Clock>,
    ) -> Result<Daemon, Error> {
        let app = open_app_with(&settings, lib, clock).await?;
        Ok(Daemon { settings, app })
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs every part until `shutdown` resolves, then stops them
    /// gracefully: the scheduler finishes its batch, the chat loops release
    /// their leaderships. The end of standard input closes the console,
    /// not the daemon (under systemd it is /dev/null).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let Daemon { settings, app } = self;
        let console_on = settings.console == Some(true);
        let mut mailer =
            crate::email::Mailer::new(&settings.email, &settings.email_from).map_err(Error::Input)?;
        // The web office signs the one-click links of reminder emails.
        let office = match &settings.web {
            Some(web) => Some(
                crate::web::Office::new(app.clone(), web.clone())
                    .await
                    .map_err(|e| Error::Runtime(format!("bureau web : {e}")))?,
            ),
            None => None,
        };
        if let Some(office) = &office {
            mailer = mailer.with_links(Arc::new(office.links()));
        }
        let (console_tx, mut console_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        // The composition of the outbox: one sender per channel.
        let mut scheduler = crate::scheduler::Scheduler::new(app.clone(), settings.digests.clone())
            .with_sender(Arc::new(mailer));
        if console_on {
            scheduler = scheduler.with_sender(Arc::new(crate::console::ConsoleSender(console_tx)));
        }
        scheduler.lease = chrono::Duration::seconds(i64::try_from(settings.lease_seconds).unwrap_or(300));
        // Several instances may share a PostgreSQL database: one decides (the
        // tick), all deliver, and each chat account syncs in one instance.
        let tick_leader = Arc::new(Leader::new(&app.store, "planificateur"));
        scheduler = scheduler.with_tick_leader(tick_leader.clone());
        let every = Duration::from_secs(settings.tick_seconds.min(5));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut channels = vec![ChannelInfo::new(
            Channel::Email,
            match &settings.email {
                EmailMode::Files(_) => "fichiers",
                EmailMode::Smtp(_) => "smtp",
            },
        )];
        if console_on {
            channels.push(ChannelInfo::new(Channel::Console, "console"));
        }
        if let Some(m) = &settings.matrix {
            let leader = Arc::new(Leader::new(&app.store, &format!("matrix:{}", m.user)));
            channels.push(ChannelInfo {
                leader: Some(leader.clone()),
                ..ChannelInfo::new(Channel::Matrix, "configuré")
            });
            let slot = crate::matrix::MatrixSlot::default();
            scheduler = scheduler.with_sender(crate::matrix::MatrixSender::new(slot.clone()));
            tasks.push(tokio::spawn(matrix_loop(
                app.clone(),
                m.clone(),
                settings.data_dir.join("matrix"),
                slot,
                leader,
                every,
                shutdown_rx.clone(),
            )));
        }
        if let Some(t) = &settings.telegram {
            let bot = Arc::new(
                crate::telegram::Telegram::new(app.clone(), &t.token, t.api.as_deref(), t.groups.clone())
                    .map_err(Error::Input)?,
            );
            // Any instance sends; one polls (Telegram refuses two pollers).
            scheduler = scheduler.with_sender(bot.clone());
            let token_id = crate::store::leader::lock_key(&t.token);
            let leader = Arc::new(Leader::new(&app.store, &format!("telegram:{token_id}")));
            channels.push(ChannelInfo::new(Channel::Telegram, "configuré"));
            tasks.push(tokio::spawn(while_leading(
                leader,
                every,
                shutdown_rx.clone(),
                move |stop| {
                    let bot = bot.clone();
                    async move {
                        tracing::info!("telegram polling started");
                        bot.run(stop).await;
                    }
                },
            )));
        }
        if let Some(addr) = settings.http {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Error::Input(format!("écoute HTTP sur {addr} : {e}")))?;
            let mut rx = shutdown_rx.clone();
            let router = crate::http::router(
                app.clone(),
                channels,
                Some(tick_leader),
                settings.http_token.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = rx.changed().await;
                    })
                    .await;
            }));
            tracing::info!(%addr, "health and metrics served");
        }
        if let (Some(office), Some(web)) = (office, &settings.web) {
            let addr = web.address;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Error::Input(format!("écoute du bureau web sur {addr} : {e}")))?;
            let mut rx = shutdown_rx.clone();
            let router = crate::web::router(office);
            tasks.push(tokio::spawn(async move {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = rx.changed().await;
                    })
                    .await;
            }));
            tracing::info!(%addr, url = %web.public_url, "web office served");
        }
        let interval = Duration::from_secs(settings.tick_seconds);
        let scheduler_rx = shutdown_rx.clone();
        let scheduler_task = tokio::spawn(async move { scheduler.run(interval, scheduler_rx).await });
        let printer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let mut out = tokio::io::stdout();
            while let Some(line) = console_rx.recv().await {
                let _ = out.write_all(format!("\n{line}\n> ").as_bytes()).await;
                let _ = out.flush().await;
            }
        });
        tracing::info!(database = %crate::store::redact_url(&settings.database_url), "echeancier started");
        tokio::pin!(shutdown);
        let mut outcome = Ok(());
        if console_on {
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            tokio::select! {
                r = crate::console::run(&app, &settings.console_identity, stdin, tokio::io::stdout()) => {
                    match r {
                        Ok(()) => {
                            tracing::info!("end of standard input: the console is closed, the daemon goes on");
                            (&mut shutdown).await;
                        }
                        Err(e) => outcome = Err(Error::Runtime(format!("console : {e}"))),
                    }
                }
                () = &mut shutdown => {}
            }
        } else {
            (&mut shutdown).await;
        }
        let _ = shutdown_tx.send(true);
        let _ = scheduler_task.await;
        for t in tasks {
            let _ = t.await;
        }
        printer.abort();
        tracing::info!("echeancier stopped");
        outcome
    }
}

/// The Matrix account's loop while this instance leads it: connect, fill
/// the outbox's slot, sync until told to stop, empty the slot.
async fn matrix_loop(
    app: App,
    settings: crate::config::MatrixSettings,
    store_dir: std::path::PathBuf,
    slot: crate::matrix::MatrixSlot,
    leader: Arc<Leader>,
    every: Duration,
    shutdown: watch::Receiver<bool>,
) {
    while_leading(leader, every, shutdown, move |stop| {
        let (app, settings, slot, store_dir) =
            (app.clone(), settings.clone(), slot.clone(), store_dir.clone());
        async move {
            match crate::matrix::MatrixBot::connect(app, &settings, &store_dir).await {
                Ok(bot) => {
                    *slot.write().unwrap_or_else(|e| e.into_inner()) = Some(bot.clone());
                    tracing::info!("matrix front-end started");
                    if let Err(e) = bot.run(stop).await {
                        tracing::error!(error = %e, "matrix front-end stopped");
                    }
                    *slot.write().unwrap_or_else(|e| e.into_inner()) = None;
                }
                Err(e) => tracing::error!(error = %e, "matrix connection failed"),
            }
        }
    })
    .await
}

/// Resolves on Ctrl-C or SIGTERM: how a service is told to stop. The
/// SIGTERM handler is installed by this call, before the future is polled,
/// so that a signal sent once "started" is logged is ours. Call it inside
/// the runtime.
pub fn signals() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let terminate = async move {
            #[cfg(unix)]
            if let Some(s) = sigterm.as_mut() {
                s.recv().await;
                return;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
}

/// Runs `work` whenever this instance holds `leader`, checking the lock
/// every `every`. `work` gets a stop signal, raised at shutdown or when the
/// lock is lost, and must return soon after it.
pub async fn while_leading<F, Fut>(
    leader: Arc<Leader>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut work: F,
) where
    F: FnMut(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        if *shutdown.borrow() {
            break;
        }
        match leader.held().await {
            Ok(true) => {
                let (stop_tx, stop_rx) = watch::channel(false);
                let fut = work(stop_rx);
                tokio::pin!(fut);
                let mut check = tokio::time::interval(every);
                check.tick().await;
                loop {
                    tokio::select! {
                        () = &mut fut => break,
                        _ = shutdown.changed() => {
                            let _ = stop_tx.send(true);
                            (&mut fut).await;
                            leader.release().await;
                            return;
                        }
                        _ = check.tick() => {
                            if !leader.held().await.unwrap_or(false) {
                                tracing::warn!(leadership = leader.name(), "leadership lost: stopping its work");
                                let _ = stop_tx.send(true);
                                (&mut fut).await;
                                break;
                            }
                        }
                    }
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(leadership = leader.name(), error = %e, "leadership check failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
    }
    leader.release().await;
}
