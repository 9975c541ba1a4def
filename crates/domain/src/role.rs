//! The roles a user account can hold. What each role may do lives in [`crate::policy`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Senco,
    Teacher,
    TeachingAssistant,
    Head,
    SchoolAdmin,
    Parent,
    Specialist,
    LaOfficer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Senco,
        Role::Teacher,
        Role::TeachingAssistant,
        Role::Head,
        Role::SchoolAdmin,
        Role::Parent,
        Role::Specialist,
        Role::LaOfficer,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Senco => "senco",
            Role::Teacher => "teacher",
            Role::TeachingAssistant => "teaching_assistant",
            Role::Head => "head",
            Role::SchoolAdmin => "school_admin",
            Role::Parent => "parent",
            Role::Specialist => "specialist",
            Role::LaOfficer => "la_officer",
            Role::Admin => "admin",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key.
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Senco => "SENCO",
            Role::Teacher => "Teacher",
            Role::TeachingAssistant => "Teaching assistant",
            Role::Head => "Head teacher",
            Role::SchoolAdmin => "School administrator",
            Role::Parent => "Parent or carer",
            Role::Specialist => "Specialist",
            Role::LaOfficer => "Local authority officer",
            Role::Admin => "Administrator",
        }
    }

    /// Roles held within one school: the account must belong to a school.
    pub fn requires_school(self) -> bool {
        matches!(
            self,
            Role::Senco | Role::Teacher | Role::TeachingAssistant | Role::Head | Role::SchoolAdmin
        )
    }

    /// Local authority officers must belong to a local authority.
    pub fn requires_la(self) -> bool {
        self == Role::LaOfficer
    }

    /// Everyone except parents and carers.
    pub fn is_staff(self) -> bool {
        self.requires_school() || matches!(self, Role::Specialist | Role::LaOfficer | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert_eq!(Role::parse("Senco"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn labels() {
        assert_eq!(Role::Senco.label(), "SENCO");
        assert_eq!(Role::Head.label(), "Head teacher");
        assert_eq!(Role::Parent.label(), "Parent or carer");
        assert_eq!(Role::LaOfficer.label(), "Local authority officer");
    }

    #[test]
    fn affiliations() {
        let school: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.requires_school())
            .collect();
        assert_eq!(
            school,
            [
                Role::Senco,
                Role::Teacher,
                Role::TeachingAssistant,
                Role::Head,
                Role::SchoolAdmin
            ]
        );
        let la: Vec<_> = Role::ALL.into_iter().filter(|r| r.requires_la()).collect();
        assert_eq!(la, [Role::LaOfficer]);
        let not_staff: Vec<_> = Role::ALL.into_iter().filter(|r| !r.is_staff()).collect();
        assert_eq!(not_staff, [Role::Parent]);
    }
}
