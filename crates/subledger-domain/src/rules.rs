//! The rule ids of RULES.md as constants, so a refusal names its rule by a checked
//! name (`rules::SEAT_2`) rather than a string that could be misspelled.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rule id of RULES.md (`SEAT-2`), or `API` for refusals of the HTTP contract
/// itself (malformed requests, timeouts) that no business rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(&'static str);

impl RuleId {
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The rule of this id, if it is one of [`ALL`].
    pub fn parse(id: &str) -> Option<RuleId> {
        ALL.iter().copied().find(|r| r.0 == id)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        RuleId::parse(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule id `{id}`")))
    }
}

macro_rules! rule_ids {
    ($($name:ident = $id:literal),* $(,)?) => {
        $(pub const $name: RuleId = RuleId($id);)*

        /// Every rule id, in the order of RULES.md, then `API`.
        pub const ALL: &[RuleId] = &[$($name),*];
    };
}

rule_ids!(
    GEN_1 = "GEN-1",
    GEN_2 = "GEN-2",
    GEN_3 = "GEN-3",
    GEN_4 = "GEN-4",
    GEN_5 = "GEN-5",
    GEN_6 = "GEN-6",
    CAT_1 = "CAT-1",
    CAT_2 = "CAT-2",
    CAT_3 = "CAT-3",
    CAT_4 = "CAT-4",
    PUR_1 = "PUR-1",
    PUR_2 = "PUR-2",
    PUR_3 = "PUR-3",
    PUR_4 = "PUR-4",
    PUR_5 = "PUR-5",
    PUR_6 = "PUR-6",
    PUR_7 = "PUR-7",
    PUR_8 = "PUR-8",
    PUR_9 = "PUR-9",
    PUR_10 = "PUR-10",
    PUR_11 = "PUR-11",
    PUR_12 = "PUR-12",
    PUR_13 = "PUR-13",
    SEAT_1 = "SEAT-1",
    SEAT_2 = "SEAT-2",
    SEAT_3 = "SEAT-3",
    SEAT_4 = "SEAT-4",
    SEAT_5 = "SEAT-5",
    SEAT_6 = "SEAT-6",
    UPG_1 = "UPG-1",
    UPG_2 = "UPG-2",
    UPG_3 = "UPG-3",
    UPG_4 = "UPG-4",
    UPG_5 = "UPG-5",
    UPG_6 = "UPG-6",
    UPG_7 = "UPG-7",
    UPG_8 = "UPG-8",
    UPG_9 = "UPG-9",
    TRI_1 = "TRI-1",
    TRI_2 = "TRI-2",
    TRI_3 = "TRI-3",
    TRI_4 = "TRI-4",
    TRI_5 = "TRI-5",
    TRI_6 = "TRI-6",
    REN_1 = "REN-1",
    REN_2 = "REN-2",
    REN_3 = "REN-3",
    REN_4 = "REN-4",
    REN_5 = "REN-5",
    REN_6 = "REN-6",
    REN_7 = "REN-7",
    CAN_1 = "CAN-1",
    CAN_2 = "CAN-2",
    CAN_3 = "CAN-3",
    CAN_4 = "CAN-4",
    CAN_5 = "CAN-5",
    CAN_6 = "CAN-6",
    SUS_1 = "SUS-1",
    SUS_2 = "SUS-2",
    SUS_3 = "SUS-3",
    SUS_4 = "SUS-4",
    SUS_5 = "SUS-5",
    TRF_1 = "TRF-1",
    TRF_2 = "TRF-2",
    TRF_3 = "TRF-3",
    TRF_4 = "TRF-4",
    TRF_5 = "TRF-5",
    KEY_1 = "KEY-1",
    KEY_2 = "KEY-2",
    KEY_3 = "KEY-3",
    KEY_4 = "KEY-4",
    KEY_5 = "KEY-5",
    BIL_1 = "BIL-1",
    BIL_2 = "BIL-2",
    BIL_3 = "BIL-3",
    BIL_4 = "BIL-4",
    BIL_5 = "BIL-5",
    BIL_6 = "BIL-6",
    BIL_7 = "BIL-7",
    BIL_8 = "BIL-8",
    VIEW_1 = "VIEW-1",
    VIEW_2 = "VIEW-2",
    VIEW_3 = "VIEW-3",
    VIEW_4 = "VIEW-4",
    VIEW_5 = "VIEW-5",
    API = "API",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_serialize_as_their_id_and_parse_back() {
        assert_eq!(serde_json::to_string(&SEAT_2).unwrap(), r#""SEAT-2""#);
        assert_eq!(
            serde_json::from_str::<RuleId>(r#""PUR-13""#).unwrap(),
            PUR_13
        );
        assert!(serde_json::from_str::<RuleId>(r#""SEAT-99""#).is_err());
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "a rule id is listed twice");
    }
}
