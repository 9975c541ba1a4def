//! Senco's backup file format (docs/backups.md): a fixed header, then a body made of the
//! manifest's length, the manifest (JSON) and the payload (a SQLite database or a `pg_dump`
//! custom-format archive). With a key the body is encrypted in chunks with
//! ChaCha20-Poly1305 in a STREAM construction: each chunk's nonce holds its counter and a
//! last-chunk flag, and every chunk authenticates the header, so a changed byte, a reordered
//! or missing chunk, a cut-off end or appended bytes all fail to open. The file key is
//! derived from the installation's backup key with HKDF-SHA256 and a random salt kept in the
//! header; a key check value (also from HKDF) tells a wrong key apart from a damaged file.
//!
//! Header (64 bytes, integers big-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `SENCOBAK` |
//! | 8 | 2 | format version (1) |
//! | 10 | 1 | engine: 1 SQLite, 2 PostgreSQL |
//! | 11 | 1 | flags: bit 0 set when encrypted |
//! | 12 | 4 | plaintext bytes per chunk (encrypted files; 0 otherwise) |
//! | 16 | 32 | HKDF salt (zero when not encrypted) |
//! | 48 | 16 | key check value (zero when not encrypted) |

use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use ring::aead::{self, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"SENCOBAK";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The header's length.
pub const HEADER_LEN: usize = 64;
/// Plaintext bytes per encrypted chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
/// The largest manifest accepted (a manifest lists tables, so it is small).
const MAX_MANIFEST: u32 = 16 * 1024 * 1024;

/// Which engine a backup comes from (and can be restored into).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn code(self) -> u8 {
        match self {
            Engine::Sqlite => 1,
            Engine::Postgres => 2,
        }
    }

    /// The engine's name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }

    /// The engine's name in reports (lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// The file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub engine: Engine,
    pub encrypted: bool,
    chunk: u32,
    salt: [u8; 32],
    key_check: [u8; 16],
}

impl Header {
    fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(MAGIC);
        b[8..10].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        b[10] = self.engine.code();
        b[11] = u8::from(self.encrypted);
        b[12..16].copy_from_slice(&self.chunk.to_be_bytes());
        b[16..48].copy_from_slice(&self.salt);
        b[48..64].copy_from_slice(&self.key_check);
        b
    }

    /// Reads a header, refusing anything that is not a Senco backup this build can read.
    pub fn parse(b: &[u8]) -> anyhow::Result<Header> {
        if b.len() < HEADER_LEN || &b[..8] != MAGIC {
            bail!("not a Senco backup (the file does not start with Senco's backup header)");
        }
        let version = u16::from_be_bytes([b[8], b[9]]);
        if version != FORMAT_VERSION {
            bail!(
                "the backup is in format version {version}, which this Senco cannot read (it reads version {FORMAT_VERSION}): use a newer Senco"
            );
        }
        let engine = match b[10] {
            1 => Engine::Sqlite,
            2 => Engine::Postgres,
            other => bail!("the backup names an unknown database engine ({other})"),
        };
        let encrypted = match b[11] {
            0 => false,
            1 => true,
            other => bail!("the backup's header has unknown flags ({other})"),
        };
        let chunk = u32::from_be_bytes([b[12], b[13], b[14], b[15]]);
        if encrypted && (chunk == 0 || chunk as usize > 16 * CHUNK) {
            bail!("the backup's header is damaged (chunk size {chunk})");
        }
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&b[16..48]);
        let mut key_check = [0u8; 16];
        key_check.copy_from_slice(&b[48..64]);
        Ok(Header {
            engine,
            encrypted,
            chunk,
            salt,
            key_check,
        })
    }
}

/// Reads just the header of a backup file.
pub fn read_header(path: &Path) -> anyhow::Result<Header> {
    let mut f = std::fs::File::open(path)
        .with_context(|| format!("could not open the backup {}", path.display()))?;
    let mut b = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        let n = f.read(&mut b[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Header::parse(&b[..got])
}

/// The installation's backup key: 32 random bytes.
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A new random key.
    pub fn generate() -> anyhow::Result<Key> {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
        Ok(Key(k))
    }

    /// The key as written to a key file: 64 hex digits.
    pub fn to_hex(&self) -> String {
        senco_store::backup::hex(&self.0)
    }

    /// Parses a key file's text: 64 hex digits or base64 of 32 bytes (surrounding space and
    /// newlines ignored).
    pub fn parse(text: &str) -> anyhow::Result<Key> {
        use base64::Engine as _;
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()?
        } else if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(t) {
            b
        } else {
            bail!("a backup key is 64 hexadecimal digits or the base64 of 32 bytes");
        };
        let k: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            anyhow::anyhow!("a backup key is 32 bytes; this one is {} bytes", b.len())
        })?;
        Ok(Key(k))
    }

    /// Reads a key file, warning when other users may read it.
    pub fn read_file(path: &Path) -> anyhow::Result<Key> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the backup key file {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                eprintln!(
                    "warning: the backup key file {} can be read by other users: `chmod 600` it",
                    path.display()
                );
            }
        }
        Key::parse(&text).with_context(|| format!("the backup key file {}", path.display()))
    }

    /// Writes a new key file (refusing to replace one), readable by its owner only.
    pub fn write_new_file(&self, path: &Path) -> anyhow::Result<()> {
        let mut f = create_private(path)
            .with_context(|| format!("could not create the key file {}", path.display()))?;
        writeln!(f, "{}", self.to_hex())?;
        f.sync_all()?;
        Ok(())
    }

    /// The file key and the key check value for a file's salt.
    fn derive(&self, salt: &[u8; 32]) -> anyhow::Result<(LessSafeKey, [u8; 16])> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&self.0);
        let fail = |_| anyhow::anyhow!("deriving the backup's key failed");
        let okm = prk
            .expand(&[b"senco backup v1 chacha20-poly1305"], &CHACHA20_POLY1305)
            .map_err(fail)?;
        let key = LessSafeKey::new(UnboundKey::from(okm));
        let mut check = [0u8; 16];
        prk.expand(&[b"senco backup v1 key check"], Len16)
            .map_err(fail)?
            .fill(&mut check)
            .map_err(fail)?;
        Ok((key, check))
    }
}

struct Len16;

impl hkdf::KeyType for Len16 {
    fn len(&self) -> usize {
        16
    }
}

/// Creates a new file readable and writable by its owner only; fails if it exists.
pub fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// What a backup holds, written at backup time and checked at restore time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// When the backup was taken (UTC, RFC 3339).
    pub created_at: String,
    pub senco_version: String,
    /// The database's schema version (the highest migration applied).
    pub schema_version: i64,
    pub engine: Engine,
    pub encrypted: bool,
    pub payload: Payload,
    pub uploads: UploadsNote,
    /// Every table's row count and checksum, in the snapshot the payload was taken from.
    pub tables: Vec<TableEntry>,
    /// The audit chain's head in that snapshot, `SEQ:HASH`: an anchor kept outside the
    /// database, for `senco audit verify --anchor` (SR-27). Absent in older backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
}

/// A table's row count and checksum, as the manifest writes them (the file format's own
/// type, converted from the store's).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableEntry {
    pub name: String,
    pub rows: i64,
    /// SHA-256 of the table's column names and sorted row digests, lower-case hex.
    pub sha256: String,
}

impl From<senco_store::backup::TableDigest> for TableEntry {
    fn from(t: senco_store::backup::TableDigest) -> Self {
        TableEntry {
            name: t.name,
            rows: t.rows,
            sha256: t.sha256,
        }
    }
}

/// The payload's kind, size and checksum.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payload {
    /// `sqlite-database` (a whole database file) or `pg_dump-custom` (`pg_dump -Fc`).
    pub kind: String,
    pub bytes: u64,
    /// SHA-256 of the payload, lower-case hex.
    pub sha256: String,
}

/// Uploaded files are kept inside the database, so the payload holds them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UploadsNote {
    pub note: String,
    pub table: String,
    pub count: i64,
    pub bytes: i64,
}

impl Manifest {
    /// Rows in every table together.
    pub fn total_rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; aead::NONCE_LEN];
    n[..8].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Writes a backup file's body: encrypted in chunks with a key, in the clear without.
pub struct BodyWriter<W: Write> {
    inner: W,
    seal: Option<(LessSafeKey, [u8; HEADER_LEN])>,
    buf: Vec<u8>,
    counter: u64,
}

impl<W: Write> BodyWriter<W> {
    /// Writes the header for `engine` and returns the writer for the body.
    pub fn start(mut inner: W, engine: Engine, key: Option<&Key>) -> anyhow::Result<Self> {
        let (header, seal) = match key {
            Some(key) => {
                let mut salt = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut salt)
                    .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
                let (file_key, key_check) = key.derive(&salt)?;
                let header = Header {
                    engine,
                    encrypted: true,
                    chunk: CHUNK as u32,
                    salt,
                    key_check,
                };
                let bytes = header.to_bytes();
                (bytes, Some((file_key, bytes)))
            }
            None => (
                Header {
                    engine,
                    encrypted: false,
                    chunk: 0,
                    salt: [0; 32],
                    key_check: [0; 16],
                }
                .to_bytes(),
                None,
            ),
        };
        inner.write_all(&header)?;
        Ok(BodyWriter {
            inner,
            seal,
            buf: Vec::with_capacity(CHUNK + TAG),
            counter: 0,
        })
    }

    fn seal_chunk(&mut self, len: usize, last: bool) -> io::Result<()> {
        let Some((key, aad)) = &self.seal else {
            return Ok(());
        };
        let mut chunk: Vec<u8> = self.buf.drain(..len).collect();
        key.seal_in_place_append_tag(nonce(self.counter, last), Aad::from(&aad[..]), &mut chunk)
            .map_err(|_| io::Error::other("encryption failed"))?;
        self.counter += 1;
        self.inner.write_all(&chunk)
    }

    /// Writes the last chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.seal.is_some() {
            let len = self.buf.len();
            self.seal_chunk(len, true)?;
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BodyWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.seal.is_none() {
            return self.inner.write(data);
        }
        self.buf.extend_from_slice(data);
        // A chunk is sealed only once more data follows it, so the last one is always known.
        while self.buf.len() > CHUNK {
            self.seal_chunk(CHUNK, false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads a backup file's body, decrypting and checking each chunk.
pub struct BodyReader<R: Read> {
    inner: R,
    open: Option<(LessSafeKey, [u8; HEADER_LEN], usize)>,
    pending: Vec<u8>,
    plain: Vec<u8>,
    pos: usize,
    counter: u64,
    done: bool,
}

const DAMAGED: &str =
    "the backup is damaged, truncated or rearranged (an encrypted chunk failed its check)";

impl<R: Read> BodyReader<R> {
    /// Reads the header and prepares to read the body. An encrypted backup needs `key`.
    pub fn open(mut inner: R, key: Option<&Key>) -> anyhow::Result<(Header, Self)> {
        let mut b = [0u8; HEADER_LEN];
        let mut got = 0;
        while got < HEADER_LEN {
            let n = inner.read(&mut b[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let header = Header::parse(&b[..got])?;
        let open = if header.encrypted {
            let Some(key) = key else {
                bail!(
                    "the backup is encrypted: give its key with --key-file or SENCO_BACKUP_KEY_FILE"
                );
            };
            let (file_key, check) = key.derive(&header.salt)?;
            if check
                .iter()
                .zip(header.key_check.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0
            {
                bail!("wrong key: this backup was encrypted with a different backup key");
            }
            Some((file_key, b, header.chunk as usize))
        } else {
            None
        };
        Ok((
            header,
            BodyReader {
                inner,
                open,
                pending: Vec::new(),
                plain: Vec::new(),
                pos: 0,
                counter: 0,
                done: false,
            },
        ))
    }

    fn next_chunk(&mut self) -> io::Result<bool> {
        let Some((key, aad, chunk)) = &self.open else {
            return Ok(false);
        };
        if self.done {
            return Ok(false);
        }
        let want = chunk + TAG + 1;
        let mut tmp = vec![0u8; want];
        while self.pending.len() < want {
            let n = self.inner.read(&mut tmp[..want - self.pending.len()])?;
            if n == 0 {
                break;
            }
            self.pending.extend_from_slice(&tmp[..n]);
        }
        let last = self.pending.len() < want;
        let take = if last {
            self.pending.len()
        } else {
            chunk + TAG
        };
        if take < TAG {
            return Err(io::Error::new(io::ErrorKind::InvalidData, DAMAGED));
        }
        let mut ct: Vec<u8> = self.pending.drain(..take).collect();
        let plain = key
            .open_in_place(nonce(self.counter, last), Aad::from(&aad[..]), &mut ct)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, DAMAGED))?;
        let n = plain.len();
        ct.truncate(n);
        self.plain = ct;
        self.pos = 0;
        self.counter += 1;
        self.done = last;
        Ok(true)
    }
}

impl<R: Read> Read for BodyReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.open.is_none() {
            return self.inner.read(out);
        }
        while self.pos == self.plain.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes the manifest at the start of a body.
pub fn write_manifest(w: &mut impl Write, m: &Manifest) -> anyhow::Result<()> {
    let json = serde_json::to_vec(m)?;
    w.write_all(&(json.len() as u32).to_be_bytes())?;
    w.write_all(&json)?;
    Ok(())
}

/// Reads the manifest at the start of a body.
pub fn read_manifest(r: &mut impl Read) -> anyhow::Result<Manifest> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(truncated)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_MANIFEST {
        bail!("the backup's manifest is damaged (it claims {len} bytes)");
    }
    let mut json = vec![0u8; len as usize];
    r.read_exact(&mut json).map_err(truncated)?;
    serde_json::from_slice(&json).context("the backup's manifest is damaged")
}

/// An early end of the body, said plainly.
pub fn truncated(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        anyhow::anyhow!("the backup is truncated (it ends early)")
    } else {
        anyhow::Error::new(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn seal(data: &[u8], key: Option<&Key>) -> Vec<u8> {
        let mut w = BodyWriter::start(Vec::new(), Engine::Sqlite, key).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn open(file: &[u8], key: Option<&Key>) -> anyhow::Result<Vec<u8>> {
        let (_, mut r) = BodyReader::open(file, key)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn bodies_of_every_awkward_length_round_trip() {
        let key = Key::generate().unwrap();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17] {
            let data = body(len);
            assert_eq!(open(&seal(&data, Some(&key)), Some(&key)).unwrap(), data);
            assert_eq!(open(&seal(&data, None), None).unwrap(), data);
        }
    }

    #[test]
    fn cut_flipped_reordered_or_extended_files_do_not_open() {
        let key = Key::generate().unwrap();
        let file = seal(&body(3 * CHUNK + 5), Some(&key));
        let chunk = CHUNK + TAG;
        // Cut at a chunk boundary (so the last remaining chunk was not sealed as last).
        assert!(open(&file[..HEADER_LEN + 2 * chunk], Some(&key)).is_err());
        assert!(open(&file[..file.len() - 1], Some(&key)).is_err());
        let mut flipped = file.clone();
        flipped[HEADER_LEN + chunk + 3] ^= 1;
        assert!(open(&flipped, Some(&key)).is_err());
        let mut header = file.clone();
        header[10] = 2;
        assert!(open(&header, Some(&key)).is_err());
        let mut swapped = file.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + chunk);
        let first = file[a..b].to_vec();
        swapped[a..b].copy_from_slice(&file[b..b + chunk]);
        swapped[b..b + chunk].copy_from_slice(&first);
        assert!(open(&swapped, Some(&key)).is_err());
        let mut longer = file.clone();
        longer.extend_from_slice(&[0; 40]);
        assert!(open(&longer, Some(&key)).is_err());
    }

    #[test]
    fn a_wrong_or_missing_key_is_named() {
        let file = seal(b"hello", Some(&Key::generate().unwrap()));
        let e = open(&file, Some(&Key::generate().unwrap())).unwrap_err();
        assert!(e.to_string().contains("wrong key"), "{e}");
        let e = open(&file, None).unwrap_err();
        assert!(e.to_string().contains("encrypted"), "{e}");
        let e = open(
            b"SQLite format 3\0.....................................................",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a Senco backup"), "{e}");
    }

    #[test]
    fn keys_are_read_as_hex_or_base64() {
        let k = Key::generate().unwrap();
        let hex = k.to_hex();
        assert_eq!(Key::parse(&format!("  {hex}\n")).unwrap().0, k.0);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.0);
        assert_eq!(Key::parse(&b64).unwrap().0, k.0);
        assert!(Key::parse("abcd").is_err());
        assert!(Key::parse(&hex[..62]).is_err());
    }
}
