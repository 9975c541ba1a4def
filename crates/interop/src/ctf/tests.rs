//! Tests of the CTF reader and writer: the reference example, tolerance of order and
//! unknown elements, every hardening limit, and a write-then-read round trip.

use super::*;
use proptest::prelude::*;
use time::macros::date;

const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>21.0</CTFversion>
    <DateTime>2021-07-20T10:15:00</DateTime>
    <DocumentQualifier>partial</DocumentQualifier>
    <SupplierID>EXAMPLE-MIS</SupplierID>
    <SourceSchool>
      <LEA>999</LEA>
      <Estab>2001</Estab>
      <SchoolName>Example Primary School</SchoolName>
      <AcademicYear>2020</AcademicYear>
    </SourceSchool>
    <DestSchool>
      <LEA>999</LEA>
      <Estab>4001</Estab>
    </DestSchool>
  </Header>
  <CTFpupilData>
    <Pupil>
      <UPN>U201200112345</UPN>
      <Surname>Example</Surname>
      <Forename>Sam</Forename>
      <DOB>2010-02-14</DOB>
      <Sex>M</Sex>
      <SENhistory>
        <SEN>
          <StartDate>2019-09-04</StartDate>
          <SENprovision>K</SENprovision>
        </SEN>
        <SENneeds>
          <SENneed>
            <SENtypeRank>1</SENtypeRank>
            <SENtype>SPLD</SENtype>
          </SENneed>
          <SENneed>
            <SENtypeRank>2</SENtypeRank>
            <SENtype>SLCN</SENtype>
          </SENneed>
        </SENneeds>
      </SENhistory>
    </Pupil>
  </CTFpupilData>
</CTfile>
"#;

fn err(xml: &str) -> CtfError {
    match parse(xml.as_bytes(), &Limits::default()) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn reads_the_reference_example() {
    let c = parse(SAMPLE.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(c.header.document_name, "Common Transfer File");
    assert_eq!(c.header.source.lea, "999");
    assert_eq!(c.header.source.estab, "2001");
    assert_eq!(c.header.source.name, "Example Primary School");
    assert_eq!(c.header.source.academic_year, "2020");
    assert_eq!(c.header.dest.estab, "4001");
    assert_eq!(c.pupils.len(), 1);
    let p = &c.pupils[0];
    assert_eq!(p.upn, "U201200112345");
    assert_eq!(p.forename, "Sam");
    assert_eq!(p.date_of_birth, Some(date!(2010 - 02 - 14)));
    assert_eq!(p.sex, "M");
    assert_eq!(p.sen.len(), 1);
    assert_eq!(p.sen[0].start, Some(date!(2019 - 09 - 04)));
    assert_eq!(p.sen[0].provision, "K");
    assert_eq!(p.needs.len(), 2);
    assert_eq!(p.needs[1].rank, Some(2));
    assert_eq!(p.needs[1].code, "SLCN");
    assert_eq!(p.line, 21);
}

#[test]
fn order_gender_basic_details_and_unknown_elements_are_tolerated() {
    let xml = r#"<CTfile><CTFpupilData><Pupil><Unknown><Deeper>x</Deeper></Unknown>
        <SENhistory><SENneeds><SENneed><SENtype>ASD</SENtype><SENtypeRank>1</SENtypeRank>
        <NeedStartDate>2020-01-06</NeedStartDate></SENneed></SENneeds>
        <SEN><SENprovision>E</SENprovision><StartDate>2020-01-06</StartDate><EndDate>2021-01-01</EndDate></SEN>
        <SEN><StartDate>2018-09-05</StartDate><SENprovision>K</SENprovision></SEN></SENhistory>
        <BasicDetails><NCyearActual>5</NCyearActual><Gender>F</Gender></BasicDetails>
        <DOB>2012-03-01</DOB><Forename>Ann &amp; Jo&#233;</Forename><Surname>O&apos;Neil</Surname><UPN>A1</UPN>
        </Pupil></CTFpupilData><Header><SupplierID>X</SupplierID></Header></CTfile>"#;
    let c = parse(xml.as_bytes(), &Limits::default()).expect("parses");
    let p = &c.pupils[0];
    assert_eq!(p.sex, "F");
    assert_eq!(p.nc_year.as_deref(), Some("5"));
    assert_eq!(p.forename, "Ann & Joé");
    assert_eq!(p.surname, "O'Neil");
    assert_eq!(p.sen.len(), 2);
    assert_eq!(p.sen[0].end, Some(date!(2021 - 01 - 01)));
    assert_eq!(p.needs[0].start, Some(date!(2020 - 01 - 06)));
    assert_eq!(c.header.supplier_id, "X");
}

#[test]
fn a_doctype_is_refused() {
    let e = err("<?xml version=\"1.0\"?><!DOCTYPE CTfile><CTfile/>");
    assert_eq!(e.kind, ErrorKind::Doctype);
    assert!(e.to_string().contains("DOCTYPE"), "{e}");
}

#[test]
fn billion_laughs_is_refused_before_any_expansion() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CTfile><Header><SupplierID>&lol3;</SupplierID></Header></CTfile>"#;
    let e = err(xml);
    assert_eq!(e.kind, ErrorKind::Doctype);
    assert_eq!(e.line, Some(2));
}

#[test]
fn an_external_entity_is_refused() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE CTfile [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<CTfile><Header><SupplierID>&xxe;</SupplierID></Header></CTfile>"#;
    assert_eq!(err(xml).kind, ErrorKind::Doctype);
}

#[test]
fn an_undeclared_entity_is_refused_by_name() {
    let e = err("<CTfile><Header><SupplierID>&xxe;</SupplierID></Header></CTfile>");
    assert_eq!(e.kind, ErrorKind::Entity);
    assert!(e.message.contains("&xxe;"), "{e}");
    assert_eq!(e.path, "CTfile/Header/SupplierID");
}

#[test]
fn depth_32_is_read_and_33_refused() {
    let nest = |n: usize| {
        let mut s = String::from("<CTfile>");
        for _ in 1..n {
            s.push_str("<a>");
        }
        for _ in 1..n {
            s.push_str("</a>");
        }
        s.push_str("</CTfile>");
        s
    };
    assert!(parse(nest(32).as_bytes(), &Limits::default()).is_ok());
    let e = err(&nest(33));
    assert_eq!(e.kind, ErrorKind::TooDeep);
    assert!(e.message.contains("32"), "{e}");
}

#[test]
fn the_node_cap_holds() {
    let limits = Limits {
        max_nodes: 50,
        ..Limits::default()
    };
    let ok = parse(SAMPLE.as_bytes(), &Limits::default()).expect("parses");
    assert!(!ok.pupils.is_empty());
    let e = parse(SAMPLE.as_bytes(), &limits).expect_err("too many nodes");
    assert_eq!(e.kind, ErrorKind::TooManyNodes);
    assert!(e.to_string().contains("50"), "{e}");
}

#[test]
fn the_byte_cap_holds_without_reading_the_rest() {
    let limits = Limits {
        max_bytes: 200,
        ..Limits::default()
    };
    let e = parse(SAMPLE.as_bytes(), &limits).expect_err("too large");
    assert_eq!(e.kind, ErrorKind::TooLarge);
    // An endless stream stops at the cap: the reading never gets to its end.
    let endless = std::io::BufReader::new(std::io::Read::chain(
        &b"<CTfile><Header><SupplierID>"[..],
        std::io::repeat(b'x'),
    ));
    let e = parse_reader(endless, &limits).expect_err("too large");
    assert_eq!(e.kind, ErrorKind::TooLarge);
}

#[test]
fn a_truncated_file_is_refused() {
    let cut = &SAMPLE[..SAMPLE.len() / 2];
    let e = err(cut);
    assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
    assert!(e.path.starts_with("CTfile/CTFpupilData"), "{e}");
}

#[test]
fn another_encoding_is_refused_by_name() {
    let e = err("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><CTfile/>");
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert!(e.message.contains("ISO-8859-1"), "{e}");
}

#[test]
fn a_utf16_bom_is_refused_by_name() {
    let mut bytes = vec![0xFF, 0xFE];
    for c in "<CTfile/>".encode_utf16() {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    let e = parse(&bytes, &Limits::default()).expect_err("utf-16");
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert!(e.message.contains("UTF-16"), "{e}");
}

#[test]
fn invalid_utf8_is_refused() {
    let mut bytes = b"<CTfile><Header><SupplierID>".to_vec();
    bytes.extend_from_slice(&[0xE9, 0x41]);
    bytes.extend_from_slice(b"</SupplierID></Header></CTfile>");
    let e = parse(&bytes, &Limits::default()).expect_err("not utf-8");
    assert_eq!(e.kind, ErrorKind::Encoding, "{e}");
}

#[test]
fn a_utf8_bom_is_accepted() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(SAMPLE.as_bytes());
    assert!(parse(&bytes, &Limits::default()).is_ok());
}

#[test]
fn a_bad_date_names_its_element_and_line() {
    let xml = SAMPLE.replace("2019-09-04", "2019-13-04");
    let e = err(&xml);
    assert_eq!(e.kind, ErrorKind::Value);
    assert_eq!(e.path, "CTfile/CTFpupilData/Pupil/SENhistory/SEN/StartDate");
    assert_eq!(e.line, Some(29));
}

#[test]
fn another_root_is_not_a_ctf() {
    assert_eq!(err("<Census/>").kind, ErrorKind::NotCtf);
    assert_eq!(err("").kind, ErrorKind::NotCtf);
}

fn arb_date() -> impl Strategy<Value = Date> {
    (1990i32..2030, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        Date::from_calendar_date(y, time::Month::try_from(m).unwrap_or(time::Month::May), d)
            .unwrap_or(date!(2020 - 01 - 01))
    })
}

fn arb_text() -> impl Strategy<Value = String> {
    "[A-Za-z&<>'\" é-]{1,12}".prop_map(|s| s.trim().to_string())
}

fn arb_pupil() -> impl Strategy<Value = Pupil> {
    (
        "[A-Z][0-9]{12}",
        arb_text(),
        arb_text(),
        proptest::option::of(arb_date()),
        "[MF]",
        proptest::option::of("[1-9]"),
        proptest::collection::vec(
            (
                proptest::option::of(arb_date()),
                proptest::option::of(arb_date()),
                "[NKEAPS]",
            ),
            0..4,
        ),
        proptest::collection::vec(
            (
                proptest::option::of(1u32..=99),
                "[A-Z]{2,4}",
                proptest::option::of(arb_date()),
                proptest::option::of(arb_date()),
            ),
            0..4,
        ),
    )
        .prop_map(
            |(upn, surname, forename, dob, sex, year, sen, needs)| Pupil {
                upn,
                surname,
                forename,
                date_of_birth: dob,
                sex,
                nc_year: year,
                sen: sen
                    .into_iter()
                    .map(|(start, end, provision)| SenRecord {
                        start,
                        end,
                        provision,
                        line: 0,
                    })
                    .collect(),
                needs: needs
                    .into_iter()
                    .map(|(rank, code, start, end)| SenNeed {
                        rank,
                        code,
                        start,
                        end,
                        line: 0,
                    })
                    .collect(),
                line: 0,
            },
        )
}

fn without_lines(mut c: Ctf) -> Ctf {
    for p in &mut c.pupils {
        p.line = 0;
        for s in &mut p.sen {
            s.line = 0;
        }
        for n in &mut p.needs {
            n.line = 0;
        }
    }
    c
}

proptest! {
    #[test]
    fn writing_then_reading_gives_the_same_file(
        pupils in proptest::collection::vec(arb_pupil(), 0..5),
        name in arb_text(),
    ) {
        let ctf = Ctf {
            header: Header {
                document_name: "Common Transfer File".into(),
                version: "25.0".into(),
                date_time: "2026-11-02T10:00:00".into(),
                qualifier: "partial".into(),
                supplier_id: "Senco".into(),
                source: SchoolRef {
                    lea: "999".into(),
                    estab: "2001".into(),
                    name,
                    academic_year: "2026".into(),
                },
                dest: SchoolRef {
                    lea: "MMM".into(),
                    estab: "XXX".into(),
                    ..SchoolRef::default()
                },
            },
            pupils,
        };
        let xml = to_xml(&ctf);
        let back = parse(xml.as_bytes(), &Limits::default()).map(without_lines);
        prop_assert_eq!(back, Ok(ctf));
    }
}

#[test]
fn control_characters_in_text_are_refused() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CTfile><Header><SourceSchool><Estab>21\u{0}48</Estab></SourceSchool></Header></CTfile>";
    let e = parse(xml.as_bytes(), &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("U+0000"), "{e}");
}
