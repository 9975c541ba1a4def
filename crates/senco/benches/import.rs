//! Imports 10,000 generated pupils from CSV into a fresh SQLite database (issue 6: under
//! 5 s on 2 cores): parse, check, plan and write in one transaction, then a second import of
//! the same file (10,000 unchanged). Run by `bench/import.sh`; record results in
//! BENCHMARKS.md.

use std::time::Instant;

use senco_domain::upn::Upn;

mod common;
use common::Bench;

const PUPILS: u16 = 10_000;

fn csv() -> String {
    let mut out = String::from(
        "UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Gender,Year,Reg Group\r\n",
    );
    let first = [
        "Amelia", "Oliver", "Siân", "Noah", "Isla", "Dafydd", "Zara", "Leo",
    ];
    let last = [
        "Smith", "Jones", "O'Brien", "Evans", "Patel", "Nowak", "Williams", "Brown",
    ];
    for i in 0..PUPILS {
        let upn = Upn::permanent(801, 3000 + i / 1000, 19, i % 1000).expect("a valid UPN");
        let year = 7 + i % 5;
        let born = 2021 - i32::from(year);
        let dob = format!("{:02}/{:02}/{born}", 1 + i % 28, 9 + i % 4);
        out.push_str(&format!(
            "{},{}-{i},{},,{dob},{},{year},{year}{}\r\n",
            upn.as_str(),
            last[usize::from(i % 8)],
            first[usize::from(i / 8 % 8)],
            if i % 2 == 0 { "F" } else { "M" },
            ["A", "B", "C", "D"][usize::from(i % 4)],
        ));
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let bench = Bench::new("import").await?;
    let Bench {
        store,
        school,
        now,
        today,
        audit,
        ..
    } = &bench;
    let (now, today) = (*now, *today);
    let bytes = csv().into_bytes();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (label, expect_new) in [
        ("10,000 new pupils", PUPILS),
        ("the same file again (all unchanged)", 0),
    ] {
        let start = Instant::now();
        let guard =
            senco_app::transfers::ProbeGuard::new(audit.clone(), &senco_app::Settings::default());
        let preview =
            senco_app::imports::preview(store, school, &bytes, &[], today, &guard).await?;
        let previewed = start.elapsed();
        assert!(
            preview.problems.is_empty(),
            "{:?}",
            preview.problems.first()
        );
        let outcome = senco_app::imports::commit(
            store,
            &senco_app::imports::CommitImport {
                school,
                bytes: &bytes,
                pairs: &[],
                accept_transfers: false,
                guard: &guard,
                today,
                now,
                kept: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let total = start.elapsed();
        assert_eq!(outcome.created, usize::from(expect_new));
        println!(
            "{label}: preview {:.2} s, preview + commit {:.2} s",
            previewed.as_secs_f64(),
            total.as_secs_f64()
        );
    }
    bench.finish().await;
    Ok(())
}
