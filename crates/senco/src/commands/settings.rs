//! `senco settings`: the values REFERENCE.md marks unconfirmed, and school policies, which
//! operators may change. Every key is checked before it is stored, and every change is audited.

use anyhow::{Context, bail};
use senco_domain::plan::ReviewPolicy;
use senco_domain::school::Country;
use senco_store::Store;

use super::cli_event;
use crate::cli::SettingsCommand;

/// The census cut-over dates (defaults in `senco_domain::census::CodeSettings`).
const DATE_KEYS: [&str; 10] = [
    "census.england_action_codes_until",
    "census.england_k_from",
    "census.england_e_from",
    "census.england_s_until",
    "census.england_need_types_from",
    "census.besd_until",
    "census.semh_from",
    "census.nsa_from",
    "census.wales_legacy_until",
    "census.wales_idp_from",
];

fn describe() -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = DATE_KEYS
        .iter()
        .map(|k| (k.to_string(), "a date, YYYY-MM-DD".to_string()))
        .collect();
    for c in Country::ALL {
        keys.push((
            format!("compulsory_school_age.{}", c.as_str()),
            "AGE;MM-DD,MM-DD,... (for example 5;03-31,08-31,12-31)".into(),
        ));
    }
    for key in ["census.wales_school_idp", "census.wales_la_idp"] {
        keys.push((
            key.into(),
            "a code of 1-8 capital letters or digits (UNCONFIRMED default; setting it records your authority's code)".into(),
        ));
    }
    for d in &senco_domain::census::WALES_NEEDS {
        keys.push((
            senco_domain::census::wales_need_setting(d.need),
            format!(
                "the PLASC code for {} (UNCONFIRMED default {})",
                d.label, d.default_code
            ),
        ));
    }
    // Codes of the other country in a transfer file: the pairs with no source.
    for i in senco_domain::cross_border::settings() {
        keys.push((
            i.key,
            format!(
                "one of {} (UNCONFIRMED default {})",
                i.choices.join(", "),
                i.default
            ),
        ));
    }
    keys.push((
        "provision.shortfall_percent".into(),
        "1 to 100: delivery below this share of planned sessions is flagged (default 90)".into(),
    ));
    for (key, what) in [
        (
            senco_store::retention::SETTING_SEN_FILE_YEARS,
            "years after the date of birth an SEN file is kept at the last school (IRMS guidance: 31)",
        ),
        (
            senco_store::retention::SETTING_PUPIL_RECORD_YEARS,
            "years after the date of birth a pupil record is kept at the last school (IRMS guidance: 25)",
        ),
        (
            senco_store::retention::SETTING_TRANSFERRED_OUT_DAYS,
            "days a record is kept after the pupil moved to another school (guidance; default 90)",
        ),
        (
            senco_store::retention::SETTING_AUDIT_YEARS,
            "years the audit log is kept before `senco audit prune` removes rows (default 6)",
        ),
    ] {
        keys.push((key.into(), what.into()));
    }
    keys.push((
        "retention.KEY.URN".into(),
        "a school's own period for one of the three retention.* keys above (over the installation's)".into(),
    ));
    keys.push((
        "review_policy.URN".into(),
        "six_monthly or termly: a school's own review policy (warnings only)".into(),
    ));
    keys
}

/// The school periods: `retention.KEY.URN` as (`retention.KEY`, URN).
fn school_retention_key(key: &str) -> Option<(&'static str, &str)> {
    [
        senco_store::retention::SETTING_SEN_FILE_YEARS,
        senco_store::retention::SETTING_PUPIL_RECORD_YEARS,
        senco_store::retention::SETTING_TRANSFERRED_OUT_DAYS,
    ]
    .into_iter()
    .find_map(|base| {
        key.strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|urn| !urn.is_empty())
            .map(|urn| (base, urn))
    })
}

/// Checks a setting's value, returning it as stored.
fn check(store_key: &str, value: &str) -> anyhow::Result<String> {
    let value = value.trim();
    if let Some((base, _)) = school_retention_key(store_key) {
        return senco_store::retention::parse_period(value)
            .map(|n| n.to_string())
            .with_context(|| format!("{base} is a whole number from 1 to 65535"));
    }
    if DATE_KEYS.contains(&store_key) {
        senco_store::parse_ds(value)
            .map_err(|_| anyhow::anyhow!("{store_key} must be a date written YYYY-MM-DD"))?;
        return Ok(value.to_string());
    }
    if store_key.starts_with("compulsory_school_age.") {
        senco_store::schools::parse_compulsory_school_age(value).context(
            "write the age and prescribed days as AGE;MM-DD,MM-DD, for example 5;03-31,08-31,12-31",
        )?;
        return Ok(value.to_string());
    }
    let wales_code = store_key == "census.wales_school_idp"
        || store_key == "census.wales_la_idp"
        || senco_domain::census::WALES_NEEDS
            .iter()
            .any(|d| senco_domain::census::wales_need_setting(d.need) == store_key);
    if wales_code {
        let code = value.to_ascii_uppercase();
        if !senco_domain::census::is_code_shape(&code) {
            bail!("{store_key} is a code of 1 to 8 capital letters or digits");
        }
        return Ok(code);
    }
    if let Some(info) = senco_domain::cross_border::settings()
        .into_iter()
        .find(|i| i.key == store_key)
    {
        let mut s = senco_domain::cross_border::CrossBorderSettings::default();
        return senco_domain::cross_border::set(&mut s, store_key, value)
            .map_err(|_| anyhow::anyhow!("{store_key} is one of {}", info.choices.join(", ")));
    }
    if store_key == "provision.shortfall_percent" {
        match value.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => return Ok(n.to_string()),
            _ => bail!("{store_key} is a whole number of percent from 1 to 100"),
        }
    }
    if [
        senco_store::retention::SETTING_SEN_FILE_YEARS,
        senco_store::retention::SETTING_PUPIL_RECORD_YEARS,
        senco_store::retention::SETTING_TRANSFERRED_OUT_DAYS,
        senco_store::retention::SETTING_AUDIT_YEARS,
    ]
    .contains(&store_key)
    {
        return senco_store::retention::parse_period(value)
            .map(|n| n.to_string())
            .with_context(|| format!("{store_key} is a whole number from 1 to 65535"));
    }
    if store_key.starts_with("review_policy.") {
        ReviewPolicy::parse(value).context("the review policy is six_monthly or termly")?;
        return Ok(value.to_string());
    }
    bail!("{store_key} is not a setting; `senco settings list` shows them")
}

/// Runs `senco settings`.
pub async fn run(
    store: &Store,
    actor: Option<&str>,
    command: SettingsCommand,
) -> anyhow::Result<()> {
    match command {
        SettingsCommand::List => {
            for (key, what) in describe() {
                let value = if key.ends_with(".URN") {
                    None
                } else {
                    store.setting(&key).await?
                };
                println!(
                    "{key:<40} {:<24} {what}",
                    value.unwrap_or_else(|| "(default)".into())
                );
            }
        }
        SettingsCommand::Set { key, value } => {
            // A school's policy is stored under its id, so that a URN change keeps it.
            let store_key = match key.strip_prefix("review_policy.") {
                Some(urn) => format!(
                    "review_policy.{}",
                    store
                        .school_id_by_urn(urn)
                        .await?
                        .with_context(|| format!("no school has URN {urn}"))?
                ),
                None => match school_retention_key(&key) {
                    // A school's own retention period, stored under its id like its policy.
                    Some((base, urn)) => format!(
                        "{base}.{}",
                        store
                            .school_id_by_urn(urn)
                            .await?
                            .with_context(|| format!("no school has URN {urn}"))?
                    ),
                    None => key.clone(),
                },
            };
            let value = check(&store_key, &value)?;
            let mut tx = store.begin().await?;
            Store::set_setting(&mut tx, &store_key, &value).await?;
            let e = cli_event(actor, "setting", "update").fields(key.clone());
            Store::audit_in(&mut tx, &e).await?;
            senco_store::commit(tx).await?;
            println!("{key} = {value}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_per_key() {
        assert!(check("census.wales_legacy_until", "2026-08-31").is_ok());
        assert!(check("census.wales_legacy_until", "31/08/2026").is_err());
        assert!(check("compulsory_school_age.wales", "5;03-31,08-31,12-31").is_ok());
        assert!(check("compulsory_school_age.wales", "five").is_err());
        assert!(check("review_policy.some-id", "termly").is_ok());
        assert!(check("review_policy.some-id", "weekly").is_err());
        assert!(check("colour_scheme", "blue").is_err());
        assert_eq!(check("census.wales_school_idp", "sidp2").unwrap(), "SIDP2");
        assert!(check("census.wales_la_idp", "L IDP").is_err());
        assert_eq!(check("census.wales_need.mld", "mld").unwrap(), "MLD");
        assert!(check("census.wales_need.nonsense", "X").is_err());
        assert_eq!(
            check("census.need_map.england.oth", " Dyslexia ").unwrap(),
            "dyslexia"
        );
        assert_eq!(check("census.need_map.wales.adhd", "semh").unwrap(), "SEMH");
        assert_eq!(
            check("census.provision_map.k_before_aln", "school_action_plus").unwrap(),
            "school_action_plus"
        );
        assert!(check("census.provision_map.k_before_aln", "statement").is_err());
        assert!(check("census.need_map.england.mld", "dyslexia").is_err());
    }
}
