//! Access control through the real server: tokens for the ministry, two provinces, a
//! prefecture and a county against every endpoint family (stats, objects, tiles, exports,
//! coverage, batches) inside and outside their scope; small-count suppression for viewers
//! and the public view; the audit log; sign-in; hardening headers; and a scan of every log
//! and of the DuckDB file for the raw ID numbers the suite sent.

mod common;

use chrono::NaiveDate;
use common::{decode_mvt as decode, get_as, post_as, request_as, tile_of, As, Server};
use serde_json::{json, Value};
use shikong::domain::identity::make_id_number;
use std::collections::{BTreeMap, HashSet};

const RECORDS: u64 = 40_000;

fn json_of(status_body: (u16, String), want: u16, what: &str) -> Value {
    let (status, body) = status_body;
    assert_eq!(status, want, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
}

/// Creates a user through the API as the ministry administrator; returns its token.
fn add_user(base: &str, name: &str, role: &str, scope: &str) -> String {
    let body = json!({"name": name, "role": role, "scope": scope}).to_string();
    let made = json_of(
        post_as(
            &format!("{base}/api/v1/users"),
            As::Admin,
            "application/json",
            body.as_bytes(),
        ),
        201,
        &format!("create {name}"),
    );
    made["token"].as_str().unwrap().to_string()
}

/// The division tree as the API gives it: code → parent.
fn parents(base: &str) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for level in ["province", "prefecture", "county"] {
        let list = common::get_json(&format!("{base}/api/v1/divisions?level={level}"));
        for d in list["divisions"].as_array().unwrap() {
            out.insert(
                d["code"].as_str().unwrap().to_string(),
                d["parent"].as_str().map(str::to_string),
            );
        }
    }
    out
}

/// Whether `code` is `scope` or below it.
fn covers(tree: &BTreeMap<String, Option<String>>, scope: &str, code: &str) -> bool {
    if scope == "000000" {
        return true;
    }
    let mut cursor = Some(code.to_string());
    while let Some(c) = cursor {
        if c == scope {
            return true;
        }
        cursor = tree.get(&c).cloned().flatten();
    }
    false
}

struct Who {
    name: &'static str,
    scope: &'static str,
    token: String,
}

#[test]
fn every_endpoint_family_is_limited_to_the_callers_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), RECORDS);
    let base = server.base.clone();
    let api = format!("{base}/api/v1");
    let tree = parents(&base);

    // Without credentials nothing but the sign-in page and static files.
    let (status, _) = get_as(&format!("{api}/stats"), As::Anonymous);
    assert_eq!(status, 401);
    let (status, _) = get_as(&format!("{base}/tiles/division/3/6/3.mvt"), As::Anonymous);
    assert_eq!(status, 401);
    let (status, headers, _) = request_as("GET", &format!("{base}/"), As::Anonymous, None, &[]);
    assert_eq!(status, 303, "pages send anonymous visitors to sign in");
    assert_eq!(headers["location"], "/login?next=%2F");
    let (status, _) = get_as(&format!("{base}/login"), As::Anonymous);
    assert_eq!(status, 200);
    let (status, _) = get_as(&format!("{api}/stats"), As::Token("skt_000000000000_00"));
    assert_eq!(status, 401, "a malformed token");

    let ministry = Who {
        name: "ministry",
        scope: "000000",
        token: add_user(&base, "部-经办", "caseworker", "000000"),
    };
    let zhejiang = Who {
        name: "zhejiang",
        scope: "330000",
        token: add_user(&base, "浙江-经办", "caseworker", "330000"),
    };
    let hubei = Who {
        name: "hubei",
        scope: "420000",
        token: add_user(&base, "湖北-经办", "caseworker", "420000"),
    };
    let hangzhou = Who {
        name: "hangzhou",
        scope: "330100",
        token: add_user(&base, "杭州-经办", "caseworker", "330100"),
    };
    let xihu = Who {
        name: "xihu",
        scope: "330106",
        token: add_user(&base, "西湖-经办", "caseworker", "330106"),
    };
    let everyone = [&ministry, &zhejiang, &hubei, &hangzhou, &xihu];
    // Targets: one division of each scope, and a county of a third province (北京 东城).
    let targets = ["330000", "420000", "330100", "330106", "110101"];

    // The ministry's exact county figures, to find out-of-scope numbers in aggregates.
    let national = common::get_json(&format!("{api}/stats?level=county"));
    let county_count: BTreeMap<String, u64> = national["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let sum_in = |scope: &str| -> u64 {
        county_count
            .iter()
            .filter(|(code, _)| covers(&tree, scope, code))
            .map(|(_, n)| n)
            .sum()
    };

    for who in everyone {
        let t = As::Token(&who.token);
        let me = json_of(get_as(&format!("{base}/auth/me"), t), 200, who.name);
        assert_eq!(me["scope"]["code"], who.scope);

        for target in targets {
            let inside = covers(&tree, who.scope, target);
            let what = format!("{} → {target}", who.name);
            let expect = if inside { 200 } else { 403 };
            // stats (and its CSV export), the county table export, coverage, records.
            for path in [
                format!("{api}/stats?level=county&parent={target}"),
                format!("{api}/stats?level=county&parent={target}&format=csv"),
                format!("{api}/stats/series?code={target}"),
                format!("{api}/reports/county-table?parent={target}&format=csv"),
                format!("{api}/objects?code={target}&limit=50"),
                format!("{api}/facilities?code={target}&limit=50"),
                format!("{api}/quality?level=county&parent={target}"),
            ] {
                let (status, body) = get_as(&path, t);
                assert_eq!(status, expect, "{what}: {path}: {body}");
            }
            if tree.get(target).is_some_and(|p| p.is_some()) && target.ends_with("06") {
                let (status, body) = get_as(&format!("{api}/coverage/{target}"), t);
                assert_eq!(status, expect, "{what}: coverage: {body}");
            }
            if inside {
                // Every row of every answer lies inside the scope.
                let stats = json_of(
                    get_as(&format!("{api}/stats?level=county&parent={target}"), t),
                    200,
                    &what,
                );
                for row in stats["rows"].as_array().unwrap() {
                    let code = row["code"].as_str().unwrap();
                    assert!(covers(&tree, who.scope, code), "{what}: row {code}");
                    assert_eq!(row["count"].as_u64(), county_count.get(code).copied());
                }
                let objects = json_of(
                    get_as(&format!("{api}/objects?code={target}&limit=200"), t),
                    200,
                    &what,
                );
                for o in objects["objects"].as_array().unwrap() {
                    let county = o["county_code"].as_str().unwrap();
                    assert!(covers(&tree, target, county), "{what}: object in {county}");
                }
            }
        }

        // With no division named, every family answers for the scope and nothing else: the
        // default (province) level collapses to the scope's own row below a province.
        let stats = json_of(get_as(&format!("{api}/stats"), t), 200, who.name);
        let rows = stats["rows"].as_array().unwrap();
        for row in rows {
            assert!(
                covers(&tree, who.scope, row["code"].as_str().unwrap()),
                "{}",
                who.name
            );
        }
        assert_eq!(
            stats["total"].as_u64().unwrap(),
            sum_in(who.scope),
            "{}: the total holds exactly the scope's people",
            who.name
        );
        let series = json_of(get_as(&format!("{api}/stats/series"), t), 200, who.name);
        let last = series["months"].as_array().unwrap().last().unwrap()["count"]
            .as_u64()
            .unwrap();
        assert_eq!(
            last,
            sum_in(who.scope),
            "{}: the default series is the scope's",
            who.name
        );
        let objects = json_of(
            get_as(&format!("{api}/objects?limit=500"), t),
            200,
            who.name,
        );
        for o in objects["objects"].as_array().unwrap() {
            let county = o["county_code"].as_str().unwrap_or("");
            assert!(
                covers(&tree, who.scope, county),
                "{}: object in {county:?}",
                who.name
            );
        }
        let csv = get_as(&format!("{api}/reports/county-table?format=csv"), t).1;
        for line in csv.lines().skip(1) {
            let code = line
                .trim_start_matches('\u{feff}')
                .split(',')
                .next()
                .unwrap();
            assert!(
                covers(&tree, who.scope, code),
                "{}: export row {code}",
                who.name
            );
        }

        // Tiles: figures only for divisions in scope (boundaries around them stay).
        let (x, y) = tile_of(7, 120.13, 30.26);
        let (status, bytes) = {
            let (s, _, b) = request_as(
                "GET",
                &format!("{base}/tiles/division/7/{x}/{y}.mvt"),
                t,
                None,
                &[],
            );
            (s, b)
        };
        assert_eq!(status, 200, "{}: county tile over 杭州", who.name);
        let tile = decode(dir.path(), &bytes);
        let mut valued = 0;
        for f in tile["division"]["features"].as_array().unwrap() {
            let code = f["properties"]["code"].as_str().unwrap();
            if let Some(v) = f["properties"]["value"].as_f64() {
                valued += 1;
                assert!(
                    covers(&tree, who.scope, code),
                    "{}: tile value of {code}",
                    who.name
                );
                assert_eq!(v as u64, county_count[code], "{}: {code}", who.name);
            }
        }
        assert_eq!(
            valued > 0,
            who.scope != "420000",
            "{}: values in the tile",
            who.name
        );
        let hex = request_as(
            "GET",
            &format!("{base}/tiles/hex/7/{x}/{y}.mvt"),
            t,
            None,
            &[],
        );
        if who.scope == "420000" {
            assert_eq!(hex.0, 204, "湖北's hexagons over 杭州 are empty");
        } else {
            assert_eq!(hex.0, 200, "{}", who.name);
        }

        // Batches and users: administrators only.
        let (status, _) = get_as(&format!("{api}/batches"), t);
        assert_eq!(status, 403, "{}: a caseworker has no ledger", who.name);
        let (status, _) = get_as(&format!("{api}/audit"), t);
        assert_eq!(status, 403);
    }

    // The hexagons a county sees hold only its own people: their total is its count.
    let (x, y) = tile_of(9, 120.13, 30.26);
    let t = As::Token(&xihu.token);
    let (_, _, bytes) = request_as(
        "GET",
        &format!("{base}/tiles/hex/9/{x}/{y}.mvt"),
        t,
        None,
        &[],
    );
    if !bytes.is_empty() {
        let tile = decode(dir.path(), &bytes);
        let total: f64 = tile["hex"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_f64().unwrap_or(0.0))
            .sum();
        assert!(
            total <= sum_in("330106") as f64,
            "hexagons hold only 西湖's records"
        );
    }

    // Province administrators see their own batches only; the national dataset's batch is
    // the ministry's.
    let zj_admin = add_user(&base, "浙江-管理", "admin", "330000");
    let hz_admin = add_user(&base, "杭州-管理", "admin", "330100");
    let ledger = json_of(
        get_as(&format!("{api}/batches"), As::Token(&zj_admin)),
        200,
        "zj admin ledger",
    );
    for b in ledger["batches"].as_array().unwrap() {
        assert_eq!(b["province_code"], 330000, "{b}");
    }
    let (status, _) = get_as(&format!("{api}/batches/1"), As::Token(&zj_admin));
    assert_eq!(status, 404, "the national batch is not the province's");
    let (status, _) = get_as(
        &format!("{api}/batches?province=420000"),
        As::Token(&zj_admin),
    );
    assert_eq!(status, 403);
    let (status, _) = get_as(&format!("{api}/batches"), As::Token(&hz_admin));
    assert_eq!(status, 403, "batches are kept per province");
    let (status, _) = get_as(&format!("{api}/reconciliation"), As::Token(&hz_admin));
    assert_eq!(status, 403);
    let rec = json_of(
        get_as(&format!("{api}/reconciliation"), As::Token(&zj_admin)),
        200,
        "zj reconciliation",
    );
    for r in rec["rows"].as_array().unwrap() {
        assert_eq!(r["province_code"], 330000);
    }
    // A province administrator may not make users outside the province, nor ministry ones.
    for (scope, want) in [("420000", 403), ("000000", 403), ("330106", 201)] {
        let body = json!({"name": format!("u-{scope}"), "role": "viewer", "scope": scope});
        let (status, text) = post_as(
            &format!("{api}/users"),
            As::Token(&zj_admin),
            "application/json",
            body.to_string().as_bytes(),
        );
        assert_eq!(status, want, "zj admin creates a {scope} user: {text}");
    }

    // A revoked token stops at once.
    let name: String = form_urlencoded::byte_serialize("杭州-经办".as_bytes()).collect();
    let (status, _, _) = request_as(
        "DELETE",
        &format!("{api}/users/{name}"),
        As::Admin,
        None,
        &[],
    );
    assert_eq!(status, 200);
    let (status, _) = get_as(&format!("{api}/stats"), As::Token(&hangzhou.token));
    assert_eq!(status, 401, "revoked");

    // The audit log holds who read person-level rows, with the filter and the rows, and
    // the refusals and failed authentications.
    let audit = common::get_json(&format!("{api}/audit?limit=1000"));
    let entries = audit["entries"].as_array().unwrap();
    let read = entries
        .iter()
        .find(|e| {
            e["event"] == "read"
                && e["user"] == "西湖-经办"
                && e["path"] == "/api/v1/objects"
                && e["filter"] == "code=330106&limit=200"
        })
        .expect("a caseworker's read of records is in the audit log");
    assert!(read["rows"].as_u64().is_some(), "{read}");
    assert!(entries
        .iter()
        .any(|e| e["event"] == "denied" && e["user"] == "湖北-经办"));
    assert!(entries
        .iter()
        .any(|e| e["event"] == "auth_failed" && e["user"].is_null()));
    // A province administrator's audit view holds only the province's users.
    let zj_audit = json_of(
        get_as(&format!("{api}/audit?limit=1000"), As::Token(&zj_admin)),
        200,
        "zj audit",
    );
    for e in zj_audit["entries"].as_array().unwrap() {
        assert!(e["scope"].as_str().unwrap().starts_with("33"), "{e}");
    }
}

#[test]
fn viewers_and_the_public_view_see_small_counts_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--records", &RECORDS.to_string(), "--public-view", "true"],
    );
    let api = format!("{}/api/v1", server.base);
    let viewer = add_user(&server.base, "领导", "viewer", "000000");
    let exact = common::get_json(&format!(
        "{api}/stats?level=county&parent=330000&kind=tekun"
    ));
    for who in [As::Token(&viewer), As::Anonymous] {
        let seen = json_of(
            get_as(
                &format!("{api}/stats?level=county&parent=330000&kind=tekun"),
                who,
            ),
            200,
            "viewer stats",
        );
        let exact_rows = exact["rows"].as_array().unwrap();
        let seen_rows = seen["rows"].as_array().unwrap();
        assert_eq!(exact_rows.len(), seen_rows.len());
        let mut hidden = 0;
        for (e, s) in exact_rows.iter().zip(seen_rows) {
            let n = e["count"].as_u64().unwrap();
            if (1..5).contains(&n) {
                assert!(s["count"].is_null(), "{n} must be hidden: {s}");
                assert_eq!(s["suppressed"], true);
            }
            if s["count"].is_null() {
                hidden += 1;
                assert!(s["rate_per_10k"].is_null() && s["change"].is_null(), "{s}");
            } else {
                assert_eq!(s["count"], e["count"]);
            }
        }
        // Complementary: the province total is shown, so no county is hidden alone.
        if seen["total"].is_u64() {
            assert_ne!(
                hidden, 1,
                "a lone hidden county would follow from the total"
            );
        }
        // Person-level rows and exact staff figures are not for viewers.
        let (status, _) = get_as(&format!("{api}/objects?limit=5"), who);
        assert_eq!(status, 403);
        let (status, _) = get_as(&format!("{api}/coverage/330106"), who);
        assert_eq!(status, 403);
        let (status, _) = get_as(&format!("{api}/reports/county-table"), who);
        assert_eq!(status, 403);
    }
    // CSV exports carry the same suppression.
    let csv = get_as(
        &format!("{api}/stats?level=county&parent=330000&kind=tekun&format=csv"),
        As::Token(&viewer),
    )
    .1;
    for (line, e) in csv.lines().skip(1).zip(exact["rows"].as_array().unwrap()) {
        let count = line.split(',').nth(3).unwrap();
        if (1..5).contains(&e["count"].as_u64().unwrap()) {
            assert_eq!(count, "*", "{line}");
        }
    }
}

#[test]
fn sign_in_rate_limits_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with(&data, &["--records", "20000", "--rate-limit", "30"]);
    let base = &server.base;
    // Sign-in sets an HttpOnly, SameSite session cookie that the API then accepts.
    let body = json!({"token": server.token}).to_string();
    let (status, headers, _) = request_as(
        "POST",
        &format!("{base}/auth/login"),
        As::Anonymous,
        Some("application/json"),
        body.as_bytes(),
    );
    assert_eq!(status, 204);
    let cookie = headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let (status, _, body) = common::get_with_as(
        &format!("{base}/auth/me"),
        As::Anonymous,
        &[("Cookie", &session)],
        "content-type",
    );
    assert_eq!(status, 200, "{body}");
    // A wrong token is refused and counted.
    let (status, _) = post_as(
        &format!("{base}/auth/login"),
        As::Anonymous,
        "application/json",
        br#"{"token": "skt_0123456789ab_0000000000000000000000000000000000000000000000000000000000000000"}"#,
    );
    assert_eq!(status, 401);
    // Security headers on pages and API answers; no CORS.
    let (_, headers, _) = request_as("GET", &format!("{base}/api/v1/meta"), As::Admin, None, &[]);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.get("access-control-allow-origin").is_none());
    // Over 30 requests a minute one user gets 429 with Retry-After.
    let mut limited = None;
    for _ in 0..40 {
        let (status, headers, _) =
            request_as("GET", &format!("{base}/api/v1/meta"), As::Admin, None, &[]);
        if status == 429 {
            limited = Some(headers["retry-after"].to_str().unwrap().to_string());
            break;
        }
    }
    let wait: u64 = limited.expect("429 within 40 requests").parse().unwrap();
    assert!((1..=60).contains(&wait));

    // `shikong user add` on the stopped server's database: the token it prints (once) works
    // after a restart; `user list` never shows it.
    drop(server);
    let data_arg = data.display().to_string();
    let token = common::run_ok(&[
        "user",
        "add",
        "命令行-查看",
        "--scope",
        "330100",
        "--role",
        "viewer",
        "--data-dir",
        &data_arg,
    ])
    .trim()
    .to_string();
    let listed = common::run_ok(&["user", "list", "--data-dir", &data_arg]);
    assert!(
        listed.contains("命令行-查看") && !listed.contains(&token),
        "{listed}"
    );
    let server = Server::start_with(&data, &["--records", "20000"]);
    let me = json_of(
        get_as(&format!("{}/auth/me", server.base), As::Token(&token)),
        200,
        "cli user",
    );
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["scope"]["code"], "330100");
    assert_eq!(me["suppress_below"], 5);
    assert_eq!(me["public"], false);
    // Anonymous stays out when the public view is off.
    let (status, _) = get_as(&format!("{}/auth/me", server.base), As::Anonymous);
    assert_eq!(status, 401);
}

/// Person `i` of this suite: valid check digit, born 1940s, not in the synthetic pool.
fn person(i: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1941, 1, 1).unwrap() + chrono::Days::new(u64::from(i));
    make_id_number(330106, birth, 997)
}

#[test]
fn no_raw_id_number_reaches_a_log_or_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log_dir = dir.path().join("logs");
    std::fs::create_dir_all(&log_dir).unwrap();
    // The most verbose logging there is, to a file.
    let server = Server::start_logged(
        &data,
        &["--records", "20000"],
        &log_dir,
        "debug,tower_http=trace",
    );
    let api = format!("{}/api/v1", server.base);
    let month = common::get_json(&format!("{api}/meta"))["months"]["last"]
        .as_str()
        .unwrap()
        .to_string();
    let ids: Vec<String> = (0..200).map(person).collect();
    let header =
        "division_code,lon,lat,valid_from,valid_to,id_number,area,household_size,monthly_amount";
    let mut good = format!("{header}\n");
    for id in &ids[..150] {
        good.push_str(&format!(
            "330106,120.13,30.26,2025-01-01,,{id},urban,2,800\n"
        ));
    }
    let slice = format!("{api}/batches?kind=dibao&province=330000&month={month}");
    let (status, body) = common::post(&slice, "text/csv", good.as_bytes());
    assert_eq!(status, 201, "{body}");
    // A rejected batch: bad check digits and a duplicate, its problem report downloaded.
    let mut bad = format!("{header}\n");
    for (i, id) in ids[150..180].iter().enumerate() {
        let mut id = id.clone();
        if i % 3 == 0 {
            let last = id.pop().unwrap();
            id.push(if last == '0' { '1' } else { '0' });
        }
        bad.push_str(&format!(
            "330106,120.13,30.26,2025-01-01,,{id},urban,2,800\n"
        ));
    }
    bad.push_str(&format!(
        "330106,120.13,30.26,2025-01-01,,{},urban,2,800\n",
        ids[151]
    ));
    let rejected = json_of(
        common::post(&slice, "text/csv", bad.as_bytes()),
        422,
        "bad batch",
    );
    let batch = rejected["batch"]["batch_id"].as_u64().unwrap();
    for format in ["json", "csv", "xlsx"] {
        let (status, _) =
            common::get_bytes(&format!("{api}/batches/{batch}/problems?format={format}"));
        assert_eq!(status, 200);
    }
    // A reference list of raw ID numbers, and the comparison that uses it.
    let mut list = String::from("id_number,date\n");
    for id in &ids[180..200] {
        list.push_str(&format!("{id},2025-02-01\n"));
    }
    list.push_str(&format!("{},2025-02-01\n", ids[3]));
    let stored = json_of(
        common::post(
            &format!("{api}/reference-lists?name=死亡人员名单"),
            "text/csv",
            list.as_bytes(),
        ),
        201,
        "reference list",
    );
    let list_id = stored["list"]["list_id"].as_u64().unwrap();
    for path in [
        format!("{api}/compare?check=reference&list={list_id}&format=csv"),
        format!("{api}/compare?check=duplicate"),
        format!("{api}/objects?code=330106&limit=1000"),
        format!("{api}/stats?level=county&parent=330100"),
        format!("{api}/reconciliation"),
        format!("{api}/quality"),
    ] {
        let (status, body) = common::get(&path);
        assert_eq!(status, 200, "{path}: {body}");
        for id in &ids {
            assert!(
                !body.contains(id.as_str()),
                "{path} answered a raw ID number"
            );
        }
    }
    // A bad request naming an ID number (an unknown parameter) is refused without echoing
    // it into the log.
    let (status, _) = common::get(&format!("{api}/objects?id_number={}", ids[0]));
    assert_eq!(status, 400);
    drop(server);

    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for dir in [&log_dir, &data] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                haystacks.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    assert!(haystacks.iter().any(|(p, _)| p.ends_with("shikong.duckdb")));
    let mut searched = 0;
    for (path, bytes) in &haystacks {
        for id in &ids[1..] {
            assert!(
                !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
                "{path} holds a raw ID number"
            );
            searched += 1;
        }
    }
    assert!(searched > 0);
    // The database's text, column by column (the file may compress strings).
    let db = duckdb::Connection::open(data.join("shikong.duckdb")).unwrap();
    let columns: Vec<(String, String)> = db
        .prepare(
            "SELECT table_name, column_name FROM information_schema.columns \
             WHERE data_type = 'VARCHAR' OR data_type LIKE '%JSON%'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(columns.len() > 10, "{columns:?}");
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    for (table, column) in &columns {
        let sql = format!("SELECT DISTINCT CAST(\"{column}\" AS VARCHAR) FROM \"{table}\" WHERE \"{column}\" IS NOT NULL");
        let mut stmt = db.prepare(&sql).unwrap();
        let values = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for v in values {
            let v = v.unwrap();
            for id in &wanted {
                assert!(!v.contains(id), "{table}.{column} holds a raw ID number");
            }
        }
    }
}
