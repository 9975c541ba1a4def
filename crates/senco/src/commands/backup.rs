//! `senco backup`, `senco restore` and the restore drill (SR-35, SR-36; docs/backups.md).
//!
//! A backup is a consistent copy taken while Senco keeps serving (SQLite: `VACUUM INTO`, one
//! read transaction; PostgreSQL: `pg_dump -Fc` on a snapshot exported by a transaction that
//! also reads every table's row count and checksum), written with its manifest into Senco's
//! own file format ([`crate::backup_file`]), encrypted when a key is configured, under a
//! temporary name renamed into place when complete. A restore checks the file (key, chunk
//! tags, payload checksum, schema version), restores, then checks the restored database
//! (SQLite's integrity and foreign-key checks, every table's count and checksum against the
//! manifest, the audit chain). A drill restores into a scratch database, starts Senco on it,
//! signs in over HTTP with an account made in the scratch copy only, and stores a report
//! (no pupil data) in the live database.

use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use senco_app::Clock;
use senco_domain::person::Passphrase;
use senco_domain::role::Role;
use senco_store::Store;
use senco_store::backup::{DrillReport, TableDigest, UPLOADS_TABLE};
use senco_store::users::NewUser;
use senco_web::WebConfig;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::backup_file::{
    BodyReader, BodyWriter, Engine, Key, Manifest, Payload, TableEntry, UploadsNote,
    create_private, read_header, read_manifest, truncated, write_manifest,
};
use crate::cli::{BackupCommand, DrillArgs, RestoreArgs};
use crate::startup::{Application, ServerConfig, system_clock};

/// The note kept in every manifest about uploaded files.
const UPLOADS_NOTE: &str = "Uploaded files (specialists' reports) are stored as bytes inside the database, so this backup holds them.";

/// Runs `senco backup ...`.
pub async fn run(
    database_url: &str,
    actor: Option<&str>,
    key_file: Option<&Path>,
    command: Option<BackupCommand>,
    file: Option<PathBuf>,
) -> anyhow::Result<()> {
    match command {
        Some(BackupCommand::Keygen { file }) => {
            Key::generate()?.write_new_file(&file)?;
            println!(
                "Wrote a new backup key to {} (readable by you only).",
                file.display()
            );
            println!(
                "Set SENCO_BACKUP_KEY_FILE={} (or pass --key-file) for `senco backup` and `senco restore`.",
                file.display()
            );
            println!(
                "Keep a copy of the key away from the backups (a password manager or a sealed envelope): without it no backup can be restored."
            );
            Ok(())
        }
        Some(BackupCommand::Drill(args)) => {
            let key = load_key(key_file)?;
            run_drill(database_url, actor, key.as_ref(), &args).await
        }
        Some(BackupCommand::Drills { limit }) => {
            let store = super::open(database_url).await?;
            store.migrate(system_clock().now()).await?;
            let drills = store.drills(limit).await?;
            if drills.is_empty() {
                println!("No restore drill has been run yet: `senco restore --drill FILE`.");
            }
            for d in &drills {
                println!("{}", drill_line(d));
            }
            Ok(())
        }
        None => {
            let Some(file) = file else {
                bail!(
                    "say where to write the backup: `senco backup FILE` (see `senco backup --help`)"
                );
            };
            let key = load_key(key_file)?;
            if key.is_none() {
                warn_unencrypted();
            }
            let summary = backup(
                database_url,
                &file,
                key.as_ref(),
                system_clock().now(),
                actor,
            )
            .await?;
            let m = &summary.manifest;
            println!(
                "Backed up {} tables ({} rows, {} uploaded files of {} bytes) to {} ({} bytes, {}).",
                m.tables.len(),
                m.total_rows(),
                m.uploads.count,
                m.uploads.bytes,
                file.display(),
                summary.file_bytes,
                if m.encrypted {
                    "encrypted"
                } else {
                    "NOT encrypted"
                }
            );
            if let Some(head) = &m.audit_head {
                // An anchor kept outside the database (SR-27): keep this line with the
                // backup's logs, and check with `senco audit verify --anchor`.
                println!(
                    "Audit chain head: {}={head}",
                    senco_store::audit::AuditAnchor::LOG_FIELD
                );
            }
            Ok(())
        }
    }
}

/// Runs `senco restore ...`.
pub async fn run_restore(args: RestoreArgs) -> anyhow::Result<()> {
    let key = load_key(args.key.key_file.as_deref())?;
    if args.drill {
        return run_drill(
            &args.db.database_url,
            args.actor.actor.as_deref(),
            key.as_ref(),
            &DrillArgs {
                file: args.file.clone(),
                rto_minutes: args.rto_minutes,
                scratch_url: args.scratch_url.clone(),
            },
        )
        .await;
    }
    let r = restore(
        &args.file,
        &args.db.database_url,
        key.as_ref(),
        args.force,
        args.actor.actor.as_deref(),
    )
    .await?;
    println!(
        "Restored the backup taken {} into {}: {} tables and {} rows match the manifest, the audit chain is intact.",
        r.manifest.created_at,
        senco_store::redact_url(&args.db.database_url),
        r.manifest.tables.len(),
        r.manifest.total_rows()
    );
    if r.manifest.schema_version < senco_store::migrate::latest_version() {
        println!(
            "The backup's schema is version {}; `senco migrate` (or starting the server) brings it to {}.",
            r.manifest.schema_version,
            senco_store::migrate::latest_version()
        );
    }
    if r.manifest.engine == Engine::Postgres {
        println!(
            "Owners and grants are not restored: run `senco migrate --grant-to ROLE` for the server's role."
        );
    }
    Ok(())
}

fn load_key(path: Option<&Path>) -> anyhow::Result<Option<Key>> {
    path.map(Key::read_file).transpose()
}

fn warn_unencrypted() {
    eprintln!(
        "WARNING: NO BACKUP KEY IS CONFIGURED, SO THIS BACKUP WILL NOT BE ENCRYPTED.\n\
         WARNING: Anyone who gets the file can read every pupil's record in it.\n\
         WARNING: Make a key with `senco backup keygen FILE` and set SENCO_BACKUP_KEY_FILE (or --key-file)."
    );
}

/// A step-by-step progress bar on standard error, when it is a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(steps: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(steps);
        if let Ok(style) = indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    fn step(&self, msg: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg);
            bar.inc(1);
        }
    }

    fn message(&self, msg: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Files removed when dropped (temporary copies holding data in the clear).
struct TempFiles(Vec<PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A temporary name next to `path` (same folder, so a rename is atomic).
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "senco".into());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    dir.join(format!(".{name}.{what}-{}", uuid::Uuid::new_v4().simple()))
}

/// A `sqlite://` URL for a file path (`%`, `?` and `#` escaped).
fn sqlite_url(path: &Path) -> String {
    let p = path
        .to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite://{p}")
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("not a sqlite: URL")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    if rest.is_empty() || rest == ":memory:" {
        bail!("restore needs a SQLite file, not {url}");
    }
    Ok(PathBuf::from(
        percent_encoding::percent_decode_str(rest)
            .decode_utf8()?
            .into_owned(),
    ))
}

fn engine_of(url: &str) -> anyhow::Result<Engine> {
    match senco_store::Backend::of_url(url) {
        Some(senco_store::Backend::Sqlite) => Ok(Engine::Sqlite),
        Some(senco_store::Backend::Postgres) => Ok(Engine::Postgres),
        None => bail!("unsupported database URL: {}", senco_store::redact_url(url)),
    }
}

/// A PostgreSQL URL without its password, and the password (given to the tools in
/// `PGPASSWORD`, so it is not on their command line).
fn split_password(url: &str) -> (String, Option<String>) {
    if let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > scheme
    {
        let userinfo = &url[scheme + 3..at];
        if let Some(colon) = userinfo.find(':') {
            let password = &userinfo[colon + 1..];
            let decoded = percent_encoding::percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned();
            return (
                format!("{}{}{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                Some(decoded),
            );
        }
    }
    (url.to_string(), None)
}

/// A PostgreSQL tool (`pg_dump`, `pg_restore`), from `SENCO_PG_BIN_DIR` when set.
fn pg_tool(name: &str, url: &str) -> tokio::process::Command {
    let program = match std::env::var_os("SENCO_PG_BIN_DIR") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => PathBuf::from(name),
    };
    let (url, password) = split_password(url);
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg("--no-password")
        .arg(format!("--dbname={url}"))
        // Row-level security is forced on pupil tables (SR-08): Senco's own trusted work
        // reads them as the whole installation.
        .env("PGOPTIONS", "-c senco.schools=*")
        .kill_on_drop(true);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

/// A tool's failure, with its messages (lines that could quote row content left out).
fn tool_failed(name: &str, status: std::process::ExitStatus, stderr: &[u8]) -> anyhow::Error {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("CONTEXT:") && !l.contains("DETAIL:") && !l.contains("LINE "))
        .take(5)
        .collect();
    anyhow::anyhow!("{name} failed ({status}): {}", lines.join(" / "))
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupSummary {
    pub manifest: Manifest,
    /// The backup file's size.
    pub file_bytes: u64,
}

/// Takes a backup of the database at `database_url` into `out` (SR-35), while Senco may
/// keep writing to it. `now` is the manifest's time.
pub async fn backup(
    database_url: &str,
    out: &Path,
    key: Option<&Key>,
    now: OffsetDateTime,
    actor: Option<&str>,
) -> anyhow::Result<BackupSummary> {
    if engine_of(database_url)? == Engine::Sqlite {
        let path = sqlite_path(database_url)?;
        if !path.exists() {
            bail!("there is no database at {}", path.display());
        }
    }
    let store = super::open(database_url).await?;
    let store = &store;
    let progress = Progress::new(3);
    if out.exists() {
        bail!(
            "{} already exists: choose a new name for each backup",
            out.display()
        );
    }
    if store.has_no_tables().await? {
        bail!("the database has no Senco tables: there is nothing to back up");
    }
    let payload_path = sibling(out, "payload");
    let partial = sibling(out, "partial");
    let _temp = TempFiles(vec![payload_path.clone(), partial.clone()]);
    // The copy holds the data in the clear: readable by its owner only, and removed.
    create_private(&payload_path).with_context(|| {
        format!(
            "could not create a temporary file next to {}",
            out.display()
        )
    })?;
    progress.step("copying the database");
    let (engine, kind, schema_version, uploads, tables, audit_head) = match store.backend() {
        senco_store::Backend::Sqlite => {
            let p = payload_path
                .to_str()
                .context("the backup's folder name is not UTF-8")?;
            store
                .vacuum_into(p)
                .await
                .context("copying the database (VACUUM INTO) failed")?;
            progress.step("counting and checksumming the copy");
            let mut conn = copy_connection(&payload_path).await?;
            let tables = senco_store::backup::digest_tables(&mut conn, store.backend(), |t| {
                progress.message(format!("checksumming {t}"))
            })
            .await?;
            let uploads = senco_store::backup::uploads(&mut conn).await?;
            let version = senco_store::backup::schema_version(&mut conn).await?;
            let head = senco_store::backup::audit_head(&mut conn, version).await?;
            sqlx::Connection::close(conn).await?;
            (
                Engine::Sqlite,
                "sqlite-database",
                version,
                uploads,
                tables,
                head,
            )
        }
        senco_store::Backend::Postgres => {
            let mut snapshot = store.export_snapshot().await?;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&payload_path)?;
            let mut cmd = pg_tool("pg_dump", database_url);
            cmd.arg("--format=custom")
                .arg("--enable-row-security")
                .arg(format!("--snapshot={}", snapshot.id))
                .stdin(std::process::Stdio::null())
                .stdout(file)
                .stderr(std::process::Stdio::piped());
            let dump = cmd.spawn().context(
                "could not run pg_dump (install postgresql-client, or set SENCO_PG_BIN_DIR)",
            )?;
            progress.step("counting and checksumming in the same snapshot");
            let tables =
                senco_store::backup::digest_tables(snapshot.conn(), store.backend(), |t| {
                    progress.message(format!("checksumming {t}"))
                })
                .await?;
            let uploads = senco_store::backup::uploads(snapshot.conn()).await?;
            let version = senco_store::backup::schema_version(snapshot.conn()).await?;
            let head = senco_store::backup::audit_head(snapshot.conn(), version).await?;
            let output = dump.wait_with_output().await?;
            snapshot.finish().await?;
            if !output.status.success() {
                return Err(tool_failed("pg_dump", output.status, &output.stderr));
            }
            (
                Engine::Postgres,
                "pg_dump-custom",
                version,
                uploads,
                tables,
                head,
            )
        }
    };
    if schema_version > senco_store::migrate::latest_version() {
        bail!(
            "the database schema is at version {schema_version}, newer than this Senco knows ({}): back it up with the newer Senco",
            senco_store::migrate::latest_version()
        );
    }
    progress.step("writing the backup file");
    let manifest_base = Manifest {
        created_at: senco_store::ts(now),
        senco_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        engine,
        encrypted: key.is_some(),
        payload: Payload {
            kind: kind.to_string(),
            bytes: 0,
            sha256: String::new(),
        },
        uploads: UploadsNote {
            note: UPLOADS_NOTE.to_string(),
            table: UPLOADS_TABLE.to_string(),
            count: uploads.count,
            bytes: uploads.bytes,
        },
        tables: tables.into_iter().map(TableEntry::from).collect(),
        audit_head: audit_head.map(|h| h.to_string()),
    };
    let key_copy = key.map(|k| Key::parse(&k.to_hex())).transpose()?;
    let (payload_c, partial_c, out_c) = (payload_path.clone(), partial.clone(), out.to_path_buf());
    let (manifest, file_bytes) = tokio::task::spawn_blocking(move || {
        let (bytes, sha256) = hash_file(&payload_c)?;
        let manifest = Manifest {
            payload: Payload {
                bytes,
                sha256,
                ..manifest_base.payload
            },
            ..manifest_base
        };
        let file = create_private(&partial_c)?;
        let mut w = BodyWriter::start(BufWriter::new(file), engine, key_copy.as_ref())?;
        write_manifest(&mut w, &manifest)?;
        let mut payload = BufReader::new(std::fs::File::open(&payload_c)?);
        std::io::copy(&mut payload, &mut w)?;
        let file = w.finish()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let file_bytes = file.metadata()?.len();
        drop(file);
        std::fs::rename(&partial_c, &out_c)?;
        sync_dir(&out_c);
        anyhow::Ok((manifest, file_bytes))
    })
    .await??;
    let mut event = super::cli_event(actor, "database", "backup");
    event.at = now;
    store.audit(&event).await?;
    store.close().await;
    Ok(BackupSummary {
        manifest,
        file_bytes,
    })
}

/// A read-only connection to a SQLite copy.
async fn copy_connection(path: &Path) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    let url = format!("{}?mode=ro", sqlite_url(path));
    <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .context("could not open the copy of the database")
}

/// The size and SHA-256 of a file.
fn hash_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = BufReader::new(std::fs::File::open(path)?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((n_total, senco_store::backup::hex(&h.finalize())))
}

/// Makes a rename in `file`'s folder durable (best effort).
fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// What a restore found.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
}

/// Restores `file` into the database at `target_url` and checks it (SR-36). Refuses a target
/// that has tables unless `force`.
pub async fn restore(
    file: &Path,
    target_url: &str,
    key: Option<&Key>,
    force: bool,
    actor: Option<&str>,
) -> anyhow::Result<Restored> {
    let progress = Progress::new(3);
    let header = read_header(file)?;
    let target_engine = engine_of(target_url)?;
    if header.engine != target_engine {
        bail!(
            "this is a {} backup: restore it into a {} database",
            header.engine.name(),
            header.engine.name()
        );
    }
    if header.encrypted && key.is_none() {
        bail!("the backup is encrypted: give its key with --key-file or SENCO_BACKUP_KEY_FILE");
    }
    progress.step("reading and checking the backup");
    match header.engine {
        Engine::Sqlite => {
            let target = sqlite_path(target_url)?;
            if !sqlite_target_is_empty(&target).await? && !force {
                bail!(
                    "the target database {} is not empty: add --force to replace it (stop Senco first)",
                    target.display()
                );
            }
            let temp = sibling(&target, "restoring");
            let mut temps = TempFiles(vec![
                temp.clone(),
                PathBuf::from(format!("{}-wal", temp.display())),
                PathBuf::from(format!("{}-shm", temp.display())),
            ]);
            let manifest = unpack(file, key, &temp).await?;
            progress.step("checking the restored database");
            let store = super::open(&sqlite_url(&temp)).await?;
            let checked = check_restored(&store, &manifest).await;
            store.close().await;
            checked?;
            progress.step("putting the database in place");
            if force {
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
                }
            }
            let wal = PathBuf::from(format!("{}-wal", temp.display()));
            if wal.exists() {
                std::fs::rename(&wal, format!("{}-wal", target.display()))?;
            }
            std::fs::rename(&temp, &target).with_context(|| {
                format!(
                    "could not move the restored database to {}",
                    target.display()
                )
            })?;
            // The moved file is no longer temporary; its shared-memory index still is.
            temps.0 = vec![PathBuf::from(format!("{}-shm", temp.display()))];
            sync_dir(&target);
            let store = super::open(target_url).await?;
            store
                .audit(&super::cli_event(actor, "database", "restore"))
                .await?;
            store.close().await;
            Ok(Restored { manifest })
        }
        Engine::Postgres => {
            let store = super::open(target_url).await?;
            if !store.has_no_tables().await? {
                if !force {
                    bail!(
                        "the target database {} is not empty: add --force to replace everything in it",
                        senco_store::redact_url(target_url)
                    );
                }
                store.drop_everything().await?;
            }
            let temp = std::env::temp_dir().join(format!(
                "senco-restore-{}.dump",
                uuid::Uuid::new_v4().simple()
            ));
            let _temps = TempFiles(vec![temp.clone()]);
            let manifest = unpack(file, key, &temp).await?;
            progress.step("restoring with pg_restore");
            let mut cmd = pg_tool("pg_restore", target_url);
            cmd.arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction")
                .arg(&temp)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            let output = cmd.output().await.context(
                "could not run pg_restore (install postgresql-client, or set SENCO_PG_BIN_DIR)",
            )?;
            if !output.status.success() {
                return Err(tool_failed("pg_restore", output.status, &output.stderr));
            }
            progress.step("checking the restored database");
            check_restored(&store, &manifest).await?;
            store
                .audit(&super::cli_event(actor, "database", "restore"))
                .await?;
            store.close().await;
            Ok(Restored { manifest })
        }
    }
}

/// Whether a SQLite target is missing, empty or without tables.
async fn sqlite_target_is_empty(path: &Path) -> anyhow::Result<bool> {
    match std::fs::metadata(path) {
        Err(_) => Ok(true),
        Ok(m) if m.len() == 0 => Ok(true),
        Ok(_) => {
            let mut conn = copy_connection(path).await?;
            let tables =
                senco_store::backup::tables(&mut conn, senco_store::Backend::Sqlite).await?;
            sqlx::Connection::close(conn).await?;
            Ok(tables.is_empty())
        }
    }
}

/// Decrypts (or copies) a backup's payload into `dest` (created readable by its owner
/// only), checking the key, every chunk, the schema version, and the payload's checksum.
async fn unpack(file: &Path, key: Option<&Key>, dest: &Path) -> anyhow::Result<Manifest> {
    let key = key.map(|k| Key::parse(&k.to_hex())).transpose()?;
    let (file, dest) = (file.to_path_buf(), dest.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&file)
            .with_context(|| format!("could not open the backup {}", file.display()))?;
        let (header, mut body) = BodyReader::open(BufReader::new(f), key.as_ref())?;
        let manifest = read_manifest(&mut body)?;
        if manifest.engine != header.engine || manifest.encrypted != header.encrypted {
            bail!("the backup's manifest does not match its header (the file is damaged)");
        }
        let known = senco_store::migrate::latest_version();
        if manifest.schema_version > known {
            bail!(
                "the backup's schema is version {}, newer than this Senco knows ({known}): restore it with a newer Senco",
                manifest.schema_version
            );
        }
        let out = create_private(&dest)
            .with_context(|| format!("could not create {}", dest.display()))?;
        let mut out = HashingWriter {
            inner: BufWriter::new(out),
            hash: Sha256::new(),
            bytes: 0,
        };
        std::io::copy(&mut body, &mut out).map_err(truncated)?;
        let file = out.inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let sha = senco_store::backup::hex(&out.hash.finalize());
        if out.bytes != manifest.payload.bytes {
            bail!(
                "the backup is truncated or damaged: its payload has {} bytes, the manifest says {}",
                out.bytes,
                manifest.payload.bytes
            );
        }
        if sha != manifest.payload.sha256 {
            bail!("checksum mismatch: the backup's payload does not match the SHA-256 in its manifest (the file is damaged)");
        }
        Ok(manifest)
    })
    .await?
}

struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The checks of a restored database: SQLite's own, the manifest's counts and checksums,
/// and the audit chain.
async fn check_restored(store: &Store, manifest: &Manifest) -> anyhow::Result<()> {
    let mut conn = store.pool().acquire().await?;
    if store.backend() == senco_store::Backend::Sqlite {
        let problems = senco_store::backup::sqlite_checks(&mut conn).await?;
        if !problems.is_empty() {
            bail!(
                "the restored database failed SQLite's checks: {}",
                problems.join("; ")
            );
        }
    }
    let found = senco_store::backup::digest_tables(&mut conn, store.backend(), |_| {}).await?;
    drop(conn);
    compare_tables(&manifest.tables, &found)?;
    // The chain must still pass through the head the backup recorded.
    let anchors: Vec<_> = manifest
        .audit_head
        .as_deref()
        .and_then(senco_store::audit::AuditAnchor::parse)
        .into_iter()
        .collect();
    let audit = store.verify_audit_against(&anchors).await?;
    if let Some((seq, why)) = audit.first_bad {
        bail!("the restored audit log fails its hash chain at row {seq}: {why}");
    }
    Ok(())
}

/// Compares the restored tables with the manifest, naming the first table that differs.
pub fn compare_tables(manifest: &[TableEntry], found: &[TableDigest]) -> anyhow::Result<()> {
    for want in manifest {
        let Some(got) = found.iter().find(|t| t.name == want.name) else {
            bail!(
                "table {} is in the backup's manifest but not in the restored database",
                want.name
            );
        };
        if got.rows != want.rows {
            bail!(
                "row count mismatch in table {}: the restored database has {} rows, the manifest says {}",
                want.name,
                got.rows,
                want.rows
            );
        }
        if got.sha256 != want.sha256 {
            bail!(
                "checksum mismatch in table {}: its rows differ from the backup's manifest",
                want.name
            );
        }
    }
    if let Some(extra) = found
        .iter()
        .find(|t| !manifest.iter().any(|m| m.name == t.name))
    {
        bail!(
            "table {} is in the restored database but not in the backup's manifest",
            extra.name
        );
    }
    Ok(())
}

/// Settings of a restore drill.
#[derive(Debug, Clone)]
pub struct DrillSettings {
    /// The recovery time objective: a drill taking longer fails.
    pub rto: Duration,
    /// PostgreSQL: a URL on the server where the scratch database is created and dropped
    /// (its database name is replaced). By default the live database's server.
    pub scratch_url: Option<String>,
}

async fn run_drill(
    database_url: &str,
    actor: Option<&str>,
    key: Option<&Key>,
    args: &DrillArgs,
) -> anyhow::Result<()> {
    let live = super::open(database_url).await?;
    live.migrate(system_clock().now()).await?;
    let settings = DrillSettings {
        rto: Duration::from_secs(args.rto_minutes * 60),
        scratch_url: args.scratch_url.clone(),
    };
    let report = drill(
        &live,
        database_url,
        &args.file,
        key,
        &settings,
        system_clock(),
        actor,
    )
    .await?;
    print_drill(&report);
    if report.passed {
        Ok(())
    } else {
        bail!(
            "the restore drill failed at step {}: {}",
            report.failed_step.as_deref().unwrap_or("?"),
            report.detail.as_deref().unwrap_or("")
        )
    }
}

fn print_drill(d: &DrillReport) {
    println!(
        "Restore drill {} in {} (RTO {}).",
        if d.passed { "PASSED" } else { "FAILED" },
        human_ms(d.duration_ms),
        human_ms(d.rto_seconds * 1000)
    );
    println!(
        "  backup: {} ({}, taken {})",
        d.backup_file,
        d.engine,
        d.backup_created_at
            .map(senco_store::ts)
            .unwrap_or_else(|| "unknown".into())
    );
    if d.passed {
        println!(
            "  checked: {} tables, {} rows: counts and checksums match the manifest, the audit chain is intact; Senco started on the restored copy and a drill account signed in.",
            d.tables_checked, d.rows_checked
        );
    } else {
        println!(
            "  failed at: {}: {}",
            d.failed_step.as_deref().unwrap_or("?"),
            d.detail.as_deref().unwrap_or("")
        );
    }
    println!("  report stored in the live database (`senco backup drills` lists them).");
}

fn drill_line(d: &DrillReport) -> String {
    format!(
        "{}  {}  {:>10}  {}  backup taken {}{}",
        senco_store::ts(d.ran_at),
        if d.passed { "passed" } else { "FAILED" },
        human_ms(d.duration_ms),
        d.backup_file,
        d.backup_created_at
            .map(senco_store::ts)
            .unwrap_or_else(|| "unknown".into()),
        match (&d.failed_step, &d.detail) {
            (Some(step), Some(detail)) => format!("  ({step}: {detail})"),
            _ => String::new(),
        }
    )
}

fn human_ms(ms: i64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let mins = ms / 60_000;
        format!("{} h {} min", mins / 60, mins % 60)
    }
}

/// Where a drill restores to, removed afterwards.
enum Scratch {
    Sqlite { dir: PathBuf },
    Postgres { admin: String, name: String },
}

impl Scratch {
    async fn create(
        engine: Engine,
        live_url: &str,
        settings: &DrillSettings,
    ) -> anyhow::Result<Scratch> {
        match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("senco-drill-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                }
                Ok(Scratch::Sqlite { dir })
            }
            Engine::Postgres => {
                let admin = match (&settings.scratch_url, engine_of(live_url)?) {
                    (Some(url), _) => url.clone(),
                    (None, Engine::Postgres) => live_url.to_string(),
                    (None, Engine::Sqlite) => bail!(
                        "a PostgreSQL backup's drill needs a PostgreSQL server for the scratch database: --scratch-url"
                    ),
                };
                let name = format!("senco_drill_{}", uuid::Uuid::new_v4().simple());
                // SQL-SAFE: `name` is made just above from a fixed prefix and a UUID's hex.
                admin_exec(&admin, &format!("CREATE DATABASE {name}"))
                    .await
                    .context("could not create the scratch database (the role needs CREATEDB)")?;
                Ok(Scratch::Postgres { admin, name })
            }
        }
    }

    fn url(&self) -> String {
        match self {
            Scratch::Sqlite { dir } => sqlite_url(&dir.join("drill.db")),
            Scratch::Postgres { admin, name } => with_database(admin, name),
        }
    }

    fn dir(&self) -> PathBuf {
        match self {
            Scratch::Sqlite { dir } => dir.clone(),
            Scratch::Postgres { .. } => std::env::temp_dir(),
        }
    }

    async fn remove(self) {
        match self {
            Scratch::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Postgres { admin, name } => {
                // SQL-SAFE: `name` is the scratch database's, a fixed prefix and a UUID's hex.
                if let Err(e) = admin_exec(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await
                {
                    eprintln!("warning: could not drop the scratch database {name}: {e:#}");
                }
            }
        }
    }
}

/// The same server's URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn admin_exec(url: &str, sql: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    sqlx::Connection::close(conn).await?;
    Ok(())
}

/// Runs a restore drill of `file` (SR-36) and stores its report in `live`. Returns the
/// report whether the drill passed or not; an error only when the report itself could not
/// be stored.
pub async fn drill(
    live: &Store,
    live_url: &str,
    file: &Path,
    key: Option<&Key>,
    settings: &DrillSettings,
    clock: Arc<dyn Clock>,
    actor: Option<&str>,
) -> anyhow::Result<DrillReport> {
    let started = Instant::now();
    let ran_at = clock.now();
    let mut report = DrillReport {
        id: senco_store::backup::new_drill_id(),
        ran_at,
        backup_file: file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        backup_created_at: None,
        engine: String::new(),
        duration_ms: 0,
        rto_seconds: settings.rto.as_secs() as i64,
        passed: false,
        failed_step: None,
        detail: None,
        tables_checked: 0,
        rows_checked: 0,
        senco_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let outcome = drill_steps(live_url, file, key, settings, clock, actor, &mut report).await;
    report.duration_ms = started.elapsed().as_millis() as i64;
    match outcome {
        Ok(()) if started.elapsed() > settings.rto => {
            report.failed_step = Some("rto".into());
            report.detail = Some(format!(
                "the drill took {}, longer than the recovery time objective of {}",
                human_ms(report.duration_ms),
                human_ms(report.rto_seconds * 1000)
            ));
        }
        Ok(()) => report.passed = true,
        Err((step, e)) => {
            report.failed_step = Some(step.into());
            report.detail = Some(format!("{e:#}"));
        }
    }
    live.insert_drill(&report)
        .await
        .context("could not store the restore drill's report in the live database")?;
    let event = super::cli_event(actor, "restore_drill", "create").record(report.id.clone());
    live.audit(&event).await?;
    Ok(report)
}

async fn drill_steps(
    live_url: &str,
    file: &Path,
    key: Option<&Key>,
    settings: &DrillSettings,
    clock: Arc<dyn Clock>,
    actor: Option<&str>,
    report: &mut DrillReport,
) -> Result<(), (&'static str, anyhow::Error)> {
    let header = read_header(file).map_err(|e| ("read", e))?;
    report.engine = header.engine.as_str().to_string();
    let scratch = Scratch::create(header.engine, live_url, settings)
        .await
        .map_err(|e| ("scratch", e))?;
    let url = scratch.url();
    let result = async {
        let restored = restore(file, &url, key, false, actor)
            .await
            .map_err(|e| ("restore", e))?;
        report.backup_created_at = senco_store::parse_ts(&restored.manifest.created_at).ok();
        report.tables_checked = restored.manifest.tables.len() as i64;
        report.rows_checked = restored.manifest.total_rows();
        boot_and_sign_in(&url, clock, &scratch.dir()).await
    }
    .await;
    scratch.remove().await;
    result
}

/// Starts Senco on the restored copy, makes a drill account there, and signs in over HTTP.
async fn boot_and_sign_in(
    url: &str,
    clock: Arc<dyn Clock>,
    dir: &Path,
) -> Result<(), (&'static str, anyhow::Error)> {
    let boot = |e: anyhow::Error| ("boot", e);
    let store = super::open(url).await.map_err(boot)?;
    store
        .migrate(clock.now())
        .await
        .map_err(|e| boot(e.into()))?;
    let password = senco_app::credentials::random_token();
    let email = format!(
        "restore-drill-{}@drill.invalid",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let hash = Passphrase::parse(&password)
        .map_err(|e| anyhow::anyhow!("drill passphrase: {e}"))
        .and_then(|p| senco_app::credentials::hash_passphrase(&p))
        .map_err(boot)?;
    let mut tx = store.begin().await.map_err(|e| boot(e.into()))?;
    Store::insert_user(
        &mut tx,
        &NewUser {
            email: &email,
            name: "Restore drill",
            role: Role::Admin,
            school_id: None,
            la_id: None,
            password_hash: Some(&hash),
            must_change_password: false,
        },
        clock.now(),
    )
    .await
    .map_err(|e| boot(e.into()))?;
    senco_store::commit(tx).await.map_err(|e| boot(e.into()))?;
    store.close().await;

    let config = ServerConfig {
        database_url: url.to_string(),
        bind: "127.0.0.1:0".parse().expect("a socket address"),
        web: WebConfig {
            require_two_factor: false,
            assets_dir: dir.join("no-assets"),
            ..WebConfig::default()
        },
        // Email queued in the restored copy goes to the scratch folder, never out.
        mail: crate::mail::Delivery::Files(dir.join("drill-outbox")),
    };
    let app = Application::build(config, clock).await.map_err(boot)?;
    let addr = app.address().map_err(boot)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let checks = http_checks(addr, &email, &password).await;
    let _ = stop.send(());
    let _ = server.await;
    checks.map_err(|e| ("sign-in", e))
}

async fn http_checks(addr: SocketAddr, email: &str, password: &str) -> anyhow::Result<()> {
    let ready = http(addr, "GET", "/readyz", None, None).await?;
    if ready.status != 200 {
        bail!("/readyz answered {}", ready.status);
    }
    let form = format!(
        "email={}&password={}",
        form_encode(email),
        form_encode(password)
    );
    let signed = http(addr, "POST", "/sign-in", None, Some(&form)).await?;
    let cookie = signed
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| {
            v.strip_prefix("__Host-senco=")
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
        .filter(|c| !c.is_empty());
    let (303, Some(cookie)) = (signed.status, cookie) else {
        bail!(
            "signing in as the drill account answered {} without a session",
            signed.status
        );
    };
    let home = http(addr, "GET", "/", Some(&cookie), None).await?;
    if home.status != 200 {
        bail!("the home page answered {} after signing in", home.status);
    }
    Ok(())
}

struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
}

/// One HTTP/1.1 request on loopback (the drill's own server), read to the end.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> anyhow::Result<HttpResponse> {
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: senco-restore-drill\r\n"
        );
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: __Host-senco={c}\r\n"));
        }
        if let Some(body) = form {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        if let Some(body) = form {
            req.push_str(body);
        }
        s.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        anyhow::Ok(buf)
    };
    let buf = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .context("the drill's server did not answer within 60 s")??;
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("the drill's server sent no HTTP status")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse { status, headers })
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_rename_databases() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5432/db?sslmode=require"),
            (
                "postgres://u@h:5432/db?sslmode=require".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            with_database("postgres://u@h/live?sslmode=require", "scratch"),
            "postgres://u@h/scratch?sslmode=require"
        );
        assert_eq!(with_database("postgres://u@h", "s"), "postgres://u@h/s");
        assert_eq!(
            sqlite_path(&sqlite_url(Path::new("/tmp/a b?#%.db"))).unwrap(),
            PathBuf::from("/tmp/a b?#%.db")
        );
        assert_eq!(
            sqlite_path("sqlite://senco.db?mode=rwc").unwrap(),
            PathBuf::from("senco.db")
        );
    }
}
