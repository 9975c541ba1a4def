//! Turning records into documents for `senco_documents`: a plan (or its parent-friendly
//! version in plain language and larger type) and a letter to parents.

use senco_documents::{Block, Document};
use senco_domain::Date;
use senco_domain::census::AreaOfNeed;
use senco_store::plans::{Plan, Review};
use senco_store::pupils::Pupil;
use senco_store::schools::School;

use crate::App;

/// Why a plan's PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(transparent)]
    Store(#[from] senco_store::StoreError),
    #[error("rendering failed: {0}")]
    Render(String),
}

/// The PDF of a plan (`parent`: the parent-friendly version in larger type), from the
/// cache when this version was rendered before.
pub async fn plan_pdf(
    app: &App,
    plan: &Plan,
    pupil: &Pupil,
    parent: bool,
) -> Result<std::sync::Arc<Vec<u8>>, PdfError> {
    let key = (plan.id.clone(), plan.version, parent);
    if let Some(pdf) = app.pdfs.get(&key) {
        return Ok(pdf);
    }
    let school = app.store.school(&pupil.school_id).await?;
    let reviews = app.store.reviews(&plan.id).await?;
    let doc = plan_document(plan, &reviews, pupil, &school, parent, app.today());
    let pdf = tokio::task::spawn_blocking(move || senco_documents::render(&doc))
        .await
        .map_err(|e| PdfError::Render(e.to_string()))?
        .map_err(|e| PdfError::Render(e.to_string()))?;
    let pdf = std::sync::Arc::new(pdf);
    app.pdfs.put(key, pdf.clone());
    Ok(pdf)
}

/// The document of a plan. The parent-friendly version leaves out the staff's technical
/// words, uses larger type and asks for the parents' signature.
pub fn plan_document(
    plan: &Plan,
    reviews: &[Review],
    pupil: &Pupil,
    school: &School,
    parent: bool,
    today: Date,
) -> Document {
    // Worded in the language the pupil's parents have letters in.
    let m = senco_i18n::messages(pupil.language);
    let long_date = |d: Date| m.long_date(d);
    let f = &plan.fields;
    let stage = f.stage.label();
    let mut blocks = vec![Block::KeyValues(vec![
        (m.pdf_pupil.into(), pupil.display_name()),
        (m.dob_label.into(), long_date(pupil.date_of_birth)),
        (m.current_stage_label.into(), stage.into()),
        (m.plan_start_label.into(), long_date(f.starts_on)),
        (m.plan_review_label.into(), long_date(f.review_on)),
    ])];
    if parent {
        blocks.push(Block::Paragraph(m.pdf_parent_intro.into()));
    }
    if !f.nature.is_empty() {
        blocks.push(Block::Heading(if parent {
            m.pdf_parent_nature.into()
        } else {
            m.plan_nature_label.into()
        }));
        blocks.push(Block::Paragraph(f.nature.clone()));
    }
    let rows: Vec<Vec<String>> = f
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let area = t
                .area
                .as_deref()
                .and_then(AreaOfNeed::parse)
                .map(|a| a.label())
                .unwrap_or("");
            if parent {
                vec![
                    format!("{}", i + 1),
                    t.target.clone(),
                    t.strategies.clone(),
                    t.success_criteria.clone(),
                ]
            } else {
                vec![
                    format!("{}", i + 1),
                    area.to_string(),
                    t.target.clone(),
                    t.strategies.clone(),
                    t.success_criteria.clone(),
                    t.by_when.map(long_date).unwrap_or_default(),
                ]
            }
        })
        .collect();
    let header: Vec<String> = if parent {
        vec![
            "".into(),
            m.pdf_parent_target.into(),
            m.pdf_parent_help.into(),
            m.pdf_parent_success.into(),
        ]
    } else {
        vec![
            "".into(),
            m.target_area_label.into(),
            m.target_text_label.into(),
            m.target_strategies_label.into(),
            m.target_success_label.into(),
            m.target_by_label.into(),
        ]
    };
    blocks.push(Block::Table {
        caption: m.targets_heading.into(),
        header,
        rows,
    });
    if !f.provision.is_empty() {
        blocks.push(Block::Table {
            caption: m.provision_heading.into(),
            header: vec![
                m.provision_what_label.into(),
                m.provision_who_label.into(),
                m.provision_often_label.into(),
                m.provision_group_label.into(),
            ],
            rows: f
                .provision
                .iter()
                .map(|p| {
                    vec![
                        p.what.clone(),
                        p.who.clone(),
                        p.how_often.clone(),
                        p.group_size.map(|g| g.to_string()).unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    for (label, text) in [
        (m.help_at_home_label, &f.help_at_home),
        (m.pastoral_label, &f.pastoral),
        (m.plan_pupil_views_label, &f.pupil_views),
        (m.plan_parent_views_label, &f.parent_views),
    ] {
        if !text.is_empty() {
            blocks.push(Block::Heading(label.into()));
            blocks.push(Block::Paragraph(text.clone()));
        }
    }
    for r in reviews {
        let decision = r.decision.label();
        blocks.push(Block::Heading(format!(
            "{} {}",
            m.pdf_review_of,
            long_date(r.held_on)
        )));
        blocks.push(Block::KeyValues(vec![
            (m.attended_legend.into(), r.attended.replace(',', ", ")),
            (m.decision_legend.into(), decision.into()),
        ]));
        let rows = f
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (outcome, evidence) = r
                    .outcomes
                    .iter()
                    .find(|(id, _, _)| *id == t.id)
                    .map(|(_, o, e)| {
                        (
                            senco_domain::plan::TargetOutcome::parse(o)
                                .map(|o| o.label())
                                .unwrap_or(""),
                            e.clone(),
                        )
                    })
                    .unwrap_or(("", String::new()));
                vec![
                    format!("{}", i + 1),
                    t.target.clone(),
                    outcome.to_string(),
                    evidence,
                ]
            })
            .collect();
        blocks.push(Block::Table {
            caption: m.outcomes_heading.into(),
            header: vec![
                "".into(),
                m.target_text_label.into(),
                m.outcome_legend.into(),
                m.evidence_label.into(),
            ],
            rows,
        });
        for (label, text) in [
            (m.progress_label, &r.progress),
            (m.review_parent_views_label, &r.parent_views),
            (m.review_pupil_views_label, &r.pupil_views),
        ] {
            if !text.is_empty() {
                blocks.push(Block::KeyValues(vec![(label.into(), text.clone())]));
            }
        }
    }
    blocks.push(Block::Signatures(vec![
        m.pdf_sign_parent.into(),
        m.pdf_sign_pupil.into(),
        m.pdf_sign_senco.into(),
    ]));
    Document {
        title: if parent {
            m.pdf_parent_title.into()
        } else {
            m.plan_title.into()
        },
        subtitle: Some(pupil.display_name()),
        school: school.name.clone(),
        date: today,
        large_print: parent,
        language: pupil.language,
        blocks,
    }
}
