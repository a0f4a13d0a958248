//! The chat command language, shared by every front-end (console, Matrix,
//! Telegram). French verbs with English aliases; `!` or `/` as prefix.
//! Parsing is pure: the text becomes one typed [`Command`] or a French
//! error that shows the expected syntax.

use chrono::NaiveDate;

use crate::french::parse_date;
use crate::ids::CaseRef;

/// How far ahead `!echeances` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    Week,
    Month,
}

impl Horizon {
    pub fn days(self) -> u64 {
        match self {
            Horizon::Week => 7,
            Horizon::Month => 31,
        }
    }
}

/// What came of an appointment with a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingOutcome {
    /// The family came.
    Came,
    /// The family came with a person of their choice.
    CameAccompanied,
    /// The family did not come, without a word.
    Absent,
    /// The family said beforehand it could not come.
    Excused,
}

impl MeetingOutcome {
    /// The stored and audited code, as typed in chat.
    pub fn code(self) -> &'static str {
        match self {
            MeetingOutcome::Came => "venu",
            MeetingOutcome::CameAccompanied => "venu-accompagne",
            MeetingOutcome::Absent => "absent",
            MeetingOutcome::Excused => "excuse",
        }
    }

    /// In words, for staff.
    pub fn french(self) -> &'static str {
        match self {
            MeetingOutcome::Came => "la famille est venue",
            MeetingOutcome::CameAccompanied => "la famille est venue accompagnée",
            MeetingOutcome::Absent => "la famille n'est pas venue",
            MeetingOutcome::Excused => "la famille s'est excusée",
        }
    }

    /// Whether the family was met.
    pub fn held(self) -> bool {
        matches!(self, MeetingOutcome::Came | MeetingOutcome::CameAccompanied)
    }
}

impl std::str::FromStr for MeetingOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "venu" | "venue" | "venus" => Ok(MeetingOutcome::Came),
            "venu-accompagne" | "venu-accompagné" | "accompagne" | "accompagné" => {
                Ok(MeetingOutcome::CameAccompanied)
            }
            "absent" | "absente" | "absents" => Ok(MeetingOutcome::Absent),
            "excuse" | "excusé" | "excusée" | "excuses" => Ok(MeetingOutcome::Excused),
            _ => Err("Bilan inconnu : écrivez venu, venu-accompagne, absent ou excuse.".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `!aide [COMMANDE]`
    Help(Option<String>),
    /// `!echeances [semaine|mois]`
    Deadlines(Horizon),
    /// `!dossier REF`
    Case(CaseRef),
    /// `!etape REF ETAPE fait [DATE] [confirme]`: `confirme` keeps a date
    /// that contradicts the order the procedure sets.
    StepDone {
        case: CaseRef,
        step: String,
        on: Option<NaiveDate>,
        confirmed: bool,
    },
    /// `!report REF ETAPE DATE [confirme] motif`: `confirme` accepts a date
    /// past the step's legal date.
    Reschedule {
        case: CaseRef,
        step: String,
        to: NaiveDate,
        confirmed: bool,
        reason: String,
    },
    /// `!date REF EVENEMENT DATE [confirme]`: `confirme` keeps a date
    /// that contradicts the order the procedure sets.
    SetEvent {
        case: CaseRef,
        event: String,
        on: NaiveDate,
        confirmed: bool,
    },
    /// `!rdv REF ETAPE DATE HEURE [MINUTES] [confirme]`
    Appointment {
        case: CaseRef,
        step: String,
        at: chrono::NaiveDateTime,
        minutes: u32,
        /// Accepts a date past the step's legal date, or an hour outside
        /// the families' hours (recorded in the audit).
        confirmed: bool,
    },
    /// `!rdv REF ETAPE annuler`
    CancelAppointment { case: CaseRef, step: String },
    /// `!bilan-rdv REF ETAPE venu|venu-accompagne|absent|excuse`
    Outcome {
        case: CaseRef,
        step: String,
        outcome: MeetingOutcome,
    },
    /// `!simuler REF EVENEMENT DATE`: how the case's dates would move if
    /// the event had that date; nothing is written.
    Simulate {
        case: CaseRef,
        event: String,
        on: NaiveDate,
    },
    /// `!ack ID`
    Ack(i64),
    /// `!appel REF [RESPONSABLE] [DATE]`: the family was reached by phone,
    /// with or without a call task.
    Call {
        case: CaseRef,
        /// The guardian's number on the case (1, 2...), never a name.
        guardian: Option<u32>,
        on: Option<NaiveDate>,
    },
    /// `!lier CODE`
    Link(String),
    /// `!lien PERSONNE [CANAL]`: an administrator gives a link code.
    LinkCode { person: String, channel: Option<String> },
    /// `!communication CONVENTION titre`
    Communication { convention: CaseRef, title: String },
    /// `!recu COM PARTENAIRE DATE`
    Received {
        item: CaseRef,
        partner: String,
        on: NaiveDate,
    },
    /// `!approuve COM [PARTENAIRE]`
    Approve { item: CaseRef, partner: Option<String> },
    /// `!version COM`: a new version of a document after an objection.
    NewVersion(CaseRef),
    /// `!jalon REF "intitulé" DATE`: a deadline of the case's contract.
    Milestone {
        case: CaseRef,
        title: String,
        on: NaiveDate,
    },
    /// `!objection COM [@PARTENAIRE] motif`
    Object {
        item: CaseRef,
        partner: Option<String>,
        reason: String,
    },
    /// `!resiliation CONVENTION DATE_RECEPTION [DATE_DEMANDE]`
    Terminate {
        convention: CaseRef,
        received: NaiveDate,
        requested: Option<NaiveDate>,
    },
    /// `!connexion`: a one-time link to the web office, by direct message.
    Login,
    /// `!ouvrir PROCEDURE UAI [EVENEMENT=DATE…]`: a case without personal
    /// data; the family is entered on the web page the reply links to.
    Open {
        procedure: String,
        establishment: String,
        events: Vec<(String, NaiveDate)>,
    },
}

/// One verb of the language: its names, syntax and purpose. The table is
/// both the parser's dispatch and the help text.
pub struct Verb {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub purpose: &'static str,
}

pub const VERBS: &[Verb] = &[
    Verb {
        name: "aide",
        aliases: &["help", "start"],
        usage: "!aide [commande]",
        purpose: "liste les commandes, ou explique l'une d'elles",
    },
    Verb {
        name: "echeances",
        aliases: &["deadlines", "agenda"],
        usage: "!echeances [semaine|mois]",
        purpose: "les échéances à venir et en retard de votre périmètre",
    },
    Verb {
        name: "dossier",
        aliases: &["case"],
        usage: "!dossier REF",
        purpose: "les étapes d'un dossier, leurs dates et leur calcul",
    },
    Verb {
        name: "etape",
        aliases: &["step"],
        usage: "!etape REF ETAPE fait [DATE] [confirme]",
        purpose: "marque une étape comme faite (aujourd'hui par défaut)",
    },
    Verb {
        name: "report",
        aliases: &["reschedule"],
        usage: "!report REF ETAPE DATE [confirme] motif",
        purpose: "reporte l'échéance d'une étape, avec un motif (« confirme » pour dépasser la date légale)",
    },
    Verb {
        name: "date",
        aliases: &["event"],
        usage: "!date REF EVENEMENT DATE [confirme]",
        purpose: "renseigne la date d'un événement du dossier (réception, début de stage...)",
    },
    Verb {
        name: "rdv",
        aliases: &["rendez-vous", "appointment"],
        usage: "!rdv REF ETAPE DATE HEURE [MINUTES] [confirme], ou !rdv REF ETAPE annuler",
        purpose: "fixe le rendez-vous d'une étape ; les parents reçoivent l'avis dans leur langue",
    },
    Verb {
        name: "bilan-rdv",
        aliases: &["bilan"],
        usage: "!bilan-rdv REF ETAPE venu|venu-accompagne|absent|excuse",
        purpose: "note ce qu'a donné le rendez-vous avec la famille ; « absent » demande un nouveau rendez-vous",
    },
    Verb {
        name: "simuler",
        aliases: &["simulation", "simulate"],
        usage: "!simuler REF EVENEMENT DATE",
        purpose: "montre comment les dates d'un dossier changeraient si un événement avait cette date, sans rien enregistrer",
    },
    Verb {
        name: "ack",
        aliases: &["vu", "lu"],
        usage: "!ack ID",
        purpose: "accuse réception d'un rappel (son numéro figure dans le rappel)",
    },
    Verb {
        name: "appel",
        aliases: &["appele", "call"],
        usage: "!appel REF [RESPONSABLE] [DATE]",
        purpose: "note que la famille a été jointe par téléphone (aujourd'hui par défaut ; RESPONSABLE est son numéro dans le dossier, 1 ou 2) ; ses tâches d'appel se ferment",
    },
    Verb {
        name: "lier",
        aliases: &["link"],
        usage: "!lier CODE",
        purpose: "relie ce compte de messagerie à votre fiche, avec le code donné par un administrateur",
    },
    Verb {
        name: "lien",
        aliases: &["code", "link-code"],
        usage: "!lien PERSONNE [matrix|telegram|console]",
        purpose: "un administrateur obtient, en message direct, le code qui relie le compte de messagerie d'une personne de l'annuaire (24 heures, une seule fois)",
    },
    Verb {
        name: "communication",
        aliases: &["comm"],
        usage: "!communication CONVENTION titre",
        purpose: "soumet un document aux partenaires de la convention (article 8)",
    },
    Verb {
        name: "recu",
        aliases: &["received"],
        usage: "!recu COM PARTENAIRE DATE",
        purpose: "enregistre la date de réception par un partenaire",
    },
    Verb {
        name: "approuve",
        aliases: &["approve"],
        usage: "!approuve COM [PARTENAIRE]",
        purpose: "approuve explicitement une communication",
    },
    Verb {
        name: "objection",
        aliases: &["object"],
        usage: "!objection COM [@PARTENAIRE] motif",
        purpose: "s'oppose à une communication, avec un motif",
    },
    Verb {
        name: "jalon",
        aliases: &["milestone"],
        usage: "!jalon REF \"intitulé\" DATE",
        purpose: "ajoute une échéance du contrat au dossier (parcours) ; son intitulé n'est affiché que sur le bureau web",
    },
    Verb {
        name: "version",
        aliases: &["nouvelle-version", "new-version"],
        usage: "!version COM",
        purpose: "soumet une nouvelle version d'un document après une objection, avec son propre délai de quinze jours",
    },
    Verb {
        name: "resiliation",
        aliases: &["terminate"],
        usage: "!resiliation CONVENTION DATE_RECEPTION [DATE_DEMANDE]",
        purpose: "calcule et enregistre la résiliation d'une convention (article 9)",
    },
    Verb {
        name: "connexion",
        aliases: &["login"],
        usage: "!connexion",
        purpose: "envoie en message direct un lien de connexion au bureau web (15 minutes, une seule fois)",
    },
    Verb {
        name: "ouvrir",
        aliases: &["open"],
        usage: "!ouvrir PROCEDURE UAI [EVENEMENT=DATE…]",
        purpose: "ouvre un dossier sans donnée personnelle ; l'élève et sa famille se saisissent sur le bureau web",
    },
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

/// The word that confirms a date the rules would refuse.
fn is_confirm(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "confirme" | "confirmé" | "confirmer" | "confirm"
    )
}

fn usage_error(verb: &Verb, why: impl AsRef<str>) -> ParseError {
    ParseError {
        message: format!("{} Syntaxe : {}", why.as_ref(), verb.usage),
    }
}

/// Finds a verb by name or alias, ignoring case and accents on e.
pub fn find_verb(word: &str) -> Option<&'static Verb> {
    let w: String = word
        .trim_start_matches(['!', '/'])
        .to_lowercase()
        .replace(['é', 'è'], "e");
    // Telegram appends the bot name to commands in groups: /aide@bot.
    let w = w.split('@').next().unwrap_or("");
    VERBS.iter().find(|v| v.name == w || v.aliases.contains(&w))
}

/// The longest input accepted; chat messages beyond it are refused whole.
pub const MAX_LEN: usize = 2_000;

/// Parses a chat message. `None` if it is not a command (no `!` or `/`).
pub fn parse(text: &str) -> Option<Result<Command, ParseError>> {
    let text = text.trim();
    if !(text.starts_with('!') || text.starts_with('/')) || text.len() < 2 {
        return None;
    }
    Some(parse_command(text))
}

fn parse_command(text: &str) -> Result<Command, ParseError> {
    if text.len() > MAX_LEN {
        return Err(ParseError {
            message: format!("Message trop long (plus de {MAX_LEN} caractères)."),
        });
    }
    let mut words = text.split_whitespace();
    let head = words.next().unwrap_or("");
    let Some(verb) = find_verb(head) else {
        // Not echoed: a name typed by mistake is not repeated in a room.
        return Err(ParseError {
            message: "Commande inconnue. Tapez !aide pour la liste des commandes.".into(),
        });
    };
    let args: Vec<&str> = words.collect();
    // Errors never repeat what was typed: it may be a name written by
    // mistake, and the reply may be read by a whole room.
    let case_ref = |s: &str| {
        s.parse::<CaseRef>().map_err(|_| {
            usage_error(
                verb,
                "Référence de dossier invalide : attendu par exemple PAR-2026-0014.",
            )
        })
    };
    let date = |s: &str| {
        parse_date(s).map_err(|_| {
            usage_error(
                verb,
                "Date invalide : attendu une date qui existe, écrite 2026-03-05 ou 05/03/2026.",
            )
        })
    };
    let ident = |s: &str, what: &str| {
        let s = s.trim_start_matches('@').to_lowercase();
        if !s.is_empty()
            && s.len() <= 40
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Ok(s)
        } else {
            Err(usage_error(verb, format!("{what} invalide.")))
        }
    };
    let rest = |from: usize| args.get(from..).map(|a| a.join(" ")).unwrap_or_default();
    let exact = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else if args.len() < *n.start() {
            Err(usage_error(verb, "Il manque des éléments."))
        } else {
            Err(usage_error(verb, "Trop d'éléments."))
        }
    };
    match verb.name {
        "aide" => {
            exact(0..=1)?;
            Ok(Command::Help(
                args.first()
                    .map(|s| s.trim_start_matches(['!', '/']).to_lowercase()),
            ))
        }
        "echeances" => {
            exact(0..=1)?;
            match args.first().map(|s| s.to_lowercase()) {
                None => Ok(Command::Deadlines(Horizon::Week)),
                Some(s) if s == "semaine" || s == "week" => Ok(Command::Deadlines(Horizon::Week)),
                Some(s) if s == "mois" || s == "month" => Ok(Command::Deadlines(Horizon::Month)),
                Some(_) => Err(usage_error(verb, "Période inconnue : semaine ou mois.")),
            }
        }
        "dossier" => {
            exact(1..=1)?;
            Ok(Command::Case(case_ref(args[0])?))
        }
        "etape" => {
            exact(3..=5)?;
            let confirmed = args.len() > 3 && is_confirm(args[args.len() - 1]);
            let args = if confirmed {
                &args[..args.len() - 1]
            } else {
                &args[..]
            };
            let case = case_ref(args[0])?;
            let step = ident(args[1], "Nom d'étape")?;
            if !matches!(args[2].to_lowercase().as_str(), "fait" | "faite" | "done") {
                return Err(usage_error(verb, "Seul « fait » est possible après l'étape."));
            }
            if args.len() > 4 {
                return Err(usage_error(verb, "Trop d'éléments après « fait »."));
            }
            let on = args.get(3).map(|s| date(s)).transpose()?;
            Ok(Command::StepDone {
                case,
                step,
                on,
                confirmed,
            })
        }
        "report" => {
            if args.len() < 4 {
                return Err(usage_error(
                    verb,
                    "Il manque des éléments (le motif est obligatoire).",
                ));
            }
            let confirmed = is_confirm(args[3]);
            let reason = rest(if confirmed { 4 } else { 3 });
            if reason.is_empty() {
                return Err(usage_error(verb, "Le motif est obligatoire."));
            }
            Ok(Command::Reschedule {
                case: case_ref(args[0])?,
                step: ident(args[1], "Nom d'étape")?,
                to: date(args[2])?,
                confirmed,
                reason,
            })
        }
        "date" => {
            exact(3..=4)?;
            let confirmed = args.len() == 4 && is_confirm(args[3]);
            if args.len() == 4 && !confirmed {
                return Err(usage_error(
                    verb,
                    "Après la date, seul « confirme » est possible.",
                ));
            }
            Ok(Command::SetEvent {
                case: case_ref(args[0])?,
                event: ident(args[1], "Nom d'événement")?,
                on: date(args[2])?,
                confirmed,
            })
        }
        "rdv"
            if args.len() == 3
                && matches!(
                    args[2].to_lowercase().as_str(),
                    "annuler" | "annule" | "annulé" | "cancel"
                ) =>
        {
            Ok(Command::CancelAppointment {
                case: case_ref(args[0])?,
                step: ident(args[1], "Nom d'étape")?,
            })
        }
        "rdv" => {
            exact(4..=6)?;
            let confirmed = args.len() > 4 && is_confirm(args[args.len() - 1]);
            let args = if confirmed {
                &args[..args.len() - 1]
            } else {
                &args[..]
            };
            if args.len() < 4 {
                return Err(usage_error(verb, "Il manque la date ou l'heure du rendez-vous."));
            }
            let on = date(args[2])?;
            let time = parse_time(args[3])
                .ok_or_else(|| usage_error(verb, "Heure invalide : attendu 14h30 ou 14:30."))?;
            let minutes = match args.get(4) {
                None => 60,
                Some(m) => match m.trim_end_matches("min").parse::<u32>() {
                    Ok(n) if (5..=480).contains(&n) => n,
                    _ => return Err(usage_error(verb, "Durée invalide : entre 5 et 480 minutes.")),
                },
            };
            Ok(Command::Appointment {
                case: case_ref(args[0])?,
                step: ident(args[1], "Nom d'étape")?,
                at: on.and_time(time),
                minutes,
                confirmed,
            })
        }
        "simuler" => {
            exact(3..=3)?;
            Ok(Command::Simulate {
                case: case_ref(args[0])?,
                event: ident(args[1], "Nom d'événement")?,
                on: date(args[2])?,
            })
        }
        "bilan-rdv" => {
            exact(3..=3)?;
            let outcome = args[2]
                .parse::<MeetingOutcome>()
                .map_err(|e| usage_error(verb, &e))?;
            Ok(Command::Outcome {
                case: case_ref(args[0])?,
                step: ident(args[1], "Nom d'étape")?,
                outcome,
            })
        }
        "ack" => {
            exact(1..=1)?;
            let id = args[0].trim_start_matches('#');
            match id.parse::<i64>() {
                Ok(n) if n > 0 => Ok(Command::Ack(n)),
                _ => Err(usage_error(verb, "Numéro de rappel invalide.")),
            }
        }
        "appel" => {
            exact(1..=3)?;
            let case = case_ref(args[0])?;
            let (mut guardian, mut on) = (None, None);
            for a in &args[1..] {
                // A guardian's number is short; anything else must be a date.
                if a.len() <= 2 && a.bytes().all(|b| b.is_ascii_digit()) {
                    if guardian.is_some() {
                        return Err(usage_error(verb, "Un seul numéro de responsable."));
                    }
                    guardian = Some(
                        a.parse::<u32>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| usage_error(verb, "Numéro de responsable invalide : 1, 2..."))?,
                    );
                } else if on.is_none() {
                    on = Some(date(a)?);
                } else {
                    return Err(usage_error(verb, "Une seule date."));
                }
            }
            Ok(Command::Call { case, guardian, on })
        }
        "lier" => {
            exact(1..=1)?;
            let code = args[0].trim().to_ascii_uppercase();
            if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(usage_error(verb, "Code invalide : 8 lettres ou chiffres."));
            }
            Ok(Command::Link(code))
        }
        "lien" => {
            exact(1..=2)?;
            Ok(Command::LinkCode {
                person: ident(args[0], "Personne")?,
                channel: args
                    .get(1)
                    .map(|c| c.to_ascii_lowercase())
                    .map(|c| match c.as_str() {
                        "matrix" | "telegram" | "console" => Ok(c),
                        _ => Err(usage_error(verb, "Canal inconnu : matrix, telegram ou console.")),
                    })
                    .transpose()?,
            })
        }
        "communication" => {
            if args.len() < 2 {
                return Err(usage_error(
                    verb,
                    "Il manque des éléments (le titre est obligatoire).",
                ));
            }
            Ok(Command::Communication {
                convention: case_ref(args[0])?,
                title: rest(1),
            })
        }
        "connexion" => {
            exact(0..=0)?;
            Ok(Command::Login)
        }
        "ouvrir" => {
            if args.len() < 2 {
                return Err(usage_error(verb, "Il manque des éléments."));
            }
            let procedure = ident(args[0], "Procédure")?;
            let establishment = args[1].trim().to_ascii_uppercase();
            if establishment.len() != 8 || !establishment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(usage_error(
                    verb,
                    "UAI invalide : 7 chiffres et une lettre, par exemple 0490001K.",
                ));
            }
            let mut events = Vec::new();
            for a in &args[2..] {
                let Some((event, on)) = a.split_once('=') else {
                    return Err(usage_error(
                        verb,
                        "Après l'UAI, des dates écrites EVENEMENT=DATE.",
                    ));
                };
                events.push((ident(event, "Nom d'événement")?, date(on)?));
            }
            Ok(Command::Open {
                procedure,
                establishment,
                events,
            })
        }
        "recu" => {
            exact(3..=3)?;
            Ok(Command::Received {
                item: case_ref(args[0])?,
                partner: ident(args[1], "Partenaire")?,
                on: date(args[2])?,
            })
        }
        "jalon" => {
            if args.len() < 3 {
                return Err(usage_error(
                    verb,
                    "Il manque des éléments (l'intitulé et la date sont obligatoires).",
                ));
            }
            let on = date(args[args.len() - 1])?;
            let quotes: &[char] = &['"', '«', '»', '“', '”', ' ', '\u{a0}'];
            let title = args[1..args.len() - 1].join(" ").trim_matches(quotes).to_string();
            if title.is_empty() {
                return Err(usage_error(verb, "L'intitulé est vide."));
            }
            Ok(Command::Milestone {
                case: case_ref(args[0])?,
                title,
                on,
            })
        }
        "version" => {
            exact(1..=1)?;
            Ok(Command::NewVersion(case_ref(args[0])?))
        }
        "approuve" => {
            exact(1..=2)?;
            Ok(Command::Approve {
                item: case_ref(args[0])?,
                partner: args.get(1).map(|p| ident(p, "Partenaire")).transpose()?,
            })
        }
        "objection" => {
            if args.len() < 2 {
                return Err(usage_error(
                    verb,
                    "Il manque des éléments (le motif est obligatoire).",
                ));
            }
            let item = case_ref(args[0])?;
            let (partner, reason_from) = if args[1].starts_with('@') {
                (Some(ident(args[1], "Partenaire")?), 2)
            } else {
                (None, 1)
            };
            let reason = rest(reason_from);
            if reason.is_empty() {
                return Err(usage_error(verb, "Le motif est obligatoire."));
            }
            Ok(Command::Object {
                item,
                partner,
                reason,
            })
        }
        "resiliation" => {
            exact(2..=3)?;
            Ok(Command::Terminate {
                convention: case_ref(args[0])?,
                received: date(args[1])?,
                requested: args.get(2).map(|s| date(s)).transpose()?,
            })
        }
        _ => Err(ParseError {
            message: "Commande inconnue. Tapez !aide.".into(),
        }),
    }
}

/// `14h30`, `14:30`, `14h`, `9h05`.
pub fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
    let s = s.trim().to_lowercase();
    let (h, m) = s.split_once(['h', ':']).unwrap_or((&s, ""));
    let h: u32 = h.parse().ok()?;
    let m: u32 = if m.is_empty() { 0 } else { m.parse().ok()? };
    if m > 59 || h > 23 || s.len() > 5 {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(h, m, 0)
}

/// The help text: every verb, or one in detail.
pub fn help(topic: Option<&str>) -> String {
    if let Some(t) = topic {
        return match find_verb(t) {
            Some(v) => {
                let aliases: Vec<String> = v.aliases.iter().map(|a| format!("!{a}")).collect();
                format!(
                    "{} : {}.\nAutres noms : {}.",
                    v.usage,
                    v.purpose,
                    aliases.join(", ")
                )
            }
            None => "Pas de commande de ce nom. Tapez !aide pour la liste.".to_string(),
        };
    }
    let mut s = String::from("Commandes disponibles :\n");
    for v in VERBS {
        s.push_str(&format!("• {} : {}\n", v.usage, v.purpose));
    }
    s.push_str("Les dates s'écrivent 2026-03-05 ou 05/03/2026.");
    s
}

#[cfg(test)]
mod tests;
