//! Renders a typical plan (four targets, provision, a review) and a parent letter many times
//! and prints the median and 95th-percentile times. Run with `bench/render.sh`.

use std::time::Instant;

use senco_documents::{Block, Document, Lang, ParentLetter, parent_letter, render};
use time::macros::date;

fn typical_plan() -> Document {
    let targets = (1..=4)
        .map(|i| {
            vec![
                i.to_string(),
                format!(
                    "Read the first {} high-frequency words on sight (Cognition and learning)",
                    i * 25
                ),
                "Flash cards for 10 minutes a day with the teaching assistant; word games at home"
                    .to_string(),
                "Reads 90 of the 100 words correctly on sight in two checks a week apart"
                    .to_string(),
            ]
        })
        .collect();
    Document {
        title: "Individual Education Plan".into(),
        subtitle: Some("Siân ap Dafydd".into()),
        school: "Oakfield Primary School".into(),
        date: date!(2026 - 11 - 23),
        large_print: false,
        language: Lang::English,
        blocks: vec![
            Block::KeyValues(vec![
                ("Pupil".into(), "Siân ap Dafydd".into()),
                ("Stage".into(), "School Action Plus".into()),
                ("Start date".into(), "2 November 2026".into()),
                ("Review date".into(), "26 February 2027".into()),
            ]),
            Block::Heading("The nature of the difficulty".into()),
            Block::Paragraph(
                "Progress in reading is well below that of classmates despite targeted teaching."
                    .into(),
            ),
            Block::Table {
                caption: "Targets".into(),
                header: vec![
                    "".into(),
                    "Target".into(),
                    "Strategies".into(),
                    "Success criteria".into(),
                ],
                rows: targets,
            },
            Block::Table {
                caption: "Provision".into(),
                header: vec![
                    "What".into(),
                    "Who".into(),
                    "How often".into(),
                    "Group size".into(),
                ],
                rows: vec![vec![
                    "Small-group phonics".into(),
                    "Teaching assistant".into(),
                    "20 minutes, three times a week".into(),
                    "4".into(),
                ]],
            },
            Block::Signatures(vec![
                "Parent or carer".into(),
                "Pupil".into(),
                "SENCO".into(),
            ]),
        ],
    }
}

fn measure(name: &str, runs: usize, mut f: impl FnMut() -> usize) {
    let _ = f(); // warm up: fonts and the standard library load once per process
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let bytes = f();
            assert!(bytes > 1000);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[runs / 2];
    let p95 = times[(runs * 95 / 100).min(runs - 1)];
    println!("{name:<24} runs {runs:>4}   median {median:>7.2} ms   p95 {p95:>7.2} ms");
}

fn main() {
    let runs = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let plan = typical_plan();
    measure("typical plan (A4)", runs, || {
        render(&plan).map(|b| b.len()).unwrap_or(0)
    });
    let mut large = typical_plan();
    large.large_print = true;
    measure("parents' version", runs, || {
        render(&large).map(|b| b.len()).unwrap_or(0)
    });
    let letter = ParentLetter {
        school: "Oakfield Primary School".into(),
        school_address: None,
        date: date!(2026 - 11 - 23),
        parent_name: "Gwen Quill".into(),
        pupil_name: "Bethan Quill".into(),
        stage: "School Action".into(),
        effective_on: date!(2026 - 11 - 02),
        reason: "Little progress despite targeted teaching".into(),
        what_happens_next: "We will write a plan with you.".into(),
        senco_name: "Bethan Hughes".into(),
        coordinator_title: "SENCO".into(),
        language: Lang::English,
    };
    measure("letter to parents", runs, || {
        parent_letter(&letter).map(|b| b.len()).unwrap_or(0)
    });
}
