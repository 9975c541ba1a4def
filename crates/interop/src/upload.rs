//! Checking a file a user uploads as a specialist's report (SR-24).
//!
//! Every upload is hostile until checked. [`check_upload`] applies, in order:
//!
//! 1. a size cap, so one request cannot fill the store;
//! 2. a type allow-list decided from the file's magic bytes only (PDF, DOCX, PNG, JPEG),
//!    because a browser-supplied name or content type says nothing about what the bytes are;
//! 3. a check that the name's extension fits the contents, so a PNG called `x.pdf` is turned
//!    away instead of being stored under a misleading name;
//! 4. archive limits for DOCX (a DOCX is a ZIP), so a small "zip bomb" cannot expand to
//!    gigabytes in whatever later opens it;
//! 5. metadata stripping for images: photos of children's work often carry GPS coordinates
//!    (EXIF/XMP) that can reveal where a family lives, so those are removed before storage.
//!
//! Everything here is pure: no I/O and no clock. The parsers read only through bounds-checked
//! accessors and checked arithmetic, so arbitrary bytes produce an error, never a panic.

use std::fmt;

use senco_domain::problem::Problem;

/// The default size limit: 10 MB.
pub const DEFAULT_LIMIT: usize = 10 * 1024 * 1024;

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Docx,
    Png,
    Jpeg,
}

impl FileKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [FileKind; 4] = [FileKind::Pdf, FileKind::Docx, FileKind::Png, FileKind::Jpeg];

    /// The MIME type to serve the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }

    /// The extension a stored or downloaded copy gets (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
        }
    }

    /// A name for the kind that reads well in a sentence ("it is a PNG image").
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Docx => "Word document",
            FileKind::Png => "PNG image",
            FileKind::Jpeg => "JPEG image",
        }
    }

    /// A stable key for storage; [`FileKind::parse`] is its inverse.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
        }
    }

    /// The kind whose [`FileKind::as_str`] is exactly `s`.
    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|kind| kind.as_str() == s)
    }

    /// Whether `ext` (compared case-insensitively, without the dot) is a name this kind may
    /// carry. JPEG has two customary spellings.
    fn accepts_extension(self, ext: &str) -> bool {
        match self {
            FileKind::Jpeg => ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg"),
            other => ext.eq_ignore_ascii_case(other.extension()),
        }
    }
}

/// A checked upload: its kind and its bytes with metadata removed.
///
/// What "metadata removed" means depends on the kind: PNG and JPEG lose their text, EXIF and
/// XMP metadata (see [`check_upload`]); PDF and DOCX bytes are exactly the bytes uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    pub display_name: String,
}

/// Why an upload was turned away. [`fmt::Display`] gives the message to show the user;
/// [`UploadError::reason`] gives a stable key for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// The file has no bytes.
    Empty,
    /// The file is longer than `limit` bytes.
    TooLarge { limit: usize },
    /// The bytes are not a PDF, DOCX, PNG or JPEG.
    NotAllowed,
    /// The bytes are a `kind`, but the name's extension says otherwise.
    ExtensionMismatch { kind: FileKind },
    /// The file starts like a ZIP but its structure is damaged, inconsistent or unsupported.
    Archive,
    /// The DOCX claims to expand to more data than is safe to open.
    ArchiveTooLarge,
    /// The file starts like a PNG or JPEG but its structure is damaged.
    Image,
}

impl UploadError {
    /// A stable snake_case key for the error.
    pub fn reason(&self) -> &'static str {
        match self {
            UploadError::Empty => "empty",
            UploadError::TooLarge { .. } => "too_large",
            UploadError::NotAllowed => "not_allowed",
            UploadError::ExtensionMismatch { .. } => "extension_mismatch",
            UploadError::Archive => "bad_archive",
            UploadError::ArchiveTooLarge => "archive_too_large",
            UploadError::Image => "bad_image",
        }
    }

    /// The problem with `field`, as a code and its values (the catalogue has the words).
    pub fn problem(&self, field: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
        let p = |code| Problem::new(field, self.reason(), code);
        match self {
            UploadError::Empty => p("upload.empty"),
            UploadError::TooLarge { limit } => {
                p("upload.too_large").with("megabytes", (limit / (1024 * 1024)).max(1))
            }
            UploadError::NotAllowed => p("upload.not_allowed"),
            UploadError::ExtensionMismatch { kind } => {
                p("upload.extension_mismatch").with("kind", kind.label())
            }
            UploadError::Archive => p("upload.bad_archive"),
            UploadError::ArchiveTooLarge => p("upload.archive_too_large"),
            UploadError::Image => p("upload.bad_image"),
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::Empty => f.write_str("The selected file is empty"),
            UploadError::TooLarge { limit } => {
                let megabytes = (limit / (1024 * 1024)).max(1);
                write!(f, "The selected file must be smaller than {megabytes} MB")
            }
            UploadError::NotAllowed => {
                f.write_str("The selected file must be a PDF, Word document (DOCX), PNG or JPEG")
            }
            UploadError::ExtensionMismatch { kind } => write!(
                f,
                "The file's name does not match its contents: it is a {}",
                kind.label()
            ),
            UploadError::Archive => {
                f.write_str("The Word document is damaged or not a Word document")
            }
            UploadError::ArchiveTooLarge => {
                f.write_str("The Word document expands to too much data to be safe")
            }
            UploadError::Image => f.write_str("The image is damaged"),
        }
    }
}

impl std::error::Error for UploadError {}

/// Checks an uploaded file and returns a cleaned copy.
///
/// `file_name` is the name the browser sent; it is used only to check the extension and to
/// build [`Checked::display_name`], never to decide the kind. `limit` is the largest accepted
/// length in bytes (usually [`DEFAULT_LIMIT`]).
///
/// Per kind:
/// - **PDF** is returned unchanged. Its document information and XMP metadata (author,
///   software) are *not* stripped: rewriting PDFs safely needs a full parser.
/// - **DOCX** is returned unchanged once its ZIP central directory passes the archive limits.
///   Document metadata in `docProps/` (author, last editor) is left alone.
/// - **PNG** loses its `tEXt`, `zTXt`, `iTXt`, `eXIf` and `tIME` chunks, and anything after
///   `IEND`; every other chunk is copied byte for byte.
/// - **JPEG** loses its APP1 (EXIF and XMP, where GPS lives), APP13 (IPTC/Photoshop) and COM
///   segments, and anything after EOI; everything else, including the entropy-coded image
///   data, is copied byte for byte. Dropping EXIF also drops its orientation tag, so a phone
///   photo taken sideways may display sideways.
pub fn check_upload(file_name: &str, bytes: &[u8], limit: usize) -> Result<Checked, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > limit {
        return Err(UploadError::TooLarge { limit });
    }
    let sniffed = sniff(bytes)?;
    let kind = sniffed.kind();
    if let Some(ext) = extension_of(file_name)
        && !kind.accepts_extension(ext)
    {
        return Err(UploadError::ExtensionMismatch { kind });
    }
    let cleaned = match sniffed {
        Sniffed::Pdf => bytes.to_vec(),
        Sniffed::Docx(summary) => {
            summary.check_limits(bytes.len())?;
            bytes.to_vec()
        }
        Sniffed::Png => strip_png(bytes)?,
        Sniffed::Jpeg => strip_jpeg(bytes)?,
    };
    Ok(Checked {
        kind,
        bytes: cleaned,
        display_name: display_name(file_name, kind),
    })
}

/// The most characters [`display_name`] returns, extension included.
const MAX_DISPLAY_CHARS: usize = 100;

/// A file name safe to show and to put in a Content-Disposition header.
///
/// Takes the last path component (browsers on Windows have sent full paths, so both `/` and
/// `\` split), drops the extension, keeps only letters, digits, spaces and `-_.(),` (so
/// control characters, quotes, semicolons, bidirectional overrides and other characters that
/// could break a header or mislead a reader are removed), collapses runs of dots, trims dots
/// and spaces from the ends, and appends the kind's own extension. The whole result is at
/// most 100 characters (chars, not bytes), and is `report.<ext>` when nothing is left.
/// It never contains `..`, `/` or `\`.
///
/// Letters outside ASCII (such as `ë`) are kept, so a header must carry the name as
/// `filename*=UTF-8''…` (percent-encoded), with an ASCII fallback in `filename=`.
pub fn display_name(file_name: &str, kind: FileKind) -> String {
    let ext = kind.extension();
    let last = last_component(file_name);
    let stem = last.rsplit_once('.').map_or(last, |(stem, _)| stem);

    let mut cleaned = String::new();
    for c in stem.chars() {
        let allowed = c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')' | ',');
        if !allowed || (c == '.' && cleaned.ends_with('.')) {
            continue;
        }
        cleaned.push(c);
    }

    let max_stem = MAX_DISPLAY_CHARS
        .saturating_sub(ext.len())
        .saturating_sub(1);
    let truncated: String = trim_name(&cleaned).chars().take(max_stem).collect();
    let stem = trim_name(&truncated);
    let stem = if stem.is_empty() { "report" } else { stem };
    format!("{stem}.{ext}")
}

/// The last path component of a browser-supplied name, splitting on both separators.
fn last_component(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or(file_name)
}

/// Trims the characters that must not start or end a displayed stem: a trailing dot would
/// make `..` with the extension, and leading dots make hidden files.
fn trim_name(s: &str) -> &str {
    s.trim_matches(|c| c == '.' || c == ' ')
}

/// The extension of the name's last path component (after its last dot), if it has a
/// non-empty one.
fn extension_of(file_name: &str) -> Option<&str> {
    let (_, ext) = last_component(file_name).rsplit_once('.')?;
    (!ext.is_empty()).then_some(ext)
}

// ---------------------------------------------------------------------------------------------
// Deciding the kind
// ---------------------------------------------------------------------------------------------

const PDF_MAGIC: &[u8] = b"%PDF-";
const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const ZIP_LOCAL_MAGIC: &[u8] = b"PK\x03\x04";

/// What the magic bytes say a file is. A DOCX carries the summary of its central directory,
/// which had to be read to tell a Word document from any other ZIP.
enum Sniffed {
    Pdf,
    Docx(ZipSummary),
    Png,
    Jpeg,
}

impl Sniffed {
    fn kind(&self) -> FileKind {
        match self {
            Sniffed::Pdf => FileKind::Pdf,
            Sniffed::Docx(_) => FileKind::Docx,
            Sniffed::Png => FileKind::Png,
            Sniffed::Jpeg => FileKind::Jpeg,
        }
    }
}

/// Decides the kind from the magic bytes alone. Anything else (HTML, SVG, executables, plain
/// text, ZIPs that are not Word documents) is [`UploadError::NotAllowed`]: HTML and SVG can
/// carry scripts, and nothing else is needed for a specialist's report.
fn sniff(bytes: &[u8]) -> Result<Sniffed, UploadError> {
    if bytes.starts_with(PDF_MAGIC) {
        Ok(Sniffed::Pdf)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Ok(Sniffed::Png)
    } else if bytes.starts_with(JPEG_MAGIC) {
        Ok(Sniffed::Jpeg)
    } else if bytes.starts_with(ZIP_LOCAL_MAGIC) {
        let summary = read_zip(bytes)?;
        if summary.has_content_types && summary.has_document {
            Ok(Sniffed::Docx(summary))
        } else {
            Err(UploadError::NotAllowed)
        }
    } else {
        Err(UploadError::NotAllowed)
    }
}

// ---------------------------------------------------------------------------------------------
// Bounds-checked reading
// ---------------------------------------------------------------------------------------------

/// The `N` bytes at `at`, or `None` if they run past the end (or `at + N` overflows).
fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_le_bytes)
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_le_bytes)
}

fn u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_be_bytes)
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_be_bytes)
}

/// A length or offset read from the file, as a `usize`.
fn to_usize(n: impl Into<u64>) -> Option<usize> {
    usize::try_from(n.into()).ok()
}

// ---------------------------------------------------------------------------------------------
// DOCX: the ZIP central directory
// ---------------------------------------------------------------------------------------------

const EOCD_SIGNATURE: &[u8] = b"PK\x05\x06";
const CENTRAL_SIGNATURE: &[u8] = b"PK\x01\x02";
/// The fixed part of the End Of Central Directory record.
const EOCD_LEN: usize = 22;
/// The EOCD ends the file, followed only by a comment of at most 65,535 bytes, so it starts
/// within the last 65,557 bytes.
const EOCD_SEARCH: usize = EOCD_LEN + 0xFFFF;
/// The fixed part of a central directory file header.
const CENTRAL_LEN: usize = 46;
/// The fixed part of a local file header.
const LOCAL_LEN: usize = 30;
/// More entries than any real Word document has; walking more is wasted work.
const MAX_ENTRIES: usize = 10_000;
/// The largest total uncompressed size accepted, whatever the file's length.
const MAX_TOTAL_UNCOMPRESSED: u64 = 200 * 1024 * 1024;
/// The largest total expansion accepted, as a multiple of the file's length.
const MAX_TOTAL_RATIO: u64 = 100;
/// The largest expansion accepted for one entry. Word's XML compresses around 5-20 times;
/// zip bombs compress around 1,000 times.
const MAX_ENTRY_RATIO: u64 = 100;

/// What the central directory says about the archive. Nothing is decompressed: the sizes are
/// the archive's own claims, which is exactly what a later reader would trust.
#[derive(Debug)]
struct ZipSummary {
    has_content_types: bool,
    has_document: bool,
    total_uncompressed: u64,
    /// Whether some entry claims to expand more than [`MAX_ENTRY_RATIO`] times.
    entry_ratio_exceeded: bool,
}

impl ZipSummary {
    /// The zip-bomb limits: the archive must not expand to more than 100 times the file's
    /// length or to more than 200 MB in total, and no entry may expand more than 100 times.
    fn check_limits(&self, file_len: usize) -> Result<(), UploadError> {
        let file_len = u64::try_from(file_len).unwrap_or(u64::MAX);
        let total_cap = file_len
            .saturating_mul(MAX_TOTAL_RATIO)
            .min(MAX_TOTAL_UNCOMPRESSED);
        if self.entry_ratio_exceeded || self.total_uncompressed > total_cap {
            Err(UploadError::ArchiveTooLarge)
        } else {
            Ok(())
        }
    }
}

/// Finds the End Of Central Directory record: searching backwards, the first `PK\x05\x06`
/// whose comment length ends exactly at the end of the file.
fn find_eocd(bytes: &[u8]) -> Option<usize> {
    let last = bytes.len().checked_sub(EOCD_LEN)?;
    let first = bytes.len().saturating_sub(EOCD_SEARCH);
    (first..=last).rev().find(|&at| {
        let rest = bytes.get(at..).unwrap_or_default();
        rest.starts_with(EOCD_SIGNATURE)
            && u16_le(rest, 20).and_then(|comment| EOCD_LEN.checked_add(comment.into()))
                == Some(rest.len())
    })
}

/// Reads the central directory, rejecting as [`UploadError::Archive`] anything out of bounds,
/// inconsistent, split across disks or using ZIP64 (no Word document needs 4 GB).
fn read_zip(bytes: &[u8]) -> Result<ZipSummary, UploadError> {
    read_zip_inner(bytes).ok_or(UploadError::Archive)
}

fn read_zip_inner(bytes: &[u8]) -> Option<ZipSummary> {
    let eocd = find_eocd(bytes)?;
    // Fields are read from sub-slices at fixed offsets, so no offset arithmetic can overflow.
    let record = bytes.get(eocd..)?;
    let disk = u16_le(record, 4)?;
    let cd_disk = u16_le(record, 6)?;
    let entries_here = u16_le(record, 8)?;
    let entries = u16_le(record, 10)?;
    let cd_size = u32_le(record, 12)?;
    let cd_offset = u32_le(record, 16)?;

    let zip64 = entries == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX;
    if zip64 || disk != 0 || cd_disk != 0 || entries_here != entries {
        return None;
    }
    let entries = usize::from(entries);
    if entries > MAX_ENTRIES {
        return None;
    }
    let cd_start = to_usize(cd_offset)?;
    let cd_end = cd_start.checked_add(to_usize(cd_size)?)?;
    if cd_end > eocd {
        return None;
    }

    let mut summary = ZipSummary {
        has_content_types: false,
        has_document: false,
        total_uncompressed: 0,
        entry_ratio_exceeded: false,
    };
    let mut at = cd_start;
    for _ in 0..entries {
        let header_end = at.checked_add(CENTRAL_LEN)?;
        let header = bytes.get(at..header_end)?;
        if header_end > cd_end || !header.starts_with(CENTRAL_SIGNATURE) {
            return None;
        }
        let compressed = u32_le(header, 20)?;
        let uncompressed = u32_le(header, 24)?;
        let name_len = usize::from(u16_le(header, 28)?);
        let extra_len = usize::from(u16_le(header, 30)?);
        let comment_len = usize::from(u16_le(header, 32)?);
        let start_disk = u16_le(header, 34)?;
        let local_offset = u32_le(header, 42)?;
        if compressed == u32::MAX || uncompressed == u32::MAX || local_offset == u32::MAX {
            return None; // ZIP64
        }
        if start_disk != 0 {
            return None;
        }
        let name_end = header_end.checked_add(name_len)?;
        let next = name_end.checked_add(extra_len)?.checked_add(comment_len)?;
        if next > cd_end {
            return None;
        }
        let name = bytes.get(header_end..name_end)?;
        check_local_header(
            bytes,
            to_usize(local_offset)?,
            to_usize(compressed)?,
            cd_start,
        )?;

        summary.has_content_types |= name.eq_ignore_ascii_case(b"[Content_Types].xml");
        summary.has_document |= name.eq_ignore_ascii_case(b"word/document.xml");
        summary.total_uncompressed = summary
            .total_uncompressed
            .saturating_add(uncompressed.into());
        summary.entry_ratio_exceeded |=
            u64::from(uncompressed) > u64::from(compressed).saturating_mul(MAX_ENTRY_RATIO);
        at = next;
    }
    // The directory must hold exactly the entries the EOCD counts.
    (at == cd_end).then_some(summary)
}

/// Checks that an entry's local header is where the central directory says, and that its
/// data ends before the central directory starts.
fn check_local_header(
    bytes: &[u8],
    offset: usize,
    compressed: usize,
    cd_start: usize,
) -> Option<()> {
    if !bytes.get(offset..)?.starts_with(ZIP_LOCAL_MAGIC) {
        return None;
    }
    let name_len = usize::from(u16_le(bytes, offset.checked_add(26)?)?);
    let extra_len = usize::from(u16_le(bytes, offset.checked_add(28)?)?);
    let data_end = offset
        .checked_add(LOCAL_LEN)?
        .checked_add(name_len)?
        .checked_add(extra_len)?
        .checked_add(compressed)?;
    (data_end <= cd_start).then_some(())
}

// ---------------------------------------------------------------------------------------------
// PNG: dropping metadata chunks
// ---------------------------------------------------------------------------------------------

/// Ancillary chunks that carry metadata: free text (which cameras and editors fill with
/// locations, names and software), EXIF (which carries GPS) and the modification time.
const PNG_DROPPED: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];
/// The PNG specification's limit on a chunk's length.
const PNG_MAX_CHUNK: u32 = 0x7FFF_FFFF;

/// Copies a PNG chunk by chunk (length, type, data, CRC), leaving out [`PNG_DROPPED`].
/// Chunks are copied whole, so their CRCs stay valid; CRCs are not verified here. The first
/// chunk must be a 13-byte IHDR, the file must reach IEND, and anything after IEND is dropped
/// (trailing data is a favourite place to hide things).
fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, UploadError> {
    strip_png_inner(bytes).ok_or(UploadError::Image)
}

fn strip_png_inner(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut at = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let length = u32_be(bytes, at)?;
        let chunk_type: [u8; 4] = array(bytes, at.checked_add(4)?)?;
        if length > PNG_MAX_CHUNK || !chunk_type.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let end = at.checked_add(12)?.checked_add(to_usize(length)?)?;
        let chunk = bytes.get(at..end)?;
        let is_ihdr = &chunk_type == b"IHDR";
        if is_ihdr != first || (is_ihdr && length != 13) {
            return None; // IHDR must come first, exactly once
        }
        first = false;
        if !PNG_DROPPED.contains(&&chunk_type) {
            out.extend_from_slice(chunk);
        }
        if &chunk_type == b"IEND" {
            return (length == 0).then_some(out);
        }
        at = end;
    }
}

// ---------------------------------------------------------------------------------------------
// JPEG: dropping metadata segments
// ---------------------------------------------------------------------------------------------

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const TEM: u8 = 0x01;
/// APP1: EXIF (with GPS coordinates, camera serial numbers) and XMP.
const APP1: u8 = 0xE1;
/// APP13: IPTC and Photoshop resources (captions, names, places).
const APP13: u8 = 0xED;
/// COM: free-text comment.
const COM: u8 = 0xFE;

/// Copies a JPEG segment by segment after SOI, leaving out APP1, APP13 and COM and keeping
/// everything else (APP0/JFIF, APP2/ICC colour profile, APP14/Adobe, tables, frames).
///
/// Each marker is 0xFF and a marker byte (extra 0xFF fill bytes are skipped). TEM and RST0-7
/// stand alone; every other marker has a two-byte big-endian length that includes itself.
/// After an SOS segment the entropy-coded scan is copied verbatim up to the next marker that
/// is not a stuffed byte (FF 00) or restart marker; a progressive JPEG has several scans with
/// tables between them, and those segments pass through the same rules, so metadata placed
/// between scans is removed too. The copy ends at EOI; anything after it is dropped, because
/// phones append whole extra images or videos there (multi-picture and "motion" photos), each
/// with its own location data. A file that ends before EOI, or reaches EOI without a scan, is
/// [`UploadError::Image`].
fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, UploadError> {
    strip_jpeg_inner(bytes).ok_or(UploadError::Image)
}

fn strip_jpeg_inner(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut at = 2;
    let mut seen_scan = false;
    loop {
        let (marker, after) = read_marker(bytes, at)?;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                return seen_scan.then_some(out);
            }
            TEM | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                at = after;
            }
            0x00 | SOI => return None,
            _ => {
                let length = usize::from(u16_be(bytes, after)?);
                if length < 2 {
                    return None;
                }
                let end = after.checked_add(length)?;
                let segment = bytes.get(after..end)?;
                if !matches!(marker, APP1 | APP13 | COM) {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                at = end;
                if marker == SOS {
                    let scan_end = end_of_scan(bytes, end)?;
                    out.extend_from_slice(bytes.get(end..scan_end)?);
                    at = scan_end;
                    seen_scan = true;
                }
            }
        }
    }
}

/// Reads the marker at `at`: 0xFF, any number of 0xFF fill bytes, then the marker byte.
/// Returns the marker byte and the position after it.
fn read_marker(bytes: &[u8], at: usize) -> Option<(u8, usize)> {
    if *bytes.get(at)? != 0xFF {
        return None;
    }
    let mut next = at.checked_add(1)?;
    loop {
        let byte = *bytes.get(next)?;
        next = next.checked_add(1)?;
        if byte != 0xFF {
            return Some((byte, next));
        }
    }
}

/// The position of the marker that ends the entropy-coded scan starting at `start`: the first
/// 0xFF not followed by 0x00 (a stuffed data byte) or RST0-7 (a restart marker inside the scan).
fn end_of_scan(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    loop {
        let offset = bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        let ff = at.checked_add(offset)?;
        match *bytes.get(ff.checked_add(1)?)? {
            0x00 | 0xD0..=0xD7 => at = ff.checked_add(2)?,
            _ => return Some(ff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ---- fixtures -------------------------------------------------------------------------

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
        2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

    /// A real CRC-32 (the PNG/ZIP polynomial), so the PNG fixtures are valid PNGs and the
    /// test can show the checker's output still has valid CRCs. The checker itself does not
    /// verify CRCs.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = Vec::new();
        chunk.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let mut covered = kind.to_vec();
        covered.extend_from_slice(data);
        chunk.extend_from_slice(&crc32(&covered).to_be_bytes());
        chunk
    }

    const IHDR_DATA: [u8; 13] = [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]; // 1x1, 8-bit greyscale
    const IDAT_DATA: &[u8] = &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01];

    fn png_from(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut png = PNG_SIGNATURE.to_vec();
        for chunk in chunks {
            png.extend_from_slice(chunk);
        }
        png
    }

    fn png_with_metadata() -> Vec<u8> {
        png_from(&[
            png_chunk(b"IHDR", &IHDR_DATA),
            png_chunk(b"tEXt", b"Comment\0GPS 51.5007N 0.1246W"),
            png_chunk(b"eXIf", b"MM\0*\0\0\0\x08GPSLatitude"),
            png_chunk(b"tIME", &[0x07, 0xE8, 1, 2, 3, 4, 5]),
            png_chunk(b"IDAT", IDAT_DATA),
            png_chunk(b"iTXt", b"Author\0\0\0\0\0Jane Doe"),
            png_chunk(b"zTXt", b"Place\0\0compressed"),
            png_chunk(b"IEND", b""),
        ])
    }

    fn jpeg_segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&u16::try_from(data.len() + 2).unwrap().to_be_bytes());
        segment.extend_from_slice(data);
        segment
    }

    const APP0_DATA: &[u8] = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const APP2_DATA: &[u8] = b"ICC_PROFILE\0\x01\x01colour-profile";
    const SOS_DATA: &[u8] = &[0x01, 0x01, 0x00, 0x00, 0x3F, 0x00];
    /// Entropy-coded data with a stuffed byte (FF 00) and a restart marker (FF D0).
    const SCAN: &[u8] = &[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A];

    fn jpeg_with_metadata() -> Vec<u8> {
        let mut jpeg = vec![0xFF, SOI];
        jpeg.extend(jpeg_segment(0xE0, APP0_DATA));
        jpeg.extend(jpeg_segment(APP1, b"Exif\0\0MM\0*GPSLatitude 51.5007"));
        jpeg.extend(jpeg_segment(0xE2, APP2_DATA));
        jpeg.extend(jpeg_segment(APP13, b"Photoshop 3.0\08BIM caption"));
        jpeg.extend(jpeg_segment(COM, b"taken at home"));
        jpeg.extend(jpeg_segment(0xDB, &[0u8; 65])); // a quantisation table
        jpeg.extend(jpeg_segment(SOS, SOS_DATA));
        jpeg.extend_from_slice(SCAN);
        jpeg.extend_from_slice(&[0xFF, EOI]);
        jpeg
    }

    struct Entry {
        name: &'static str,
        data: Vec<u8>,
        /// The uncompressed size the central directory claims (forged in the bomb tests).
        uncompressed: u32,
        method: u16,
    }

    fn stored(name: &'static str, data: &[u8]) -> Entry {
        Entry {
            name,
            data: data.to_vec(),
            uncompressed: u32::try_from(data.len()).unwrap(),
            method: 0,
        }
    }

    fn deflated(name: &'static str, compressed: usize, uncompressed: u32) -> Entry {
        Entry {
            name,
            data: vec![0xAB; compressed],
            uncompressed,
            method: 8,
        }
    }

    /// Writes a ZIP: a local header and data per entry, a central directory and an EOCD
    /// (without comment, so the EOCD is the last 22 bytes). CRCs are dummies: the checker
    /// reads only the structure.
    fn zip(entries: &[Entry]) -> Vec<u8> {
        let u16_of = |n: usize| u16::try_from(n).unwrap().to_le_bytes();
        let u32_of = |n: usize| u32::try_from(n).unwrap().to_le_bytes();
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in entries {
            let offset = out.len();
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0]); // version needed, flags
            out.extend_from_slice(&entry.method.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc
            out.extend_from_slice(&u32_of(entry.data.len()));
            out.extend_from_slice(&entry.uncompressed.to_le_bytes());
            out.extend_from_slice(&u16_of(entry.name.len()));
            out.extend_from_slice(&[0, 0]); // extra length
            out.extend_from_slice(entry.name.as_bytes());
            out.extend_from_slice(&entry.data);

            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0]); // made by, needed, flags
            central.extend_from_slice(&entry.method.to_le_bytes());
            central.extend_from_slice(&[0; 8]); // time, date, crc
            central.extend_from_slice(&u32_of(entry.data.len()));
            central.extend_from_slice(&entry.uncompressed.to_le_bytes());
            central.extend_from_slice(&u16_of(entry.name.len()));
            central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            central.extend_from_slice(&u32_of(offset));
            central.extend_from_slice(entry.name.as_bytes());
        }
        let cd_offset = out.len();
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&u16_of(entries.len()));
        out.extend_from_slice(&u16_of(entries.len()));
        out.extend_from_slice(&u32_of(central.len()));
        out.extend_from_slice(&u32_of(cd_offset));
        out.extend_from_slice(&[0, 0]); // comment length
        out
    }

    fn docx() -> Vec<u8> {
        zip(&[
            stored("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
            stored("_rels/.rels", b"<Relationships/>"),
            stored("word/document.xml", b"<w:document><w:body/></w:document>"),
            stored("docProps/core.xml", b"<cp:coreProperties/>"),
        ])
    }

    /// Overwrites `value` at `offset` from the end of the file (the EOCD is the last 22 bytes).
    fn patch_from_end(bytes: &mut [u8], offset_from_end: usize, value: &[u8]) {
        let at = bytes.len() - offset_from_end;
        bytes[at..at + value.len()].copy_from_slice(value);
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    fn check(name: &str, bytes: &[u8]) -> Result<Checked, UploadError> {
        check_upload(name, bytes, DEFAULT_LIMIT)
    }

    // ---- FileKind ---------------------------------------------------------------------------

    #[test]
    fn kinds_have_their_strings() {
        let table = [
            (FileKind::Pdf, "application/pdf", "pdf", "PDF", "pdf"),
            (
                FileKind::Docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
                "Word document",
                "docx",
            ),
            (FileKind::Png, "image/png", "png", "PNG image", "png"),
            (FileKind::Jpeg, "image/jpeg", "jpg", "JPEG image", "jpeg"),
        ];
        for (kind, content_type, extension, label, key) in table {
            assert_eq!(kind.content_type(), content_type);
            assert_eq!(kind.extension(), extension);
            assert_eq!(kind.label(), label);
            assert_eq!(kind.as_str(), key);
            assert_eq!(FileKind::parse(key), Some(kind));
        }
        for unknown in ["", "jpg", "PDF", "doc", "svg", " pdf"] {
            assert_eq!(FileKind::parse(unknown), None, "{unknown:?}");
        }
    }

    // ---- errors -----------------------------------------------------------------------------

    #[test]
    fn errors_have_reasons_and_messages() {
        let table = [
            (UploadError::Empty, "empty", "The selected file is empty"),
            (
                UploadError::TooLarge {
                    limit: DEFAULT_LIMIT,
                },
                "too_large",
                "The selected file must be smaller than 10 MB",
            ),
            (
                UploadError::NotAllowed,
                "not_allowed",
                "The selected file must be a PDF, Word document (DOCX), PNG or JPEG",
            ),
            (
                UploadError::ExtensionMismatch {
                    kind: FileKind::Png,
                },
                "extension_mismatch",
                "The file's name does not match its contents: it is a PNG image",
            ),
            (
                UploadError::Archive,
                "bad_archive",
                "The Word document is damaged or not a Word document",
            ),
            (
                UploadError::ArchiveTooLarge,
                "archive_too_large",
                "The Word document expands to too much data to be safe",
            ),
            (UploadError::Image, "bad_image", "The image is damaged"),
        ];
        for (error, reason, message) in table {
            assert_eq!(error.reason(), reason);
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn too_large_rounds_the_limit_down_to_at_least_one_megabyte() {
        let message = |limit| UploadError::TooLarge { limit }.to_string();
        assert!(message(15 * 1024 * 1024 + 512 * 1024).ends_with(" 15 MB"));
        assert!(message(500 * 1024).ends_with(" 1 MB"));
        assert!(message(0).ends_with(" 1 MB"));
    }

    #[test]
    fn upload_error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(UploadError::Image);
        assert_eq!(error.to_string(), "The image is damaged");
    }

    // ---- size and type ----------------------------------------------------------------------

    #[test]
    fn empty_files_are_refused() {
        assert_eq!(check("report.pdf", b""), Err(UploadError::Empty));
    }

    #[test]
    fn oversize_files_are_refused() {
        assert_eq!(
            check_upload("report.pdf", PDF, PDF.len() - 1),
            Err(UploadError::TooLarge {
                limit: PDF.len() - 1
            })
        );
        assert!(check_upload("report.pdf", PDF, PDF.len()).is_ok());
        let big = [PDF, &vec![b' '; DEFAULT_LIMIT]].concat();
        assert_eq!(
            check("report.pdf", &big),
            Err(UploadError::TooLarge {
                limit: DEFAULT_LIMIT
            })
        );
    }

    #[test]
    fn a_pdf_is_returned_unchanged() {
        let checked = check("Speech and language report.pdf", PDF).unwrap();
        assert_eq!(checked.kind, FileKind::Pdf);
        assert_eq!(checked.bytes, PDF);
        assert_eq!(checked.display_name, "Speech and language report.pdf");
    }

    #[test]
    fn html_renamed_pdf_is_not_allowed() {
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        assert_eq!(check("report.pdf", html), Err(UploadError::NotAllowed));
    }

    #[test]
    fn svg_renamed_png_is_not_allowed() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(check("x.png", svg), Err(UploadError::NotAllowed));
    }

    #[test]
    fn other_types_are_not_allowed() {
        let cases: [&[u8]; 6] = [
            b"MZ\x90\0\x03\0\0\0",                             // Windows executable
            b"\x7fELF\x02\x01\x01",                            // Linux executable
            b"Dear parents, ...",                              // plain text
            b"GIF89a\x01\0\x01\0",                             // GIF
            b" %PDF-1.4",                                      // magic not at the start
            b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", // an empty ZIP
        ];
        for bytes in cases {
            assert_eq!(
                check("report", bytes),
                Err(UploadError::NotAllowed),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn the_extension_must_fit_the_contents() {
        let png = png_with_metadata();
        assert_eq!(
            check("x.pdf", &png),
            Err(UploadError::ExtensionMismatch {
                kind: FileKind::Png
            })
        );
        assert_eq!(
            check("report.doc", &docx()),
            Err(UploadError::ExtensionMismatch {
                kind: FileKind::Docx
            })
        );
        assert_eq!(
            check("scan.png", PDF),
            Err(UploadError::ExtensionMismatch {
                kind: FileKind::Pdf
            })
        );
        let jpeg = jpeg_with_metadata();
        for name in ["a.jpg", "a.JPG", "a.jpeg", "a.JpEg", "photo", "photo."] {
            assert!(check(name, &jpeg).is_ok(), "{name}");
        }
        assert_eq!(
            check("a.jpe", &jpeg),
            Err(UploadError::ExtensionMismatch {
                kind: FileKind::Jpeg
            })
        );
        // Only the last path component's extension counts.
        assert!(check("folder.png/report", PDF).is_ok());
        assert!(check("C:\\My.Docs\\report.PDF", PDF).is_ok());
    }

    // ---- PNG --------------------------------------------------------------------------------

    #[test]
    fn png_metadata_chunks_are_dropped() {
        let png = png_with_metadata();
        let checked = check("drawing.png", &png).unwrap();
        assert_eq!(checked.kind, FileKind::Png);
        let out = &checked.bytes;
        assert!(out.starts_with(PNG_SIGNATURE));
        for gone in [
            &b"GPS 51.5007N"[..],
            b"GPSLatitude",
            b"tEXt",
            b"eXIf",
            b"iTXt",
            b"zTXt",
            b"tIME",
            b"Jane Doe",
        ] {
            assert!(!contains(out, gone), "{}", String::from_utf8_lossy(gone));
        }
        let expected = png_from(&[
            png_chunk(b"IHDR", &IHDR_DATA),
            png_chunk(b"IDAT", IDAT_DATA),
            png_chunk(b"IEND", b""),
        ]);
        assert_eq!(out, &expected);
    }

    #[test]
    fn png_output_keeps_valid_crcs() {
        let out = strip_png(&png_with_metadata()).unwrap();
        let mut at = PNG_SIGNATURE.len();
        let mut types = Vec::new();
        while at < out.len() {
            let length = u32_be(&out, at).unwrap() as usize;
            let covered = &out[at + 4..at + 8 + length];
            assert_eq!(u32_be(&out, at + 8 + length).unwrap(), crc32(covered));
            types.push(out[at + 4..at + 8].to_vec());
            at += 12 + length;
        }
        assert_eq!(
            types,
            [b"IHDR".to_vec(), b"IDAT".to_vec(), b"IEND".to_vec()]
        );
    }

    #[test]
    fn png_other_chunks_are_kept_and_trailing_bytes_dropped() {
        let kept = png_from(&[
            png_chunk(b"IHDR", &IHDR_DATA),
            png_chunk(b"iCCP", b"sRGB\0\0profile"),
            png_chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]),
            png_chunk(b"IDAT", IDAT_DATA),
            png_chunk(b"IEND", b""),
        ]);
        let with_trailer = [&kept[..], b"<script>hidden after IEND</script>"].concat();
        assert_eq!(strip_png(&with_trailer).unwrap(), kept);
    }

    #[test]
    fn malformed_pngs_are_damaged_images() {
        let ihdr = png_chunk(b"IHDR", &IHDR_DATA);
        let idat = png_chunk(b"IDAT", IDAT_DATA);
        let iend = png_chunk(b"IEND", b"");
        let full = png_from(&[ihdr.clone(), idat.clone(), iend.clone()]);
        let mut huge_length = full.clone();
        let idat_at = PNG_SIGNATURE.len() + ihdr.len();
        huge_length[idat_at..idat_at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        let mut bad_type = full.clone();
        bad_type[idat_at + 4] = b'1';
        let cases = [
            ("signature only", PNG_SIGNATURE.to_vec()),
            ("truncated", full[..full.len() - 3].to_vec()),
            ("no IEND", png_from(&[ihdr.clone(), idat.clone()])),
            (
                "IDAT first",
                png_from(&[idat.clone(), ihdr.clone(), iend.clone()]),
            ),
            (
                "two IHDR",
                png_from(&[ihdr.clone(), ihdr.clone(), iend.clone()]),
            ),
            (
                "short IHDR",
                png_from(&[png_chunk(b"IHDR", &[0; 12]), iend.clone()]),
            ),
            (
                "IEND with data",
                png_from(&[ihdr.clone(), png_chunk(b"IEND", b"x")]),
            ),
            ("huge length", huge_length),
            ("bad chunk type", bad_type),
        ];
        for (what, bytes) in cases {
            assert_eq!(check("x.png", &bytes), Err(UploadError::Image), "{what}");
        }
    }

    // ---- JPEG -------------------------------------------------------------------------------

    #[test]
    fn jpeg_metadata_segments_are_dropped() {
        let jpeg = jpeg_with_metadata();
        let checked = check("Drawing.JPG", &jpeg).unwrap();
        assert_eq!(checked.kind, FileKind::Jpeg);
        assert_eq!(checked.display_name, "Drawing.jpg");
        let out = &checked.bytes;
        assert!(out.starts_with(&[0xFF, SOI]));
        assert!(out.ends_with(&[0xFF, EOI]));
        for gone in [&b"GPSLatitude"[..], b"Exif", b"Photoshop", b"taken at home"] {
            assert!(!contains(out, gone), "{}", String::from_utf8_lossy(gone));
        }
        for kept in [APP0_DATA, APP2_DATA, SOS_DATA, SCAN] {
            assert!(contains(out, kept));
        }
        let mut expected = vec![0xFF, SOI];
        expected.extend(jpeg_segment(0xE0, APP0_DATA));
        expected.extend(jpeg_segment(0xE2, APP2_DATA));
        expected.extend(jpeg_segment(0xDB, &[0u8; 65]));
        expected.extend(jpeg_segment(SOS, SOS_DATA));
        expected.extend_from_slice(SCAN);
        expected.extend_from_slice(&[0xFF, EOI]);
        assert_eq!(out, &expected);
    }

    #[test]
    fn jpeg_metadata_between_scans_and_after_eoi_is_dropped() {
        let mut jpeg = vec![0xFF, SOI];
        jpeg.extend(jpeg_segment(0xE0, APP0_DATA));
        jpeg.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // fill bytes before a marker
        jpeg.extend(jpeg_segment(SOS, SOS_DATA));
        jpeg.extend_from_slice(SCAN);
        jpeg.extend(jpeg_segment(APP1, b"Exif\0\0GPSLatitude"));
        jpeg.extend(jpeg_segment(0xC4, &[0x10, 0xFF, 0xD9, 0x00])); // a table holding FF D9
        jpeg.extend(jpeg_segment(SOS, SOS_DATA));
        jpeg.extend_from_slice(SCAN);
        jpeg.extend_from_slice(&[0xFF, EOI]);
        jpeg.extend(jpeg_with_metadata()); // an appended second picture, with its own GPS
        let out = strip_jpeg(&jpeg).unwrap();

        let mut expected = vec![0xFF, SOI];
        expected.extend(jpeg_segment(0xE0, APP0_DATA));
        expected.extend(jpeg_segment(SOS, SOS_DATA));
        expected.extend_from_slice(SCAN);
        expected.extend(jpeg_segment(0xC4, &[0x10, 0xFF, 0xD9, 0x00]));
        expected.extend(jpeg_segment(SOS, SOS_DATA));
        expected.extend_from_slice(SCAN);
        expected.extend_from_slice(&[0xFF, EOI]);
        assert_eq!(out, expected);
        assert!(!contains(&out, b"GPSLatitude"));
    }

    #[test]
    fn malformed_jpegs_are_damaged_images() {
        let full = jpeg_with_metadata();
        let mut short_length = full.clone();
        short_length[4..6].copy_from_slice(&[0, 1]);
        let mut long_length = full.clone();
        long_length[4..6].copy_from_slice(&[0xFF, 0xF0]);
        let mut no_scan = vec![0xFF, SOI];
        no_scan.extend(jpeg_segment(0xE0, APP0_DATA));
        no_scan.extend_from_slice(&[0xFF, EOI]);
        let mut garbage_between = vec![0xFF, SOI];
        garbage_between.extend(jpeg_segment(0xE0, APP0_DATA));
        garbage_between.push(0x00);
        garbage_between.extend_from_slice(&full[2..]);
        let cases = [
            ("magic only", vec![0xFF, SOI, 0xFF]),
            ("marker then nothing", vec![0xFF, SOI, 0xFF, 0xE0]),
            ("length one byte", vec![0xFF, SOI, 0xFF, 0xE0, 0x00]),
            ("length below two", short_length),
            ("length out of bounds", long_length),
            ("truncated in the scan", full[..full.len() - 2].to_vec()),
            ("truncated after FF", full[..full.len() - 1].to_vec()),
            ("EOI without a scan", no_scan),
            ("garbage between segments", garbage_between),
            ("second SOI", [&[0xFF, SOI][..], &full].concat()),
            ("marker 00", vec![0xFF, SOI, 0xFF, 0x00, 0xFF, EOI]),
        ];
        for (what, bytes) in cases {
            assert_eq!(check("x.jpg", &bytes), Err(UploadError::Image), "{what}");
        }
    }

    // ---- DOCX -------------------------------------------------------------------------------

    #[test]
    fn a_docx_is_returned_unchanged() {
        let bytes = docx();
        let checked = check("EP report (final).docx", &bytes).unwrap();
        assert_eq!(checked.kind, FileKind::Docx);
        assert_eq!(checked.bytes, bytes);
        assert_eq!(checked.display_name, "EP report (final).docx");
        assert!(check("report", &bytes).is_ok());
        assert!(check("report.DOCX", &bytes).is_ok());
    }

    #[test]
    fn a_docx_with_a_comment_is_accepted() {
        let mut bytes = docx();
        let len = bytes.len();
        // A 24-byte comment holding a fake EOCD signature whose own comment length is wrong.
        bytes[len - 2..].copy_from_slice(&[24, 0]);
        bytes.extend_from_slice(b"PK\x05\x06");
        bytes.extend_from_slice(&[0; 18]);
        bytes.extend_from_slice(&[9, 9]);
        assert!(check("report.docx", &bytes).is_ok());
    }

    #[test]
    fn a_zip_that_is_not_a_word_document_is_not_allowed() {
        let spreadsheet = zip(&[
            stored("[Content_Types].xml", b"<Types/>"),
            stored("xl/workbook.xml", b"<workbook/>"),
        ]);
        assert_eq!(
            check("report.docx", &spreadsheet),
            Err(UploadError::NotAllowed)
        );
        let no_types = zip(&[stored("word/document.xml", b"<w:document/>")]);
        assert_eq!(
            check("report.docx", &no_types),
            Err(UploadError::NotAllowed)
        );
        assert_eq!(
            check("report.docx", &zip(&[])),
            Err(UploadError::NotAllowed)
        );
    }

    #[test]
    fn a_zip_bomb_is_too_large() {
        let bomb = zip(&[
            stored("[Content_Types].xml", b"<Types/>"),
            deflated("word/document.xml", 1000, 10_000_000),
        ]);
        assert_eq!(
            check("report.docx", &bomb),
            Err(UploadError::ArchiveTooLarge)
        );
    }

    #[test]
    fn an_entry_claiming_data_from_nothing_is_too_large() {
        let bytes = zip(&[
            stored("[Content_Types].xml", b"<Types/>"),
            stored("word/document.xml", b"<w:document/>"),
            deflated("word/media/image1.png", 0, 1),
        ]);
        assert_eq!(
            check("report.docx", &bytes),
            Err(UploadError::ArchiveTooLarge)
        );
    }

    #[test]
    fn an_entry_ratio_of_exactly_one_hundred_is_accepted() {
        let bytes = zip(&[
            stored("[Content_Types].xml", b"<Types/>"),
            deflated("word/document.xml", 100, 10_000),
        ]);
        assert!(check("report.docx", &bytes).is_ok());
    }

    #[test]
    fn the_total_expansion_is_capped() {
        // Each entry expands 90 times (allowed), but together they claim 270 MB.
        let mb = 1024 * 1024;
        let bytes = zip(&[
            stored("[Content_Types].xml", b"<Types/>"),
            deflated("word/document.xml", mb, 90 * 1024 * 1024),
            deflated("word/media/a.bin", mb, 90 * 1024 * 1024),
            deflated("word/media/b.bin", mb, 90 * 1024 * 1024),
        ]);
        assert_eq!(
            check("report.docx", &bytes),
            Err(UploadError::ArchiveTooLarge)
        );

        let summary = |total_uncompressed| ZipSummary {
            has_content_types: true,
            has_document: true,
            total_uncompressed,
            entry_ratio_exceeded: false,
        };
        // 100 times the file's length...
        assert!(summary(100_000).check_limits(1000).is_ok());
        assert_eq!(
            summary(100_001).check_limits(1000),
            Err(UploadError::ArchiveTooLarge)
        );
        // ...and never more than 200 MB.
        assert!(summary(200 * 1024 * 1024).check_limits(5 * mb).is_ok());
        assert_eq!(
            summary(200 * 1024 * 1024 + 1).check_limits(5 * mb),
            Err(UploadError::ArchiveTooLarge)
        );
    }

    #[test]
    fn malformed_zips_are_damaged_archives() {
        let good = docx();
        let len = good.len();
        let cd_size = u32_le(&good, len - 10).unwrap() as usize;
        let cd_offset = u32_le(&good, len - 6).unwrap() as usize;

        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("no EOCD", good[..len - 22].to_vec()),
            ("truncated EOCD", good[..len - 1].to_vec()),
            ("trailing bytes", [&good[..], b"junk"].concat()),
            ("local header only", b"PK\x03\x04".to_vec()),
        ];
        let mut patched = |what, offset_from_end, value: &[u8]| {
            let mut bytes = good.clone();
            patch_from_end(&mut bytes, offset_from_end, value);
            cases.push((what, bytes));
        };
        patched("ZIP64 entry count", 14, &[0xFF, 0xFF, 0xFF, 0xFF]);
        patched("ZIP64 directory size", 10, &[0xFF; 4]);
        patched("ZIP64 directory offset", 6, &[0xFF; 4]);
        patched("too many entries", 14, &[0x11, 0x27, 0x11, 0x27]); // 10,001
        patched("entry counts disagree", 14, &[4, 0, 3, 0]);
        patched("fewer entries than the directory holds", 14, &[3, 0, 3, 0]);
        patched("more entries than the directory holds", 14, &[5, 0, 5, 0]);
        patched("multi-disk", 18, &[1, 0]);
        patched(
            "directory past the EOCD",
            10,
            &u32::try_from(cd_size + 1).unwrap().to_le_bytes(),
        );
        patched(
            "directory offset out of bounds",
            6,
            &u32::try_from(len * 2).unwrap().to_le_bytes(),
        );
        patched(
            "directory offset off by one",
            6,
            &u32::try_from(cd_offset + 1).unwrap().to_le_bytes(),
        );

        // Forge fields in the first central directory header.
        let mut in_header = |what, field: usize, value: &[u8]| {
            let mut bytes = good.clone();
            let at = cd_offset + field;
            bytes[at..at + value.len()].copy_from_slice(value);
            cases.push((what, bytes));
        };
        in_header("bad header signature", 0, b"PK\x01\x03");
        in_header("ZIP64 compressed size", 20, &[0xFF; 4]);
        in_header("ZIP64 uncompressed size", 24, &[0xFF; 4]);
        in_header("ZIP64 local offset", 42, &[0xFF; 4]);
        in_header("entry on another disk", 34, &[1, 0]);
        in_header("name past the directory", 28, &[0xFF, 0xFF]);
        in_header("local header out of bounds", 42, &[0, 0, 0, 0x7F]);
        in_header("local header not at the offset", 42, &[1, 0, 0, 0]);
        in_header("data runs into the directory", 20, &[0, 0, 1, 0]);

        for (what, bytes) in cases {
            assert_eq!(
                check("report.docx", &bytes),
                Err(UploadError::Archive),
                "{what}"
            );
        }
    }

    // ---- display names ----------------------------------------------------------------------

    #[test]
    fn display_names_are_safe() {
        let cases = [
            ("../../x.pdf", FileKind::Pdf, "x.pdf"),
            ("..\\..\\windows\\system32\\x.pdf", FileKind::Pdf, "x.pdf"),
            (
                "C:\\Users\\Jo\\Desktop\\EP report.docx",
                FileKind::Docx,
                "EP report.docx",
            ),
            ("a\"b'c;d.pdf", FileKind::Pdf, "abcd.pdf"),
            (
                "report\r\nSet-Cookie: x=1.pdf",
                FileKind::Pdf,
                "reportSet-Cookie x1.pdf",
            ),
            ("tab\there\0.png", FileKind::Png, "tabhere.png"),
            ("Zoë's drawing.png", FileKind::Png, "Zoës drawing.png"),
            (
                "Øyvind Ćwikła 報告.pdf",
                FileKind::Pdf,
                "Øyvind Ćwikła 報告.pdf",
            ),
            ("invoice\u{202E}fdp.exe", FileKind::Pdf, "invoicefdp.pdf"),
            ("photo.jpeg", FileKind::Jpeg, "photo.jpg"),
            ("scan.pdf", FileKind::Png, "scan.png"),
            ("notes", FileKind::Docx, "notes.docx"),
            ("x..y...pdf", FileKind::Pdf, "x.y.pdf"),
            ("..hidden.pdf", FileKind::Pdf, "hidden.pdf"),
            ("trailing dots....pdf", FileKind::Pdf, "trailing dots.pdf"),
            ("  spaced  .pdf", FileKind::Pdf, "spaced.pdf"),
            ("", FileKind::Pdf, "report.pdf"),
            (".pdf", FileKind::Pdf, "report.pdf"),
            ("...", FileKind::Jpeg, "report.jpg"),
            ("dir/", FileKind::Png, "report.png"),
            ("\"\";;<>.pdf", FileKind::Pdf, "report.pdf"),
        ];
        for (input, kind, expected) in cases {
            assert_eq!(display_name(input, kind), expected, "{input:?}");
        }
    }

    #[test]
    fn display_names_are_at_most_100_characters() {
        let long = format!("{}.pdf", "é".repeat(300));
        let name = display_name(&long, FileKind::Docx);
        assert_eq!(name.chars().count(), 100);
        assert_eq!(name, format!("{}.docx", "é".repeat(95)));
        // Truncation never leaves a dot before the extension.
        let dotted = format!("{}.x.pdf", "a".repeat(95));
        assert_eq!(
            display_name(&dotted, FileKind::Pdf),
            format!("{}.pdf", "a".repeat(95))
        );
    }

    // ---- properties -------------------------------------------------------------------------

    fn prefixed(prefix: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..512)
            .prop_map(move |tail| [prefix, &tail[..]].concat())
    }

    fn kind() -> impl Strategy<Value = FileKind> {
        prop::sample::select(FileKind::ALL.to_vec())
    }

    /// Valid fixtures with a few bytes overwritten and perhaps cut short: close enough to pass
    /// the magic check and reach deep into the parsers, and sometimes still valid.
    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        let fixtures = vec![png_with_metadata(), jpeg_with_metadata(), docx()];
        (
            prop::sample::select(fixtures),
            proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            proptest::option::of(any::<prop::sample::Index>()),
        )
            .prop_map(|(mut bytes, edits, cut)| {
                for (index, value) in edits {
                    let at = index.index(bytes.len());
                    bytes[at] = value;
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut.index(bytes.len()));
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn check_upload_never_panics(
            name in any::<String>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..1024),
            limit in prop_oneof![Just(DEFAULT_LIMIT), 0usize..2048],
        ) {
            let _ = check_upload(&name, &bytes, limit);
        }

        #[test]
        fn check_upload_never_panics_on_signed_garbage(
            bytes in prop_oneof![
                prefixed(PNG_SIGNATURE),
                prefixed(JPEG_MAGIC),
                prefixed(ZIP_LOCAL_MAGIC),
                prefixed(b"PK\x03\x04PK\x01\x02"),
            ],
        ) {
            let _ = check_upload("upload", &bytes, DEFAULT_LIMIT);
        }

        #[test]
        fn cleaning_is_idempotent_and_never_grows(bytes in mutated()) {
            if let Ok(checked) = check_upload("upload", &bytes, DEFAULT_LIMIT) {
                prop_assert!(checked.bytes.len() <= bytes.len());
                let again = check_upload("upload", &checked.bytes, DEFAULT_LIMIT);
                prop_assert_eq!(again.map(|c| c.bytes), Ok(checked.bytes));
            }
        }

        #[test]
        fn cleaned_images_keep_their_signature(bytes in mutated()) {
            if let Ok(checked) = check_upload("upload", &bytes, DEFAULT_LIMIT) {
                match checked.kind {
                    FileKind::Png => prop_assert!(checked.bytes.starts_with(PNG_SIGNATURE)),
                    FileKind::Jpeg => prop_assert!(checked.bytes.starts_with(&[0xFF, SOI])),
                    FileKind::Pdf | FileKind::Docx => prop_assert_eq!(&checked.bytes, &bytes),
                }
            }
        }

        #[test]
        fn display_names_are_always_safe(name in any::<String>(), kind in kind()) {
            let shown = display_name(&name, kind);
            prop_assert!(!shown.is_empty());
            prop_assert!(shown.chars().count() <= MAX_DISPLAY_CHARS);
            let suffix = format!(".{}", kind.extension());
            prop_assert!(shown.ends_with(&suffix));
            prop_assert!(shown.len() > kind.extension().len() + 1);
            prop_assert!(!shown.contains(".."));
            prop_assert!(!shown.starts_with('.') && !shown.starts_with(' '));
            for c in shown.chars() {
                prop_assert!(!c.is_control(), "{c:?}");
                prop_assert!(!matches!(c, '/' | '\\' | '"' | '\'' | ';' | '<' | '>' | '%'), "{c:?}");
            }
        }

        #[test]
        fn display_names_survive_path_and_header_tricks(
            parts in proptest::collection::vec("[a-z./\\\\\"\r\n; ]{0,12}", 0..6),
            kind in kind(),
        ) {
            let shown = display_name(&parts.concat(), kind);
            prop_assert!(!shown.contains(['/', '\\', '"', '\r', '\n', ';']));
            prop_assert!(!shown.contains(".."));
        }
    }
}
