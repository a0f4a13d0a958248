//! The console front-end: commands typed on standard input, replies and
//! reminders printed. The same command core as the chat front-ends.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::app::App;
use crate::channel::{Channel, Delivery, SendError, Sender, Sent};

/// The console as an outbox channel: reminders are printed between
/// commands (the daemon's printer task writes what arrives here).
pub struct ConsoleSender(pub tokio::sync::mpsc::UnboundedSender<String>);

impl Sender for ConsoleSender {
    fn channel(&self) -> Channel {
        Channel::Console
    }

    fn send<'a>(&'a self, d: Delivery<'a>) -> futures_util::future::BoxFuture<'a, Sent> {
        Box::pin(async move {
            crate::view::chat_out("console", &d.message.text);
            self.0
                .send(d.message.text.clone())
                .map(|()| None)
                .map_err(|_| SendError::Transient("console fermée".into()))
        })
    }
}

/// Reads commands line by line until end of input, answering each one as
/// the console identity `identity`.
pub async fn run<R, W>(app: &App, identity: &str, input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut lines = input.lines();
    output
        .write_all(
            format!("echeancier — console ({identity}). Tapez !aide pour la liste des commandes.\n> ")
                .as_bytes(),
        )
        .await?;
    output.flush().await?;
    while let Some(line) = lines.next_line().await? {
        let line = line.trim();
        if !line.is_empty() {
            let reply = match app.handle("console", identity, line).await {
                Some(reply) => reply,
                None => "Ce n'est pas une commande : elles commencent par ! (tapez !aide).".to_string(),
            };
            output.write_all(reply.as_bytes()).await?;
            output.write_all(b"\n").await?;
        }
        output.write_all(b"> ").await?;
        output.flush().await?;
    }
    output.write_all(b"\n").await?;
    output.flush().await
}
