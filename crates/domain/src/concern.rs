//! Where a concern about a pupil stands: raised and awaiting the SENCO's triage, then
//! monitored, placed on a stage or closed.

use serde::{Deserialize, Serialize};

/// The status of a concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernStatus {
    AwaitingTriage,
    /// Kept on the concern list, not the register.
    Monitoring,
    /// The pupil was placed on a stage.
    Placed,
    Closed,
}

impl ConcernStatus {
    pub const ALL: [ConcernStatus; 4] = [
        ConcernStatus::AwaitingTriage,
        ConcernStatus::Monitoring,
        ConcernStatus::Placed,
        ConcernStatus::Closed,
    ];

    /// The stable snake_case id, as stored and in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConcernStatus::AwaitingTriage => "awaiting_triage",
            ConcernStatus::Monitoring => "monitoring",
            ConcernStatus::Placed => "placed",
            ConcernStatus::Closed => "closed",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) id.
    pub fn parse(s: &str) -> Option<ConcernStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Placed and closed concerns are decided for good; the others may still be triaged.
    pub fn is_final(self) -> bool {
        matches!(self, ConcernStatus::Placed | ConcernStatus::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_as_their_stored_ids() {
        for s in ConcernStatus::ALL {
            assert_eq!(ConcernStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(ConcernStatus::parse("open"), None);
    }
}
