//! SMTP connections made here, with TCP_NODELAY, and kept in a small pool.
//! lettre writes a message's body and its closing "." in two writes; with
//! Nagle's algorithm the second waits for the server's acknowledgement of
//! the first, which the server delays (about 40 ms): one message every
//! 43 ms on one connection. lettre's own transport gives no access to its
//! socket, so the socket is opened here and handed to lettre's connection
//! (`AsyncSmtpConnection::connect_with_transport`), which still speaks
//! SMTP, STARTTLS and AUTH. Implicit TLS (port 465) stays with lettre's
//! transport: its TLS handshake happens inside lettre, before any socket
//! could be handed over.

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::{Mutex, Semaphore};

/// Why a send through the pool failed.
#[derive(Debug)]
pub enum PoolError {
    /// No TCP connection (refused, unreachable, or no answer in time).
    Connect { timed_out: bool },
    /// STARTTLS failed: most often a certificate that does not verify.
    Tls,
    /// What lettre reports: a reply code, the network mid-exchange.
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for PoolError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        PoolError::Smtp(e)
    }
}

/// At most this many connections at once, as lettre's pool.
const MAX_CONNECTIONS: usize = 10;
/// An idle connection older than this is checked (NOOP) before reuse:
/// servers close idle clients after a while.
const CHECK_AFTER: Duration = Duration::from_secs(30);

pub struct Pool {
    host: String,
    port: u16,
    /// STARTTLS required, with these parameters; `None`: plain (loopback).
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

impl Pool {
    pub fn new(
        host: &str,
        port: u16,
        starttls: Option<TlsParameters>,
        credentials: Option<Credentials>,
        timeout: Duration,
    ) -> Pool {
        Pool {
            host: host.to_string(),
            port,
            starttls,
            credentials,
            hello: ClientId::default(),
            timeout,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(MAX_CONNECTIONS),
        }
    }

    /// Sends one message on a pooled connection, or a new one.
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), PoolError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| PoolError::Connect { timed_out: false })?;
        let mut conn = match self.reuse().await {
            Some(c) => c,
            None => self.connect().await?,
        };
        let sent = conn.send(envelope, raw).await;
        // lettre marks a connection broken on any failed exchange; one that
        // only had a recipient refused stays usable.
        if !conn.has_broken() {
            self.idle.lock().await.push((conn, Instant::now()));
        }
        sent.map(|_| ()).map_err(PoolError::Smtp)
    }

    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().await.pop()?;
            if conn.has_broken() {
                continue;
            }
            if since.elapsed() < CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let tcp = match tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => return Err(PoolError::Connect { timed_out: false }),
            Err(_) => return Err(PoolError::Connect { timed_out: true }),
        };
        // The point of this module (see above).
        tcp.set_nodelay(true)
            .map_err(|_| PoolError::Connect { timed_out: false })?;
        let exchange = async {
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
            if let Some(tls) = &self.starttls {
                conn.starttls(tls.clone(), &self.hello)
                    .await
                    .map_err(|e| match e.status() {
                        // The server refused the command itself.
                        Some(_) => PoolError::Smtp(e),
                        None => PoolError::Tls,
                    })?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(DEFAULT_MECHANISMS, credentials).await?;
            }
            Ok::<_, PoolError>(conn)
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(PoolError::Connect { timed_out: true }),
        }
    }
}
