//! Who may see what: a user's role and the division their access is scoped to.

use super::{DivisionCode, Registry};
use std::fmt;
use std::str::FromStr;

/// What a user may do, lowest first (each role may do everything of the roles before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Aggregates only, small counts suppressed (leaders, the public view).
    Viewer,
    /// Masked person-level rows within the scope (county and township staff).
    Caseworker,
    /// Also ingest, declarations, reconciliation, users and the audit log within the scope.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Caseworker, Role::Admin];

    /// Stable id.
    pub const fn id(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Caseworker => "caseworker",
            Role::Admin => "admin",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Role::Viewer => "查看",
            Role::Caseworker => "经办",
            Role::Admin => "管理",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.id() == s)
            .ok_or_else(|| format!("unknown role {s:?}; use viewer, caseworker or admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The division a user's access is limited to: the whole country (the ministry, code
/// `000000`) or one province, prefecture or county and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope(Option<DivisionCode>);

impl Scope {
    /// The whole country.
    pub const NATIONAL: Scope = Scope(None);
    /// How the whole country is written.
    pub const NATIONAL_CODE: &'static str = "000000";

    /// Scoped to one division.
    pub const fn division(code: DivisionCode) -> Scope {
        Scope(Some(code))
    }

    /// The division, or `None` for the whole country.
    pub const fn code(self) -> Option<DivisionCode> {
        self.0
    }

    /// Whether this is the whole country.
    pub const fn is_national(self) -> bool {
        self.0.is_none()
    }

    /// Parses `000000` or a division code that exists in `registry`.
    pub fn parse(text: &str, registry: &Registry) -> Result<Scope, String> {
        if text == Self::NATIONAL_CODE {
            return Ok(Scope::NATIONAL);
        }
        let code: DivisionCode = text.parse().map_err(|e| format!("{e}"))?;
        if registry.get(code).is_none() {
            return Err(format!("no division with code {code}"));
        }
        Ok(Scope(Some(code)))
    }

    /// Whether `code` is this scope's division or lies below it. Ancestors are not covered:
    /// their figures include people outside the scope.
    pub fn covers(self, code: DivisionCode, registry: &Registry) -> bool {
        match self.0 {
            None => true,
            Some(scope) => registry.lineage(code).iter().any(|d| d.code == scope),
        }
    }

    /// Whether a county-level unit (a record's assigned or declared county) is covered; codes
    /// not in the registry are covered only by the national scope.
    pub fn covers_raw(self, code: u32, registry: &Registry) -> bool {
        match self.0 {
            None => true,
            Some(_) => DivisionCode::new(code).is_ok_and(|c| self.covers(c, registry)),
        }
    }

    /// The scope's name (`全国` for the whole country).
    pub fn name(self, registry: &Registry) -> String {
        match self.0 {
            None => "全国".to_string(),
            Some(code) => registry
                .get(code)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| code.to_string()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str(Self::NATIONAL_CODE),
            Some(code) => write!(f, "{code}"),
        }
    }
}

/// Access tokens: `skt_` + a 12-hex public id (for lookup) + `_` + 64 hex digits of secret.
/// Only an argon2id hash of the whole token is stored; it is shown once, at creation.
pub mod token {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    use argon2::Argon2;
    use rand::RngCore;

    const PREFIX: &str = "skt_";

    /// A new token and its public id.
    pub fn generate() -> (String, String) {
        let mut rng = rand::rng();
        let mut id = [0u8; 6];
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut secret);
        let id = hex::encode(id);
        let token = format!("{PREFIX}{id}_{}", hex::encode(secret));
        (id, token)
    }

    /// The public id of a well-formed token.
    pub fn id_of(token: &str) -> Option<&str> {
        let rest = token.strip_prefix(PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        (hex(id, 12) && hex(secret, 64)).then_some(id)
    }

    /// The argon2id hash (PHC string) of a token, with a fresh random salt.
    pub fn hash(token: &str) -> Result<String, String> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(token.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }

    /// Whether `token` matches a stored hash (constant-time inside argon2).
    pub fn verify(token: &str, stored: &str) -> bool {
        PasswordHash::new(stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(token.as_bytes(), &h)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn code(s: &str) -> DivisionCode {
        s.parse().unwrap()
    }

    fn registry() -> Registry {
        let rows = [
            ("330000", "浙江省", Level::Province, None),
            ("330100", "杭州市", Level::Prefecture, Some("330000")),
            ("330106", "西湖区", Level::County, Some("330100")),
            ("330200", "宁波市", Level::Prefecture, Some("330000")),
            ("330203", "海曙区", Level::County, Some("330200")),
            ("420000", "湖北省", Level::Province, None),
            ("429004", "仙桃市", Level::County, Some("420000")),
        ];
        Registry::build(
            rows.iter()
                .map(|(c, n, l, p)| (code(c), n.to_string(), *l, p.map(code))),
        )
        .unwrap()
    }

    #[test]
    fn a_scope_covers_itself_and_below_never_above_or_beside() {
        let r = registry();
        let hangzhou = Scope::parse("330100", &r).unwrap();
        assert!(hangzhou.covers(code("330100"), &r));
        assert!(hangzhou.covers(code("330106"), &r));
        assert!(
            !hangzhou.covers(code("330000"), &r),
            "the province holds other cities"
        );
        assert!(!hangzhou.covers(code("330203"), &r));
        assert!(!hangzhou.covers_raw(429004, &r));
        let hubei = Scope::parse("420000", &r).unwrap();
        assert!(
            hubei.covers(code("429004"), &r),
            "省直辖县 sits right under its province"
        );
        assert!(Scope::NATIONAL.covers(code("330203"), &r));
        assert_eq!(Scope::parse("000000", &r).unwrap(), Scope::NATIONAL);
        assert!(Scope::parse("110000", &r).is_err(), "not in the registry");
        assert!(Scope::parse("33", &r).is_err());
    }

    #[test]
    fn tokens_verify_against_their_hash_only() {
        let (id, t) = token::generate();
        assert_eq!(token::id_of(&t), Some(id.as_str()));
        let stored = token::hash(&t).unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains(&t[16..]), "the secret is not in the hash");
        assert!(token::verify(&t, &stored));
        let (_, other) = token::generate();
        assert!(!token::verify(&other, &stored));
        assert!(!token::verify(&t, "not a hash"));
        assert_eq!(token::id_of("skt_abc_def"), None);
        assert_eq!(token::id_of(&t.replace("skt_", "xyz_")), None);
    }

    #[test]
    fn roles_are_ordered_and_parse_by_id() {
        assert!(Role::Viewer < Role::Caseworker && Role::Caseworker < Role::Admin);
        for role in Role::ALL {
            assert_eq!(role.id().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
