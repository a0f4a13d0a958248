//! The console front-end reads commands and prints replies.

use crate::util::{app_at, paris_noon};

#[tokio::test]
async fn console_answers_each_line() {
    let t = app_at(paris_noon(2026, 11, 23)).await;
    echeancier::demo::load(&t.app).await.expect("demo");
    let input = b"!aide\nbonjour\n!dossier PAR-2026-0001\n!dossier\n" as &[u8];
    let mut out = Vec::new();
    echeancier::console::run(&t.app, "chef", tokio::io::BufReader::new(input), &mut out)
        .await
        .expect("console");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("Commandes disponibles"), "{text}");
    assert!(text.contains("Ce n'est pas une commande"), "{text}");
    assert!(text.contains("PAR-2026-0001 — Protocole"), "{text}");
    assert!(text.contains("Syntaxe : !dossier REF"), "{text}");
    assert!(!text.contains("Élève Fictif"), "{text}");
}

#[tokio::test]
async fn demo_loads_once() {
    let t = app_at(paris_noon(2026, 11, 23)).await;
    let first = echeancier::demo::load(&t.app).await.expect("demo");
    assert_eq!(first.len(), 5);
    let again = echeancier::demo::load(&t.app).await.expect("demo");
    assert!(again.is_empty());
}
