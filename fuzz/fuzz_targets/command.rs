//! Any chat message through the command parser, then the help text it asks
//! for: a value or a French error, never a panic.

#![no_main]

use echeancier_core::command::{self, Command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lossy, so that every input reaches the parser (chat text is UTF-8).
    let text = String::from_utf8_lossy(data);
    let trimmed = text.trim();
    match command::parse(&text) {
        None => assert!(
            !(trimmed.starts_with('!') || trimmed.starts_with('/')) || trimmed.len() < 2,
            "a command was ignored: {trimmed:?}"
        ),
        Some(Ok(Command::Help(topic))) => {
            assert!(!command::help(topic.as_deref()).is_empty());
        }
        Some(Ok(_)) => {}
        Some(Err(e)) => assert!(!e.message.is_empty(), "empty error for {trimmed:?}"),
    }
    // The front-ends also look verbs up and explain any word they are given.
    let _ = command::find_verb(trimmed);
    let _ = command::help(Some(trimmed));
    let _ = command::parse_time(trimmed);
});
