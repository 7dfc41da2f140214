//! Query-string parsing and validation shared by every route: unknown or repeated parameters
//! are errors (a typo should not silently fall back to a default), and each typed getter
//! names the parameter in its error.

use super::error::ApiError;
use crate::domain::{DivisionCode, Kind, Level, Month, Registry};

/// Longest query string accepted.
const MAX_QUERY_BYTES: usize = 4096;

/// Parsed query parameters of one request.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a raw query string, allowing only `allowed` keys, each at most once.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_BYTES {
            return Err(ApiError::TooLarge(format!(
                "query string longer than {MAX_QUERY_BYTES} bytes"
            )));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            if key.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
                return Err(ApiError::bad(&key, "parameter is not valid UTF-8"));
            }
            if !allowed.contains(&key.as_ref()) {
                return Err(ApiError::bad(
                    &key,
                    format!("unknown parameter {key:?}; allowed: {}", allowed.join(", ")),
                ));
            }
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(ApiError::bad(
                    &key,
                    format!("parameter {key:?} given more than once"),
                ));
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// A raw value; an empty value counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// `level`: province | prefecture | county.
    pub fn level(&self, key: &str) -> Result<Option<Level>, ApiError> {
        self.get(key)
            .map(|v| {
                Level::from_id(v).ok_or_else(|| {
                    ApiError::bad(
                        key,
                        format!("unknown level {v:?}; use province, prefecture or county"),
                    )
                })
            })
            .transpose()
    }

    /// A division code that must exist in the registry.
    pub fn division(
        &self,
        key: &str,
        registry: &Registry,
    ) -> Result<Option<DivisionCode>, ApiError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let code: DivisionCode = value
            .parse()
            .map_err(|e| ApiError::bad(key, format!("{e}")))?;
        if registry.get(code).is_none() {
            return Err(ApiError::not_found(
                key,
                format!("no division with code {code}"),
            ));
        }
        Ok(Some(code))
    }

    /// A kind id.
    pub fn kind(&self, key: &str) -> Result<Option<Kind>, ApiError> {
        self.get(key)
            .map(|v| {
                Kind::from_id(v).ok_or_else(|| {
                    let known: Vec<_> = Kind::ALL.iter().map(|k| k.id()).collect();
                    ApiError::bad(
                        key,
                        format!("unknown kind {v:?}; known kinds: {}", known.join(", ")),
                    )
                })
            })
            .transpose()
    }

    /// Kind ids, comma-separated, each once (empty = none given).
    pub fn kinds(&self, key: &str) -> Result<Vec<Kind>, ApiError> {
        let Some(list) = self.get(key) else {
            return Ok(Vec::new());
        };
        let mut kinds = Vec::new();
        for id in list.split(',') {
            let kind = Kind::from_id(id.trim()).ok_or_else(|| {
                let known: Vec<_> = Kind::ALL.iter().map(|k| k.id()).collect();
                ApiError::bad(
                    key,
                    format!("unknown kind {id:?}; known kinds: {}", known.join(", ")),
                )
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(kinds)
    }

    /// A flag `true` or `false` (absent: false).
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::bad(key, format!("{other:?}: use true or false"))),
        }
    }

    /// A month `YYYY-MM`.
    pub fn month(&self, key: &str) -> Result<Option<Month>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<Month>()
                    .map_err(|e| ApiError::bad(key, e.to_string()))
            })
            .transpose()
    }

    /// A date `YYYY-MM-DD`.
    pub fn date(&self, key: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        self.get(key)
            .map(|v| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    .filter(|d| v.len() == 10 && (1949..=2100).contains(&chrono::Datelike::year(d)))
                    .ok_or_else(|| {
                        ApiError::bad(key, format!("{key} must be a date YYYY-MM-DD, got {v:?}"))
                    })
            })
            .transpose()
    }

    /// A whole number within `range`.
    pub fn integer(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|x| range.contains(x))
                    .ok_or_else(|| {
                        ApiError::bad(
                            key,
                            format!(
                                "{key} must be a whole number from {} to {}, got {v:?}",
                                range.start(),
                                range.end()
                            ),
                        )
                    })
            })
            .transpose()
    }

    /// A point `lon,lat` in degrees.
    pub fn point(&self, key: &str) -> Result<Option<(f64, f64)>, ApiError> {
        self.get(key)
            .map(|v| match parse_floats(v)[..] {
                [Some(lon), Some(lat)]
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    Ok((lon, lat))
                }
                _ => Err(ApiError::bad(
                    key,
                    format!("{key} must be lon,lat in degrees, got {v:?}"),
                )),
            })
            .transpose()
    }

    /// A bounding box `min_lon,min_lat,max_lon,max_lat` in degrees.
    pub fn bbox(&self, key: &str) -> Result<Option<[f64; 4]>, ApiError> {
        self.get(key)
            .map(|v| match parse_floats(v)[..] {
                [Some(a), Some(b), Some(c), Some(d)]
                    if (-180.0..=180.0).contains(&a)
                        && (-180.0..=180.0).contains(&c)
                        && (-90.0..=90.0).contains(&b)
                        && (-90.0..=90.0).contains(&d)
                        && a < c
                        && b < d =>
                {
                    Ok([a, b, c, d])
                }
                _ => Err(ApiError::bad(
                    key,
                    format!(
                        "{key} must be min_lon,min_lat,max_lon,max_lat with min < max, got {v:?}"
                    ),
                )),
            })
            .transpose()
    }

    /// A finite number within `range`.
    pub fn number(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<Option<f64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && range.contains(x))
                    .ok_or_else(|| {
                        ApiError::bad(
                            key,
                            format!(
                                "{key} must be a number from {} to {}, got {v:?}",
                                range.start(),
                                range.end()
                            ),
                        )
                    })
            })
            .transpose()
    }
}

/// Comma-separated finite numbers (`None` for a part that is not one).
fn parse_floats(v: &str) -> Vec<Option<f64>> {
    v.split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_repeated_and_malformed() {
        assert!(Params::parse(Some("level=province"), &["level"]).is_ok());
        assert!(Params::parse(Some("levle=province"), &["level"]).is_err());
        assert!(Params::parse(Some("level=a&level=b"), &["level"]).is_err());
        assert!(Params::parse(Some("level=%FF"), &["level"]).is_err());
        let p = Params::parse(
            Some("level=state&month=2024-13&kind=x&tolerance=-1"),
            &["level", "month", "kind", "tolerance"],
        )
        .unwrap();
        for err in [
            p.level("level").err(),
            p.month("month").err(),
            p.kind("kind").err(),
            p.number("tolerance", 0.0..=1.0).err(),
        ] {
            assert!(matches!(err, Some(ApiError::BadParameter { .. })));
        }
        let empty = Params::parse(Some("level="), &["level"]).unwrap();
        assert_eq!(empty.level("level").unwrap(), None);
    }
}
