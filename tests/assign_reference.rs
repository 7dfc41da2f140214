//! Point→county assignment checked against an independent engine (GEOS, via Python shapely)
//! on the same boundaries: 100,000 hard points (near borders, in 直辖市 and 省直辖县级 units,
//! and uniform over China's bounding box, much of it sea or abroad).
//!
//! Needs Python with shapely and numpy: `SHIKONG_PYTHON` (set by `.ci/run`), else `python3`.

mod common;

use serde_json::Value;
use std::process::Command;

fn python() -> String {
    std::env::var("SHIKONG_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn reference(args: &[&str]) -> Value {
    let script = common::repo_root().join("tests/reference/assign_reference.py");
    let output = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "reference script failed (is shapely installed? run `bash .ci/run`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON summary")
}

#[test]
fn assignment_agrees_with_geos_on_100k_hard_points() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let boundaries = common::repo_root().join("datasets/boundaries");
    let boundaries = boundaries.to_str().unwrap();
    let summary = reference(&[
        "points",
        "--boundaries",
        boundaries,
        "--out",
        out.to_str().unwrap(),
        "--n",
        "100000",
    ]);
    assert_eq!(summary["points"], 100_000);

    let ours = out.join("ours.csv");
    common::run_ok(&[
        "assign",
        "--data-dir",
        out.join("data").to_str().unwrap(),
        "--input",
        out.join("points.csv").to_str().unwrap(),
        "--output",
        ours.to_str().unwrap(),
    ]);
    let result = reference(&[
        "compare",
        "--boundaries",
        boundaries,
        "--points",
        out.join("points.csv").to_str().unwrap(),
        "--reference",
        out.join("reference.csv").to_str().unwrap(),
        "--ours",
        ours.to_str().unwrap(),
    ]);
    let agreement = result["agreement"].as_f64().unwrap();
    let assigned = result["assigned_reference"].as_u64().unwrap();
    eprintln!(
        "agreement {agreement:.6} over {} points ({assigned} inside a county), max disagreement distance {} m",
        result["total"], result["max_disagreement_distance_m"]
    );
    assert!(
        assigned > 60_000,
        "most test points should be inside China: {assigned}"
    );
    assert!(
        agreement >= 0.9999,
        "agreement {agreement}: {}",
        result["disagreements"]
    );
    // Every disagreement must be a point on a border, within floating-point reach of it.
    for d in result["disagreements"].as_array().unwrap() {
        let metres = d["distance_m"].as_f64().unwrap();
        assert!(
            metres < 0.01,
            "disagreement {metres} m from any border: {d}"
        );
    }
}
