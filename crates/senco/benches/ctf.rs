//! Imports a 10,000-pupil Common Transfer File with SEN history into a fresh SQLite
//! database (issue 6: under 5 s on 2 cores): read under the hard limits, check every code
//! against the dated table, plan and write pupils, stage entries and needs in one
//! transaction; then the same file again (everything already held). Run by `bench/ctf.sh`;
//! record results in BENCHMARKS.md.

use std::time::Instant;

use senco_domain::upn::Upn;
use senco_interop::ctf::{Ctf, Header, Limits, Pupil, SenNeed, SenRecord};
use time::macros::date;

mod common;
use common::Bench;

const PUPILS: u16 = 10_000;

fn file() -> Vec<u8> {
    let first = [
        "Amelia", "Oliver", "Siân", "Noah", "Isla", "Dafydd", "Zara", "Leo",
    ];
    let last = [
        "Smith", "Jones", "O'Brien", "Evans", "Patel", "Nowak", "Williams", "Brown",
    ];
    let pupils = (0..PUPILS)
        .map(|i| {
            let upn = Upn::permanent(801, 3000 + i / 1000, 19, i % 1000).expect("a valid UPN");
            let year = 7 + i % 5;
            let born = 2021 - i32::from(year);
            let dob =
                time::Date::from_calendar_date(born, time::Month::October, 1 + (i % 28) as u8)
                    .expect("a date");
            // A third of pupils with a history: SEN support from 2022, some with a plan.
            let (sen, needs) = if i % 3 == 0 {
                let mut sen = vec![SenRecord {
                    start: Some(date!(2022 - 09 - 05)),
                    end: None,
                    provision: "K".into(),
                    line: 0,
                }];
                if i % 9 == 0 {
                    sen[0].end = Some(date!(2024 - 01 - 07));
                    sen.push(SenRecord {
                        start: Some(date!(2024 - 01 - 08)),
                        end: None,
                        provision: "E".into(),
                        line: 0,
                    });
                }
                let needs = vec![
                    SenNeed {
                        rank: Some(1),
                        code: "SPLD".into(),
                        start: Some(date!(2022 - 09 - 05)),
                        end: None,
                        line: 0,
                    },
                    SenNeed {
                        rank: Some(2),
                        code: "SLCN".into(),
                        start: Some(date!(2022 - 09 - 05)),
                        end: None,
                        line: 0,
                    },
                ];
                (sen, needs)
            } else {
                (Vec::new(), Vec::new())
            };
            Pupil {
                upn: upn.as_str().to_string(),
                surname: format!("{}-{i}", last[usize::from(i % 8)]),
                forename: first[usize::from(i / 8 % 8)].to_string(),
                date_of_birth: Some(dob),
                sex: if i % 2 == 0 { "F" } else { "M" }.to_string(),
                nc_year: Some(year.to_string()),
                sen,
                needs,
                line: 0,
            }
        })
        .collect();
    let ctf = Ctf {
        header: Header {
            document_name: "Common Transfer File".into(),
            ..Header::default()
        },
        pupils,
    };
    senco_interop::ctf::to_xml(&ctf).into_bytes()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let bench = Bench::new("ctf").await?;
    let Bench {
        store,
        school,
        now,
        today,
        audit,
        ..
    } = &bench;
    let (now, today) = (*now, *today);
    let bytes = file();
    println!(
        "machine: {} cores; file {:.1} MB",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        bytes.len() as f64 / 1_048_576.0
    );
    let start = Instant::now();
    let parsed = senco_interop::ctf::parse(&bytes, &Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "read and limits only: {:.2} s ({} pupils)",
        start.elapsed().as_secs_f64(),
        parsed.pupils.len()
    );
    for (label, expect_new) in [
        ("10,000 new pupils with SEN history", usize::from(PUPILS)),
        ("the same file again (all held)", 0),
    ] {
        let start = Instant::now();
        let guard =
            senco_app::transfers::ProbeGuard::new(audit.clone(), &senco_app::Settings::default());
        let s = senco_app::ctf::import(
            store,
            &senco_app::ctf::CtfImport {
                school,
                bytes: &bytes,
                limits: &Limits::default(),
                accept_transfers: false,
                guard: &guard,
                today,
                now,
                words: senco_i18n::messages(senco_domain::lang::Lang::English),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        assert_eq!(s.outcome.pupils.created, expect_new);
        println!(
            "{label}: {:.2} s ({} stage entries and {} needs added)",
            start.elapsed().as_secs_f64(),
            s.outcome.stages_added,
            s.outcome.needs_added
        );
    }
    bench.finish().await;
    Ok(())
}
