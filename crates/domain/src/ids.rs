//! Ids of records as distinct types, so a pupil's id cannot be passed where a plan's is
//! wanted. Ids are UUID text made by the store; these types do not check the text (the
//! store is their only source) and read as `&str` wherever a string is wanted.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from the store.
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type!(
    /// A pupil's id.
    PupilId
);
id_type!(
    /// A plan's id.
    PlanId
);
id_type!(
    /// A school's id.
    SchoolId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_their_text() {
        let id = PupilId::new("0190a1b2-0000-7000-8000-000000000001");
        assert_eq!(id.to_string(), "0190a1b2-0000-7000-8000-000000000001");
        assert_eq!(id.len(), 36, "derefs to str");
        assert_eq!(id, "0190a1b2-0000-7000-8000-000000000001");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0190a1b2-0000-7000-8000-000000000001\"");
        assert_eq!(serde_json::from_str::<PupilId>(&json).unwrap(), id);
        let s: String = id.clone().into();
        assert_eq!(PupilId::from(s), id);
    }
}
