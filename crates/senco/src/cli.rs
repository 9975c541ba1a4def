//! The command-line interface: every flag, with its environment variable and default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The recovery time objective a drill is held to unless told otherwise: 4 hours.
pub const DEFAULT_RTO_MINUTES: u64 = 240;

/// Senco: special educational needs records for schools and local authorities.
#[derive(Debug, Parser)]
#[command(name = "senco", version, about, long_about = None)]
pub struct Cli {
    /// How to write logs.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "SENCO_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The database to use.
#[derive(Debug, Clone, Args)]
pub struct Database {
    /// `sqlite://FILE` (the default, created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "SENCO_DATABASE_URL",
        default_value = "sqlite://senco.db"
    )]
    pub database_url: String,
}

/// Who is acting, for commands that read or change records.
#[derive(Debug, Clone, Args)]
pub struct ActorArg {
    /// The email of the account acting; by default the operating-system user, recorded as such.
    #[arg(long, global = true, env = "SENCO_ACTOR")]
    pub actor: Option<String>,
}

/// Web server settings.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "SENCO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Folder of the compiled front-end assets (built by scripts/build-assets.sh).
    #[arg(long, env = "SENCO_ASSETS_DIR", default_value = "assets/dist")]
    pub assets_dir: PathBuf,
    /// Comma-separated addresses of reverse proxies whose X-Forwarded-For is trusted.
    #[arg(long, env = "SENCO_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Folder where outgoing email is written as .eml files.
    #[arg(long, env = "SENCO_OUTBOX_DIR", default_value = "outbox")]
    pub outbox_dir: PathBuf,
    /// Send email through this SMTP server (smtp://host:25, smtp://user:pass@host:587?tls=required
    /// or smtps://user:pass@host:465). Without it, email is written to --outbox-dir.
    #[arg(long, env = "SENCO_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of Senco's email.
    #[arg(
        long,
        env = "SENCO_MAIL_FROM",
        default_value = "Senco <senco@localhost>"
    )]
    pub mail_from: String,
    /// Where this installation's source code can be had (shown in the footer).
    #[arg(
        long,
        env = "SENCO_SOURCE_URL",
        default_value = "https://example.invalid/senco"
    )]
    pub source_url: String,
    /// The address people use to reach Senco, for links in emails (default: http:// and the
    /// bind address).
    #[arg(long, env = "SENCO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The bearer token GET /metrics asks for. Without it, /metrics answers 404.
    #[arg(long, env = "SENCO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Failed sign-ins allowed per address in 5 minutes (a school shares one address).
    #[arg(long, env = "SENCO_ADDRESS_ATTEMPTS", default_value_t = 300)]
    pub address_attempts: i64,
    /// Minutes without activity after which a session ends.
    #[arg(long, env = "SENCO_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Hours after sign-in after which a session ends.
    #[arg(long, env = "SENCO_SESSION_ABSOLUTE_HOURS", default_value_t = 12)]
    pub session_absolute_hours: u64,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Fill a new database with realistic made-up data, print the sign-ins, and serve it.
    Demo {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        serve: ServeArgs,
        /// Replace an existing demo database (a database with real data is never replaced).
        #[arg(long)]
        force: bool,
        /// Only create the data; do not start the server.
        #[arg(long)]
        no_serve: bool,
        /// Print the sign-ins as JSON (for scripts and tests).
        #[arg(long)]
        json: bool,
        /// Seed of the made-up data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Fill a new database with a synthetic local authority (for load tests): schools,
    /// pupils, SEN records, plans, provision, audit rows. Prints a few sign-ins.
    Generate {
        #[command(flatten)]
        db: Database,
        /// Number of schools.
        #[arg(long, default_value_t = 150)]
        schools: usize,
        /// Number of pupils (about; classes are filled to whole sizes).
        #[arg(long, default_value_t = 100_000)]
        pupils: usize,
        /// Seed of the made-up data: the same seed gives the same pupils and UPNs.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Replace an existing demo or generated database (real data is never replaced).
        #[arg(long)]
        force: bool,
        /// Print the sign-ins as JSON (for scripts and tests).
        #[arg(long)]
        json: bool,
    },
    /// Bring the database schema up to date.
    Migrate {
        #[command(flatten)]
        db: Database,
        /// PostgreSQL: let this role (one that owns nothing, for `senco serve`) read and
        /// write the tables. Row-level security then holds for it (SR-08). Run again after
        /// each upgrade.
        #[arg(long, value_name = "ROLE")]
        grant_to: Option<String>,
    },
    /// Manage user accounts.
    User {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit log, or export who has seen a pupil's record.
    Audit {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Show or change settings (census cut-over dates, compulsory school age, review policies).
    Settings {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: SettingsCommand,
    },
    /// Import records from files (pupils from an MIS CSV export, a pupil's full record).
    Import {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Retention (SR-30): record pupils leaving, flag records due for destruction, decide
    /// and destroy them.
    Retention {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Write data out: the school census SEN return, a pupil's full record, a subject-access
    /// bundle.
    Export {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Back up the database into one file (encrypted when a backup key is configured), make a
    /// backup key, or test restores (docs/backups.md).
    #[command(args_conflicts_with_subcommands = true)]
    Backup {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(flatten)]
        key: BackupKeyArg,
        #[command(subcommand)]
        command: Option<BackupCommand>,
        /// The backup file to write (it must not exist yet).
        file: Option<PathBuf>,
    },
    /// Restore a backup into a database and check it against its manifest; with --drill,
    /// test the restore on a scratch copy instead.
    Restore(RestoreArgs),
    /// Add, change or list local authorities.
    Authority {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: AuthorityCommand,
    },
    /// Add, change (or close) or list schools.
    School {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: SchoolCommand,
    },
    /// Calendars: import term dates, INSET days and closures; load the bank holidays.
    Calendar {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        actor: ActorArg,
        #[command(subcommand)]
        command: CalendarCommand,
    },
}

/// `senco calendar ...`
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add the entries of a CSV (columns kind,name,start,end) or iCalendar (.ics) file to an
    /// authority's or a school's calendar: all or nothing, checked first.
    Import {
        /// The CSV or .ics file.
        file: PathBuf,
        /// The local authority's code.
        #[arg(long, conflicts_with = "school", required_unless_present = "school")]
        authority: Option<String>,
        /// The school's URN (its own entries, over its authority's).
        #[arg(long)]
        school: Option<String>,
        /// Check and list what would be added, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Replace the bank holidays with a file in the format gov.uk publishes
    /// (https://www.gov.uk/bank-holidays.json): checked whole, all or nothing.
    BankHolidays {
        /// The JSON file.
        file: PathBuf,
        /// Check and summarise the file, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `senco authority ...`
#[derive(Debug, Subcommand)]
pub enum AuthorityCommand {
    /// Add a local authority.
    Add {
        /// The three-digit code (census rule 1530; 660-681 are Welsh).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// england or wales (by default, the country of the code).
        #[arg(long, default_value = "")]
        country: String,
    },
    /// Change a local authority (the options given; the rest stays).
    Edit {
        /// The authority's current code.
        code: String,
        #[arg(long)]
        new_code: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        country: Option<String>,
    },
    /// List local authorities.
    List {
        /// Part of the code or name.
        #[arg(long, default_value = "")]
        search: String,
    },
}

/// A school's details on the command line (each optional when editing).
#[derive(Debug, Clone, Default, Args)]
pub struct SchoolArgs {
    /// The local authority's code.
    #[arg(long)]
    pub authority: Option<String>,
    #[arg(long)]
    pub estab: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// nursery, primary, secondary, special or all_through.
    #[arg(long)]
    pub phase: Option<String>,
    /// Maintained by the local authority: true or false.
    #[arg(long)]
    pub maintained: Option<bool>,
    #[arg(long)]
    pub street: Option<String>,
    #[arg(long)]
    pub locality: Option<String>,
    #[arg(long)]
    pub town: Option<String>,
    #[arg(long)]
    pub postcode: Option<String>,
    #[arg(long)]
    pub telephone: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    /// Schools in Wales: english, dual, transitional or welsh (empty for none).
    #[arg(long)]
    pub language_medium: Option<String>,
}

/// `senco school ...`
#[derive(Debug, Subcommand)]
pub enum SchoolCommand {
    /// Add a school (the country's current SEN framework applies from the start).
    Add {
        /// The six-digit URN.
        #[arg(long)]
        urn: String,
        #[command(flatten)]
        details: SchoolArgs,
    },
    /// Change a school's details (the options given; the rest stays). Closing keeps the
    /// school and its records.
    Edit {
        /// The school's current URN.
        urn: String,
        #[arg(long)]
        new_urn: Option<String>,
        #[command(flatten)]
        details: SchoolArgs,
        /// Mark the school closed on this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        close: Option<String>,
        /// Mark a closed school open again.
        #[arg(long)]
        reopen: bool,
    },
    /// List schools, open ones first.
    List {
        /// Part of the name or URN, or an authority code.
        #[arg(long, default_value = "")]
        search: String,
    },
    /// Change a school's working framework from a date: the one in force ends the day
    /// before, and the pupils' stage history is never rewritten. With --dry-run, only show
    /// what the change means for the pupils on the SEN register.
    Framework {
        /// The school's URN.
        urn: String,
        /// The new framework: england_2001, england_2014, wales_2002 or wales_aln_2021.
        #[arg(long)]
        framework: String,
        /// The day it starts (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// Only preview; nothing is written.
        #[arg(long)]
        dry_run: bool,
    },
    /// List a school's frameworks by date.
    Frameworks {
        /// The school's URN.
        urn: String,
    },
}

/// The backup key.
#[derive(Debug, Clone, Args)]
pub struct BackupKeyArg {
    /// A file holding the backup key (64 hex digits, or base64 of 32 bytes; `senco backup
    /// keygen` makes one). Without it, backups are NOT encrypted.
    #[arg(long, global = true, env = "SENCO_BACKUP_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// `senco backup ...`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a new random backup key to FILE, readable by its owner only (an existing file
    /// is never replaced).
    Keygen { file: PathBuf },
    /// Test a restore: restore FILE into a scratch database, check it, start Senco on it and
    /// sign in, then store the report in this database (the same as `senco restore --drill`).
    Drill(DrillArgs),
    /// List the restore drills run so far, newest first.
    Drills {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// A restore drill's settings.
#[derive(Debug, Clone, Args)]
pub struct DrillArgs {
    /// The backup file.
    pub file: PathBuf,
    /// The recovery time objective in minutes: a drill that takes longer fails.
    #[arg(long, env = "SENCO_BACKUP_RTO_MINUTES", default_value_t = DEFAULT_RTO_MINUTES)]
    pub rto_minutes: u64,
    /// PostgreSQL: a database URL on the server where the scratch database is created and
    /// dropped (by default the live database's server).
    #[arg(long, env = "SENCO_DRILL_SCRATCH_URL")]
    pub scratch_url: Option<String>,
}

/// `senco restore`'s arguments.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub db: Database,
    #[command(flatten)]
    pub actor: ActorArg,
    #[command(flatten)]
    pub key: BackupKeyArg,
    /// The backup file.
    pub file: PathBuf,
    /// Replace the target database even though it is not empty (stop Senco first).
    #[arg(long, conflicts_with = "drill")]
    pub force: bool,
    /// Test the restore instead: restore into a scratch database, check it, start Senco on
    /// it and sign in; --database-url is then the live database, where the report is kept.
    #[arg(long)]
    pub drill: bool,
    /// With --drill: the recovery time objective in minutes.
    #[arg(long, env = "SENCO_BACKUP_RTO_MINUTES", default_value_t = DEFAULT_RTO_MINUTES)]
    pub rto_minutes: u64,
    /// With --drill on PostgreSQL: where the scratch database is made (see `backup drill`).
    #[arg(long, env = "SENCO_DRILL_SCRATCH_URL")]
    pub scratch_url: Option<String>,
}

/// `senco export ...`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The school census SEN return for a census date: each pupil on roll with their SEN
    /// provision code and ranked needs. Problems are listed on standard error; the exit
    /// status is 1 when any pupil has an error (the file is written all the same).
    Census {
        /// The school's URN.
        #[arg(long)]
        school: String,
        /// The census date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        #[arg(long, value_enum, default_value_t = CensusFormat::Csv)]
        format: CensusFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// A Common Transfer File (UTF-8 XML) for leaving pupils (`--upn`, repeatable) or a year
    /// group (`--year`), with their SEN history: each stage with its provision code and
    /// dates, and ranked needs.
    Ctf(ExportCtf),
    /// A pupil's whole SEN record (stages, needs, concerns, plans and reviews, provision,
    /// specialists and their reports) as one portable JSON file (docs/record.md), for the
    /// school the pupil moves to (`senco import record`).
    Record {
        /// The pupil: Senco's id or their UPN.
        #[arg(long)]
        pupil: String,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// Everything Senco holds about a pupil, to answer a subject access request or a
    /// parent's request for the educational record (docs/subject-access.md): the full
    /// record, contacts, schools, shares with the local authority and who has seen or
    /// received the record, with third-party and health information marked for review.
    SubjectAccess {
        /// The pupil: Senco's id or their UPN.
        #[arg(long)]
        pupil: String,
        #[arg(long, value_enum)]
        format: BundleFormat,
        /// The file to write.
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// The day the request was received, YYYY-MM-DD (today by default): the deadlines
        /// on the cover page count from it.
        #[arg(long)]
        received: Option<String>,
        /// Who made the request, for the cover page ("the pupil's mother").
        #[arg(long)]
        requested_by: Option<String>,
    },
}

/// The file format of a subject-access bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BundleFormat {
    Json,
    Pdf,
}

/// `senco export ctf`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ExportCtf {
    /// The school's URN.
    #[arg(long)]
    pub school: String,
    /// A pupil's UPN (repeatable): a CTF for these leaving pupils.
    #[arg(long = "upn", value_name = "UPN")]
    pub upns: Vec<String>,
    /// A year group instead (R, N1, N2 or 1 to 14): every pupil of the school in it today.
    #[arg(long, conflicts_with = "upns")]
    pub year: Option<String>,
    /// The destination's local authority number (MMM when unknown).
    #[arg(long, default_value = "MMM")]
    pub dest_lea: String,
    /// The destination's establishment number (XXX when unknown).
    #[arg(long, default_value = "XXX")]
    pub dest_estab: String,
    /// The file to write.
    #[arg(short, long)]
    pub output: std::path::PathBuf,
}

/// The file format of a census return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CensusFormat {
    Csv,
    Xml,
}

/// `senco user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The passphrase is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// senco, teacher, teaching_assistant, head, school_admin, parent, specialist, la_officer or admin.
        #[arg(long)]
        role: String,
        /// The school's URN, for school roles.
        #[arg(long)]
        school: Option<String>,
        /// The local authority's code, for local-authority officers.
        #[arg(long)]
        authority: Option<String>,
        /// Read the passphrase from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print a one-time code for making the first administrator at /setup (only while the
    /// installation has no accounts; it works once, for 24 hours).
    Bootstrap,
    /// List accounts.
    List {
        /// Only the accounts of this school (URN).
        #[arg(long)]
        school: Option<String>,
    },
    /// Disable an account, ending all its sessions and tokens.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Set a new passphrase (read from standard input); the person must change it at next sign-in.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Remove an account's two-factor key and recovery codes (a lost phone), ending its
    /// sessions; staff set up a new key when they next sign in.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// Invite staff from a CSV file (columns name, email, role, school, groups: docs/staff.md),
    /// all or nothing. Each is emailed an invitation through the outbox, or, for an account
    /// that reads SEN records, waits for the approval of the school's SENCO or head teacher
    /// (or an administrator in the web).
    Import {
        file: std::path::PathBuf,
        /// Only check the file and say what would happen.
        #[arg(long)]
        dry_run: bool,
        /// The address people use to reach Senco, for the invitations' links.
        #[arg(
            long,
            env = "SENCO_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

/// `senco audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every row of the audit log against its hash chain; names the first bad row.
    /// With anchors (heads kept outside the database: the server's log, a backup's output
    /// or manifest), also check that the chain still passes through each, so that a chain
    /// recomputed by someone who could write to the database is caught.
    Verify {
        /// An anchor, `SEQ:HASH` (repeatable).
        #[arg(long = "anchor", value_name = "SEQ:HASH")]
        anchors: Vec<String>,
        /// A file holding anchors as `senco_audit_anchor=SEQ:HASH` (the server's log, the
        /// output of `senco backup`); every anchor in it is checked (repeatable).
        #[arg(long = "anchors", value_name = "FILE")]
        anchor_files: Vec<std::path::PathBuf>,
    },
    /// Print, as CSV, everyone who has read, changed or received a pupil's record.
    Pupil {
        /// The pupil's id.
        #[arg(long)]
        pupil: String,
    },
    /// Remove audit rows older than the audit log's retention period (setting
    /// `audit.retention_years`, default 6), keeping `senco audit verify` working from the
    /// last removed row's hash. On PostgreSQL run it as the schema's owner.
    Prune {
        /// Remove rows dated before this day instead (YYYY-MM-DD).
        #[arg(long)]
        before: Option<String>,
    },
}

/// `senco retention ...`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Record that a pupil left their school on a date (`--transferred-out` when they moved
    /// on to another school, which then keeps the record).
    Leave {
        /// The pupil: Senco's id or their UPN.
        #[arg(long)]
        pupil: String,
        /// The leaving date, YYYY-MM-DD.
        #[arg(long)]
        on: String,
        /// The pupil moved to another school (this school is not the last).
        #[arg(long)]
        transferred_out: bool,
        /// The destination school's DfE number (LA code and establishment number, 7
        /// digits), when known: implies --transferred-out, and addresses the pupil's CTF.
        #[arg(long, value_name = "LAESTAB")]
        to: Option<String>,
    },
    /// Flag every pupil whose records are due today (run daily from cron when the server
    /// does not run; `senco serve` does it itself).
    Review,
    /// List the retention reviews (pending, approved, kept), due first.
    List {
        /// Only this school's (URN).
        #[arg(long)]
        school: Option<String>,
    },
    /// Approve the destruction of a review's records.
    Approve {
        /// The review's id (from `senco retention list`).
        #[arg(long)]
        review: String,
    },
    /// Keep a review's records for a documented reason until a date.
    Keep {
        #[arg(long)]
        review: String,
        /// Why the records are kept (no names).
        #[arg(long)]
        reason: String,
        /// Review again on this date, YYYY-MM-DD.
        #[arg(long)]
        until: String,
    },
    /// Destroy the records of every approved review, then checkpoint and VACUUM (SQLite).
    Destroy,
    /// Print the destruction log (ids, classes and dates only).
    Log,
}

/// `senco settings ...`
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Every setting, its value (or "(default)") and what it takes.
    List,
    /// Change a setting, for example `census.wales_legacy_until 2026-08-31` or `review_policy.100001 termly`.
    Set { key: String, value: String },
}

/// `senco token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account and print it once (only its hash is stored).
    Create {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
    },
}

/// How to print an import's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// `senco import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a school's pupils from a CSV export of its management information system
    /// (UTF-8, Windows-1252 or UTF-16 with a byte-order mark). Pupils of the school are
    /// matched by UPN and updated; everything is written in one transaction, or nothing.
    Pupils {
        /// The CSV file.
        file: PathBuf,
        /// The importing school's URN.
        #[arg(long)]
        school: String,
        /// Check and show what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the preview as text (the default) or JSON.
        #[arg(long, value_enum, default_value = "text")]
        report: ReportFormat,
        /// Choose the column of a field, overriding the recognised headers, for example
        /// `--mapping upn="Pupil UPN"` (fields: upn, legal_surname, legal_forename,
        /// date_of_birth, sex, year, reg_group, preferred_surname, preferred_forename,
        /// former_upn; an empty column leaves the field out).
        #[arg(long = "mapping", value_name = "FIELD=COLUMN")]
        mapping: Vec<String>,
        /// Move pupils enrolled at another school of this installation to this one, with
        /// their records (otherwise such rows stop the import).
        #[arg(long)]
        accept_transfers: bool,
    },
    /// Import pupils and their SEN history from a DfE Common Transfer File (UTF-8 XML, at
    /// most 50 MB; no DTDs or entities). Every provision and need code is checked against
    /// the dated national table; the history the school already holds is not duplicated.
    /// Everything is written in one transaction, or nothing.
    Ctf {
        /// The CTF (XML) file.
        file: PathBuf,
        /// The importing school's URN.
        #[arg(long)]
        school: String,
        /// Move pupils enrolled at another school of this installation to this one, with
        /// their records (otherwise such pupils stop the import).
        #[arg(long)]
        accept_transfers: bool,
    },
    /// Import schools from a national register's CSV extract (England's Get Information
    /// About Schools all-establishments file, or the Welsh list of schools): matched by URN,
    /// only schools of authorities already in Senco; everything in one transaction, or
    /// nothing when any row has a problem (docs/schools.md).
    Schools {
        /// The CSV file.
        file: PathBuf,
        /// Check and show what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the preview as text (the default) or JSON.
        #[arg(long, value_enum, default_value = "text")]
        report: ReportFormat,
    },
    /// Continue a pupil's record exported by `senco export record` at this school: a new
    /// pupil with their whole history, written in one transaction, or nothing with every
    /// problem listed. A pupil whose UPN is already in Senco is refused (moving them is
    /// `senco import pupils --accept-transfers`).
    Record {
        /// The record file (JSON).
        file: PathBuf,
        /// The receiving school's URN.
        #[arg(long)]
        school: String,
    },
}
