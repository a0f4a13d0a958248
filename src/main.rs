//! The `echeancier` binary: parses the command line, sets up logging and
//! runs the chosen command. Exit codes: 0 success, 1 runtime failure,
//! 2 bad input (with one French line on standard error).

use std::process::ExitCode;

use echeancier::cli::{self, Command, Failure};
use echeancier_core::french::sentence;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match cli::french_usage_error(&e) {
                None => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                Some(msg) => {
                    eprintln!("echeancier : {}", sentence(&msg));
                    ExitCode::from(2)
                }
            };
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ECHEANCIER_LOG")
        .unwrap_or_else(|_| "warn,echeancier=info".into());
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if cli.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let config = cli.config.as_deref();
    let outcome = match &cli.command {
        Command::Deadline(a) => cli::deadline(a),
        Command::SchoolYear {
            date,
            calendar,
            academie,
        } => cli::school_year(date, calendar, academie.as_deref()),
        Command::Termination(a) => cli::termination(a),
        Command::Check { procedures } => cli::check(procedures.as_deref(), config),
        Command::Run { demo, as_identity } => block_on(cli::run(config, *demo, as_identity.clone())),
        Command::Demo { as_identity } => block_on(cli::run(config, true, as_identity.clone())),
        Command::Case(cmd) => block_on(cli::case(config, cmd)),
        Command::Lien { personne, canal } => block_on(cli::link_code(config, personne, canal)),
        Command::Indicateurs {
            etablissement,
            departement,
            periode,
            csv,
        } => block_on(cli::indicators(
            config,
            etablissement.as_deref(),
            departement.as_deref(),
            periode.as_deref(),
            *csv,
        )),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // One French sentence: capital letter, final period.
        Err(Failure::Input(msg)) => {
            eprintln!("echeancier : {}", sentence(&msg));
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("echeancier : {}", sentence(&format!("erreur : {e:#}")));
            ExitCode::from(1)
        }
    }
}

/// At most four worker threads, whatever the machine's cores: the daemon
/// waits on the network and the database, and each thread keeps its own
/// allocator arena and stack.
fn block_on<F: std::future::Future<Output = Result<(), Failure>>>(f: F) -> Result<(), Failure> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(e.into()))?;
    rt.block_on(f)
}
