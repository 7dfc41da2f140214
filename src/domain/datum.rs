//! Coordinate systems Chinese source data arrives in, and their conversion to WGS84 (the
//! datum of the embedded boundaries): GCJ-02 (AMap/Tencent geocoding) and BD-09 (Baidu).

use std::f64::consts::PI;

/// A declared coordinate system of input points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Datum {
    /// GPS / WGS84: stored as is.
    #[default]
    Wgs84,
    /// GCJ-02, the offset datum of AMap and Tencent.
    Gcj02,
    /// BD-09, Baidu's further offset of GCJ-02.
    Bd09,
}

const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

impl Datum {
    /// Parses `wgs84`, `gcj02` or `bd09` (case-insensitive; `gcj-02`, `bd-09` too).
    pub fn from_id(id: &str) -> Option<Datum> {
        match id.to_ascii_lowercase().replace('-', "").as_str() {
            "wgs84" | "epsg:4326" => Some(Datum::Wgs84),
            "gcj02" => Some(Datum::Gcj02),
            "bd09" | "bd09ll" => Some(Datum::Bd09),
            _ => None,
        }
    }

    /// Stable identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }

    /// The point in WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Datum::Wgs84 => (lon, lat),
            Datum::Gcj02 => gcj02_to_wgs84(lon, lat),
            Datum::Bd09 => {
                let (lon, lat) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(lon, lat)
            }
        }
    }
}

/// Degrees GCJ-02 adds to a WGS84 coordinate (the widely published reverse-engineered
/// formula, the same as `datasets/build_boundaries.py` uses for the boundaries).
pub fn gcj02_offset(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    t_lat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    t_lat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    t_lat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    t_lon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    t_lon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    t_lon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (t_lat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (t_lon * 180.0) / (GCJ_A / sqrt_magic * rad.cos() * PI);
    (dlon, dlat)
}

/// WGS84 → GCJ-02.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (dlon, dlat) = gcj02_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84 by fixed-point iteration: converges far below a millimetre in 8 steps,
/// where the one-step inverse common in libraries is off by metres.
pub fn gcj02_to_wgs84(glon: f64, glat: f64) -> (f64, f64) {
    let (mut lon, mut lat) = (glon, glat);
    for _ in 0..8 {
        let (dlon, dlat) = gcj02_offset(lon, lat);
        lon = glon - dlon;
        lat = glat - dlat;
    }
    (lon, lat)
}

/// BD-09 → GCJ-02 (Baidu's published inverse).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.000_02 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * BD_X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.000_02 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * BD_X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_round_trips_below_a_millimetre() {
        for &(lon, lat) in &[
            (116.397, 39.909),
            (121.47, 31.23),
            (87.6, 43.8),
            (110.3, 20.0),
        ] {
            let (glon, glat) = wgs84_to_gcj02(lon, lat);
            // The offset is hundreds of metres in China.
            assert!((glon - lon).abs() + (glat - lat).abs() > 0.001);
            let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
            assert!((wlon - lon).abs() < 1e-8 && (wlat - lat).abs() < 1e-8);
        }
    }

    #[test]
    fn bd09_round_trips() {
        let (lon, lat) = (116.404, 39.915);
        let (blon, blat) = gcj02_to_bd09(lon, lat);
        let (glon, glat) = bd09_to_gcj02(blon, blat);
        assert!((glon - lon).abs() < 1e-5 && (glat - lat).abs() < 1e-5);
        // Tiananmen in Baidu's datum is ≈ 116.4039, 39.9151 → GCJ ≈ 116.3975, 39.9091.
        let (w_lon, w_lat) = Datum::Bd09.to_wgs84(116.403_963, 39.915_119);
        assert!((w_lon - 116.391).abs() < 0.002 && (w_lat - 39.9075).abs() < 0.002);
    }

    #[test]
    fn parses_ids() {
        assert_eq!(Datum::from_id("GCJ-02"), Some(Datum::Gcj02));
        assert_eq!(Datum::from_id("bd09"), Some(Datum::Bd09));
        assert_eq!(Datum::from_id("wgs84"), Some(Datum::Wgs84));
        assert_eq!(Datum::from_id("utm"), None);
    }
}
