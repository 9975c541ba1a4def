//! The DfE Common Transfer File (CTF): reading and writing the parts Senco uses
//! (REFERENCE.md §6.4, `docs/ctf.md`).
//!
//! Reading is a streaming pass of `quick-xml` under hard limits of Senco's own: no DOCTYPE
//! (so no DTD, no declared entity and no external entity can ever be expanded), no entity
//! reference but the five predefined ones and numeric character references, UTF-8 only, and
//! caps on the bytes read, the nodes seen and the depth of elements, checked as the file is
//! read, so a file that breaks one is refused without being read to its end. Element order
//! is not checked (the official XSD's order is not confirmed); unknown elements are skipped,
//! but count towards the limits. Every error names the element path and the line.
//!
//! Values stay as the file has them (codes are checked against the dated national table by
//! the caller); only dates and ranks are parsed here, because a wrong one is a wrong file.

use std::fmt;
use std::io::{BufRead, Read};

use quick_xml::events::Event;
use senco_domain::Date;

/// The limits a CTF is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes read at most (the file is refused at the first byte past it).
    pub max_bytes: u64,
    /// Nodes (elements, text runs, references, comments, instructions) at most.
    pub max_nodes: u64,
    /// Elements nested at most (the root is depth 1).
    pub max_depth: usize,
}

/// 50 MB.
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;

impl Default for Limits {
    /// 50 MB, 2 million nodes, depth 32: the benchmark's 10,000-pupil file with SEN
    /// history is 4.3 MB, at depth 6, well within them.
    fn default() -> Self {
        Limits {
            max_bytes: MAX_BYTES,
            max_nodes: 2_000_000,
            max_depth: 32,
        }
    }
}

/// What kind of problem stopped the reading (for tests and callers that want to react).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Doctype,
    Entity,
    TooLarge,
    TooManyNodes,
    TooDeep,
    Encoding,
    Truncated,
    Malformed,
    NotCtf,
    Value,
    Io,
}

/// Why a file cannot be read as a CTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtfError {
    pub kind: ErrorKind,
    /// The element path, such as `CTfile/CTFpupilData/Pupil/DOB` (empty before the root).
    pub path: String,
    /// The line (from 1) where the problem was found, where known.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for CtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.path.is_empty()) {
            (Some(l), false) => write!(f, "line {l}, in <{}>: {}", self.path, self.message),
            (Some(l), true) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "in <{}>: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CtfError {}

/// A school as the header names it. Empty strings are elements the file does not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolRef {
    pub lea: String,
    pub estab: String,
    pub name: String,
    pub academic_year: String,
}

/// The header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub document_name: String,
    pub version: String,
    pub date_time: String,
    pub qualifier: String,
    pub supplier_id: String,
    pub source: SchoolRef,
    pub dest: SchoolRef,
}

/// A dated SEN provision record (`SENhistory/SEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenRecord {
    pub start: Option<Date>,
    pub end: Option<Date>,
    /// The `SENprovision` code as written (trimmed).
    pub provision: String,
    /// The line of its `<SEN>` (0 when written, not read).
    pub line: u64,
}

/// A ranked need (`SENhistory/SENneeds/SENneed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenNeed {
    pub rank: Option<u32>,
    /// The `SENtype` code as written (trimmed).
    pub code: String,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub line: u64,
}

/// A pupil of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pupil {
    pub upn: String,
    pub surname: String,
    pub forename: String,
    pub date_of_birth: Option<Date>,
    /// `Sex` (or `Gender` in older versions) as written.
    pub sex: String,
    /// `NCyearActual` as written ("R", "7", ...), if present.
    pub nc_year: Option<String>,
    pub sen: Vec<SenRecord>,
    pub needs: Vec<SenNeed>,
    /// The line of its `<Pupil>` (0 when written, not read).
    pub line: u64,
}

/// A whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ctf {
    pub header: Header,
    pub pupils: Vec<Pupil>,
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// A reader that refuses to hand out a byte past the cap, and counts lines as it goes.
struct Capped<R> {
    inner: R,
    cap: u64,
    consumed: u64,
    lines: u64,
    exceeded: bool,
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.consumed > self.cap {
            self.exceeded = true;
            return Err(std::io::Error::other("the byte cap is reached"));
        }
        let allowed = usize::try_from(self.cap + 1 - self.consumed).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        let n = buf.len().min(allowed);
        Ok(&buf[..n])
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// Where a value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    None,
    Header(HeaderField),
    Source(SchoolField),
    Dest(SchoolField),
    Pupil(PupilField),
    Sen(SenField),
    Need(NeedField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderField {
    DocumentName,
    Version,
    DateTime,
    Qualifier,
    SupplierId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchoolField {
    Lea,
    Estab,
    Name,
    AcademicYear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PupilField {
    Upn,
    Surname,
    Forename,
    Dob,
    Sex,
    NcYear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SenField {
    Start,
    End,
    Provision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NeedField {
    Rank,
    Code,
    Start,
    End,
}

struct Parser {
    path: Vec<String>,
    text: String,
    ctf: Ctf,
    pupil: Option<Pupil>,
    sen: Option<SenRecord>,
    need: Option<SenNeed>,
    seen_root: bool,
    line: u64,
}

fn has(path: &[String], name: &str) -> bool {
    path.iter().any(|p| p == name)
}

impl Parser {
    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> CtfError {
        CtfError {
            kind,
            path: self.path.join("/"),
            line: Some(self.line),
            message: message.into(),
        }
    }

    /// Which value the element now open holds, by its name and its ancestors.
    fn slot(&self) -> Slot {
        let p = &self.path;
        let Some(name) = p.last().map(String::as_str) else {
            return Slot::None;
        };
        let parent = p
            .len()
            .checked_sub(2)
            .and_then(|i| p.get(i))
            .map(String::as_str);
        if has(p, "CTFpupilData") && has(p, "Pupil") {
            if has(p, "SENhistory") {
                if parent == Some("SENneed") {
                    return match name {
                        "SENtypeRank" => Slot::Need(NeedField::Rank),
                        "SENtype" => Slot::Need(NeedField::Code),
                        "NeedStartDate" => Slot::Need(NeedField::Start),
                        "NeedEndDate" => Slot::Need(NeedField::End),
                        _ => Slot::None,
                    };
                }
                if parent == Some("SEN") {
                    return match name {
                        "StartDate" => Slot::Sen(SenField::Start),
                        "EndDate" => Slot::Sen(SenField::End),
                        "SENprovision" => Slot::Sen(SenField::Provision),
                        _ => Slot::None,
                    };
                }
                return Slot::None;
            }
            if matches!(parent, Some("Pupil" | "BasicDetails")) {
                return match name {
                    "UPN" => Slot::Pupil(PupilField::Upn),
                    "Surname" => Slot::Pupil(PupilField::Surname),
                    "Forename" => Slot::Pupil(PupilField::Forename),
                    "DOB" => Slot::Pupil(PupilField::Dob),
                    "Sex" | "Gender" => Slot::Pupil(PupilField::Sex),
                    "NCyearActual" => Slot::Pupil(PupilField::NcYear),
                    _ => Slot::None,
                };
            }
            return Slot::None;
        }
        if p.len() >= 3 && p.get(1).map(String::as_str) == Some("Header") {
            let school = |f| match parent {
                Some("SourceSchool") if p.len() == 4 => Slot::Source(f),
                Some("DestSchool") if p.len() == 4 => Slot::Dest(f),
                _ => Slot::None,
            };
            if p.len() == 3 {
                return match name {
                    "DocumentName" => Slot::Header(HeaderField::DocumentName),
                    "CTFversion" => Slot::Header(HeaderField::Version),
                    "DateTime" => Slot::Header(HeaderField::DateTime),
                    "DocumentQualifier" => Slot::Header(HeaderField::Qualifier),
                    "SupplierID" => Slot::Header(HeaderField::SupplierId),
                    _ => Slot::None,
                };
            }
            return match name {
                "LEA" => school(SchoolField::Lea),
                "Estab" => school(SchoolField::Estab),
                "SchoolName" => school(SchoolField::Name),
                "AcademicYear" => school(SchoolField::AcademicYear),
                _ => Slot::None,
            };
        }
        Slot::None
    }

    fn date(&self, v: &str) -> Result<Option<Date>, CtfError> {
        use senco_domain::entry::Entry;
        match senco_domain::pupil::date_from_iso(v) {
            Entry::Blank => Ok(None),
            Entry::Valid(d) => Ok(Some(d)),
            Entry::Invalid => Err(self.err(
                ErrorKind::Value,
                format!("{v:?} is not a date written YYYY-MM-DD"),
            )),
        }
    }

    fn start(&mut self, name: String) -> Result<(), CtfError> {
        if self.path.is_empty() {
            if self.seen_root {
                return Err(self.err(ErrorKind::Malformed, "there is more than one root element"));
            }
            self.seen_root = true;
            if name != "CTfile" {
                return Err(CtfError {
                    kind: ErrorKind::NotCtf,
                    path: name.clone(),
                    line: Some(self.line),
                    message: format!(
                        "this is not a Common Transfer File: the root element is <{name}>, not <CTfile>"
                    ),
                });
            }
        }
        self.path.push(name);
        self.text.clear();
        let p = &self.path;
        let n = p.len();
        let tail = |i: usize| n.checked_sub(i).and_then(|k| p.get(k)).map(String::as_str);
        match (tail(1), tail(2)) {
            (Some("Pupil"), Some("CTFpupilData")) => {
                self.pupil = Some(Pupil {
                    line: self.line,
                    ..Pupil::default()
                });
            }
            (Some("SEN"), Some("SENhistory")) if self.pupil.is_some() => {
                self.sen = Some(SenRecord {
                    start: None,
                    end: None,
                    provision: String::new(),
                    line: self.line,
                });
            }
            (Some("SENneed"), Some("SENneeds")) if self.pupil.is_some() && has(p, "SENhistory") => {
                self.need = Some(SenNeed {
                    rank: None,
                    code: String::new(),
                    start: None,
                    end: None,
                    line: self.line,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), CtfError> {
        let value = std::mem::take(&mut self.text);
        // XML 1.0 allows no control characters but tab, line feed and carriage return.
        if let Some(c) = value
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(self.err(
                ErrorKind::Malformed,
                format!(
                    "the text holds the control character U+{:04X}, which XML does not allow",
                    c as u32
                ),
            ));
        }
        let v = value.trim();
        match self.slot() {
            Slot::None => {}
            Slot::Header(f) => {
                let h = &mut self.ctf.header;
                let target = match f {
                    HeaderField::DocumentName => &mut h.document_name,
                    HeaderField::Version => &mut h.version,
                    HeaderField::DateTime => &mut h.date_time,
                    HeaderField::Qualifier => &mut h.qualifier,
                    HeaderField::SupplierId => &mut h.supplier_id,
                };
                *target = v.to_string();
            }
            Slot::Source(f) | Slot::Dest(f) => {
                let s = if matches!(self.slot(), Slot::Source(_)) {
                    &mut self.ctf.header.source
                } else {
                    &mut self.ctf.header.dest
                };
                let target = match f {
                    SchoolField::Lea => &mut s.lea,
                    SchoolField::Estab => &mut s.estab,
                    SchoolField::Name => &mut s.name,
                    SchoolField::AcademicYear => &mut s.academic_year,
                };
                *target = v.to_string();
            }
            Slot::Pupil(f) => {
                let dob = if f == PupilField::Dob {
                    self.date(v)?
                } else {
                    None
                };
                if let Some(p) = self.pupil.as_mut() {
                    match f {
                        PupilField::Upn => p.upn = v.to_string(),
                        PupilField::Surname => p.surname = v.to_string(),
                        PupilField::Forename => p.forename = v.to_string(),
                        PupilField::Dob => p.date_of_birth = dob,
                        PupilField::Sex => p.sex = v.to_string(),
                        PupilField::NcYear => p.nc_year = (!v.is_empty()).then(|| v.to_string()),
                    }
                }
            }
            Slot::Sen(f) => {
                let d = if f == SenField::Provision {
                    None
                } else {
                    self.date(v)?
                };
                if let Some(s) = self.sen.as_mut() {
                    match f {
                        SenField::Start => s.start = d,
                        SenField::End => s.end = d,
                        SenField::Provision => s.provision = v.to_string(),
                    }
                }
            }
            Slot::Need(f) => {
                let d = if matches!(f, NeedField::Start | NeedField::End) {
                    self.date(v)?
                } else {
                    None
                };
                let rank = if f == NeedField::Rank && !v.is_empty() {
                    match v.parse::<u32>() {
                        Ok(r) if (1..=99).contains(&r) => Some(r),
                        _ => {
                            return Err(self.err(
                                ErrorKind::Value,
                                format!("{v:?} is not a rank from 1 to 99"),
                            ));
                        }
                    }
                } else {
                    None
                };
                if let Some(n) = self.need.as_mut() {
                    match f {
                        NeedField::Rank => n.rank = rank,
                        NeedField::Code => n.code = v.to_string(),
                        NeedField::Start => n.start = d,
                        NeedField::End => n.end = d,
                    }
                }
            }
        }
        let n = self.path.len();
        let tail = |i: usize| {
            n.checked_sub(i)
                .and_then(|k| self.path.get(k))
                .map(String::as_str)
        };
        match (tail(1), tail(2)) {
            (Some("Pupil"), Some("CTFpupilData")) => {
                if let Some(p) = self.pupil.take() {
                    self.ctf.pupils.push(p);
                }
            }
            (Some("SEN"), Some("SENhistory")) => {
                if let (Some(s), Some(p)) = (self.sen.take(), self.pupil.as_mut()) {
                    p.sen.push(s);
                }
            }
            (Some("SENneed"), Some("SENneeds")) => {
                if let (Some(x), Some(p)) = (self.need.take(), self.pupil.as_mut()) {
                    p.needs.push(x);
                }
            }
            _ => {}
        }
        self.path.pop();
        Ok(())
    }
}

fn name_of(raw: &str) -> String {
    raw.to_string()
}

const PREDEFINED: [(&str, char); 5] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("apos", '\''),
    ("quot", '"'),
];

/// Reads a CTF held in memory.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Ctf, CtfError> {
    parse_reader(bytes, limits)
}

/// Reads a CTF from a stream, stopping at the first byte past `limits.max_bytes`.
pub fn parse_reader<R: BufRead>(mut input: R, limits: &Limits) -> Result<Ctf, CtfError> {
    let fail = |kind, message: &str| CtfError {
        kind,
        path: String::new(),
        line: Some(1),
        message: message.to_string(),
    };
    {
        let head = input
            .fill_buf()
            .map_err(|e| fail(ErrorKind::Io, &format!("the file could not be read: {e}")))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(fail(
                ErrorKind::Encoding,
                "the file is in UTF-16 (it starts with a UTF-16 byte-order mark): Senco reads CTFs in UTF-8 only; save it as UTF-8",
            ));
        }
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            input.consume(3);
        }
    }
    let capped = Capped {
        inner: input,
        cap: limits.max_bytes,
        consumed: 0,
        lines: 0,
        exceeded: false,
    };
    let mut reader = quick_xml::Reader::from_reader(capped);
    reader.config_mut().check_end_names = true;
    let mut p = Parser {
        path: Vec::new(),
        text: String::new(),
        ctf: Ctf::default(),
        pupil: None,
        sen: None,
        need: None,
        seen_root: false,
        line: 1,
    };
    let mut nodes: u64 = 0;
    let mut buf = Vec::new();
    loop {
        p.line = reader.get_ref().lines + 1;
        let event = reader.read_event_into(&mut buf);
        if reader.get_ref().exceeded {
            return Err(p.err(
                ErrorKind::TooLarge,
                format!(
                    "the file is larger than {} bytes, the most Senco reads",
                    limits.max_bytes
                ),
            ));
        }
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                p.line = reader.get_ref().lines + 1;
                let kind = match &e {
                    quick_xml::Error::Encoding(_) => ErrorKind::Encoding,
                    quick_xml::Error::Io(_) => ErrorKind::Io,
                    quick_xml::Error::Syntax(_) if !p.path.is_empty() => ErrorKind::Truncated,
                    _ => ErrorKind::Malformed,
                };
                let message = match kind {
                    ErrorKind::Encoding => {
                        format!("the file is not valid UTF-8 ({e}): Senco reads CTFs in UTF-8 only")
                    }
                    ErrorKind::Truncated => {
                        format!("the XML is broken or the file is cut short ({e})")
                    }
                    _ => format!("the XML is not well formed ({e})"),
                };
                return Err(p.err(kind, message));
            }
        };
        if !matches!(event, Event::End(_) | Event::Eof | Event::Decl(_)) {
            nodes += 1;
            if nodes > limits.max_nodes {
                return Err(p.err(
                    ErrorKind::TooManyNodes,
                    format!(
                        "the file has more than {} XML nodes, the most Senco reads",
                        limits.max_nodes
                    ),
                ));
            }
        }
        match event {
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map(|c| c.into_owned()).unwrap_or_default();
                    if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                        return Err(p.err(
                            ErrorKind::Encoding,
                            format!(
                                "the file declares the encoding {enc:?}: Senco reads CTFs in UTF-8 only; save it as UTF-8"
                            ),
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(p.err(
                    ErrorKind::Doctype,
                    "the file has a DOCTYPE declaration: CTFs have none, and Senco refuses DTDs and the entities they declare",
                ));
            }
            Event::Start(e) => {
                p.start(name_of(e.name().as_ref()))?;
                if p.path.len() > limits.max_depth {
                    return Err(p.err(
                        ErrorKind::TooDeep,
                        format!(
                            "elements are nested more than {} deep, the most Senco reads",
                            limits.max_depth
                        ),
                    ));
                }
            }
            Event::Empty(e) => {
                p.start(name_of(e.name().as_ref()))?;
                if p.path.len() > limits.max_depth {
                    return Err(p.err(
                        ErrorKind::TooDeep,
                        format!(
                            "elements are nested more than {} deep, the most Senco reads",
                            limits.max_depth
                        ),
                    ));
                }
                p.end()?;
            }
            Event::End(_) => p.end()?,
            Event::Text(t) => {
                if p.path.is_empty() {
                    if !t
                        .xml_content(quick_xml::XmlVersion::Implicit1_0)
                        .trim()
                        .is_empty()
                    {
                        return Err(p.err(
                            ErrorKind::Malformed,
                            "there is text outside the root element",
                        ));
                    }
                } else {
                    p.text
                        .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                }
            }
            Event::CData(c) => {
                p.text
                    .push_str(&c.xml_content(quick_xml::XmlVersion::Implicit1_0));
            }
            Event::GeneralRef(r) => {
                let name: &str = &r;
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => p.text.push(c),
                        _ => {
                            return Err(p.err(
                                ErrorKind::Entity,
                                format!("&{name}; is not a valid character reference"),
                            ));
                        }
                    }
                } else if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == name) {
                    p.text.push(*c);
                } else {
                    return Err(p.err(
                        ErrorKind::Entity,
                        format!(
                            "the entity reference &{name}; is not allowed: only &amp; &lt; &gt; &apos; &quot; and numeric character references are"
                        ),
                    ));
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                if !p.path.is_empty() {
                    let open = p.path.last().cloned().unwrap_or_default();
                    return Err(p.err(
                        ErrorKind::Truncated,
                        format!("the file ends inside <{open}>: it is cut short"),
                    ));
                }
                if !p.seen_root {
                    return Err(p.err(ErrorKind::NotCtf, "the file has no XML elements"));
                }
                break;
            }
        }
        buf.clear();
    }
    Ok(p.ctf)
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// Escapes text for XML content and attribute values; characters XML 1.0 cannot carry at
/// all (control characters) are dropped.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn ds(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn el(out: &mut String, indent: usize, name: &str, value: &str) {
    for _ in 0..indent {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&esc(value));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn open(out: &mut String, indent: usize, name: &str) {
    for _ in 0..indent {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(name);
    out.push_str(">\n");
}

fn close(out: &mut String, indent: usize, name: &str) {
    for _ in 0..indent {
        out.push_str("  ");
    }
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// Writes a CTF in the element order of REFERENCE.md §6.4 (UTF-8). Empty header values
/// and absent optional values are left out.
pub fn to_xml(ctf: &Ctf) -> String {
    let mut out = String::with_capacity(256 + ctf.pupils.len() * 600);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile>\n");
    let h = &ctf.header;
    open(&mut out, 1, "Header");
    for (name, v) in [
        ("DocumentName", &h.document_name),
        ("CTFversion", &h.version),
        ("DateTime", &h.date_time),
        ("DocumentQualifier", &h.qualifier),
        ("SupplierID", &h.supplier_id),
    ] {
        if !v.is_empty() {
            el(&mut out, 2, name, v);
        }
    }
    for (name, s) in [("SourceSchool", &h.source), ("DestSchool", &h.dest)] {
        open(&mut out, 2, name);
        for (n, v) in [
            ("LEA", &s.lea),
            ("Estab", &s.estab),
            ("SchoolName", &s.name),
            ("AcademicYear", &s.academic_year),
        ] {
            if !v.is_empty() {
                el(&mut out, 3, n, v);
            }
        }
        close(&mut out, 2, name);
    }
    close(&mut out, 1, "Header");
    open(&mut out, 1, "CTFpupilData");
    for p in &ctf.pupils {
        open(&mut out, 2, "Pupil");
        el(&mut out, 3, "UPN", &p.upn);
        el(&mut out, 3, "Surname", &p.surname);
        el(&mut out, 3, "Forename", &p.forename);
        if let Some(d) = p.date_of_birth {
            el(&mut out, 3, "DOB", &ds(d));
        }
        el(&mut out, 3, "Sex", &p.sex);
        if let Some(y) = &p.nc_year {
            open(&mut out, 3, "BasicDetails");
            el(&mut out, 4, "NCyearActual", y);
            close(&mut out, 3, "BasicDetails");
        }
        if !p.sen.is_empty() || !p.needs.is_empty() {
            open(&mut out, 3, "SENhistory");
            for s in &p.sen {
                open(&mut out, 4, "SEN");
                if let Some(d) = s.start {
                    el(&mut out, 5, "StartDate", &ds(d));
                }
                if let Some(d) = s.end {
                    el(&mut out, 5, "EndDate", &ds(d));
                }
                el(&mut out, 5, "SENprovision", &s.provision);
                close(&mut out, 4, "SEN");
            }
            if !p.needs.is_empty() {
                open(&mut out, 4, "SENneeds");
                for n in &p.needs {
                    open(&mut out, 5, "SENneed");
                    if let Some(r) = n.rank {
                        el(&mut out, 6, "SENtypeRank", &r.to_string());
                    }
                    el(&mut out, 6, "SENtype", &n.code);
                    if let Some(d) = n.start {
                        el(&mut out, 6, "NeedStartDate", &ds(d));
                    }
                    if let Some(d) = n.end {
                        el(&mut out, 6, "NeedEndDate", &ds(d));
                    }
                    close(&mut out, 5, "SENneed");
                }
                close(&mut out, 4, "SENneeds");
            }
            close(&mut out, 3, "SENhistory");
        }
        close(&mut out, 2, "Pupil");
    }
    close(&mut out, 1, "CTFpupilData");
    out.push_str("</CTfile>\n");
    out
}

#[cfg(test)]
mod tests;
