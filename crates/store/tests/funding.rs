//! Funding policies and the budget simulator, on SQLite and PostgreSQL, held against the figures
//! of the source report (PRODUCT.md): option A for Quảng Nam's 1,240 villages is 7.44 billion đồng
//! a year.

use domain::funding::{Assumptions, PolicyDraft, Scenario, YearMonth};
use domain::money::Vnd;
use store::funding::{self, Simulation};
use store::{Db, Scope, StoreError, both_databases, demo};

const OPTION_A: &str = "Phương án A: hỗ trợ tổ hằng tháng";
const OPTION_B: &str = "Phương án B: khoán chi phí hoạt động theo thành viên";

async fn run(db: &Db, unit: &str, from: &str, months: u32, names: &[&str]) -> Simulation {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let from = YearMonth::parse(from).expect("month");
    funding::simulate(db, &Scope::All, unit, from, months, &names, Assumptions::default()).await.expect("simulate")
}

fn total(sim: &Simulation, policy: usize, scenario: Scenario) -> i64 {
    sim.policies[policy].scenarios.iter().find(|s| s.scenario == scenario).expect("scenario").total.value()
}

/// Every policy's rows sum to its total, in each scenario.
fn rows_sum_to_totals(sim: &Simulation) {
    for p in &sim.policies {
        for s in &p.scenarios {
            assert_eq!(s.rows.len(), sim.rows.len());
            let sum: i64 = s.rows.iter().map(|d| d.value()).sum();
            assert_eq!(sum, s.total.value(), "{} {:?}", p.name, s.scenario);
        }
    }
}

both_databases!(the_report_s_figures_come_out_of_the_demo, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    let sim = run(&db, "49", "2025-01", 12, &[OPTION_A, OPTION_B]).await;
    assert_eq!((sim.unit.villages, sim.unit.teams), (1240, 1218));
    assert_eq!(sim.rows.len(), 17, "Quảng Nam's districts on 01/01/2025");
    assert_eq!(total(&sim, 0, Scenario::FullCoverage), 7_440_000_000);
    assert_eq!(total(&sim, 0, Scenario::CurrentTeams), 7_308_000_000);
    assert_eq!(total(&sim, 1, Scenario::CurrentTeams), sim.unit.members * 50_000 * 12);
    assert_eq!(sim.unit.members, 7911);
    rows_sum_to_totals(&sim);
    // Twenty-four months double it; the twenty-fifth adds nothing for a team that has had 24.
    let two_years = run(&db, "49", "2025-01", 24, &[OPTION_A]).await;
    assert_eq!(total(&two_years, 0, Scenario::FullCoverage), 14_880_000_000);
    let longer = run(&db, "49", "2025-01", 25, &[OPTION_A]).await;
    assert_eq!(total(&longer, 0, Scenario::FullCoverage), 14_880_000_000);
    rows_sum_to_totals(&longer);
    // The JSON carries integers in đồng.
    let json = serde_json::to_value(&sim).expect("json");
    assert_eq!(json["policies"][0]["scenarios"][1]["total"], 7_440_000_000_i64);
    assert!(json["policies"][0]["scenarios"][0]["rows"][0].is_i64());
});

both_databases!(a_proposal_for_a_merged_province_can_still_be_reproduced, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    // Today Quảng Nam is part of Đà Nẵng; a proposal made for it in 2024 is reproduced on the
    // registry as it stood then, by the districts of then.
    let sim = run(&db, "49", "2024-09", 12, &[OPTION_A]).await;
    assert_eq!(sim.as_of, "2024-09-01");
    assert_eq!(sim.rows.len(), 18, "18 districts before Nông Sơn merged");
    // Option A comes into force on 01/01/2025: of September 2024 to August 2025, eight months.
    assert_eq!(total(&sim, 0, Scenario::FullCoverage), 1240 * 500_000 * 8);
    rows_sum_to_totals(&sim);
    // A unit that did not exist on the first day is not found.
    let r = funding::simulate(
        &db,
        &Scope::All,
        "48",
        YearMonth::parse("2024-09").expect("m"),
        12,
        &[],
        Assumptions::default(),
    )
    .await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
});

both_databases!(local_policies_pay_only_their_own_units, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    // Phú Ninh's 6,000,000 a team a year reaches Phú Ninh's teams only, each held to the cap.
    let sim = run(&db, "49", "2024-01", 24, &["Phú Ninh: hỗ trợ tổ 6 triệu đồng mỗi năm"]).await;
    let phu_ninh = sim.rows.iter().position(|r| r.code == "518").expect("Phú Ninh");
    let current = &sim.policies[0].scenarios[0];
    for (i, amount) in current.rows.iter().enumerate() {
        if i == phu_ninh {
            assert_eq!(amount.value(), sim.rows[i].teams * 12_000_000, "two years at the cap");
        } else {
            assert_eq!(*amount, Vnd::ZERO, "{}", sim.rows[i].name);
        }
    }
    // Nông Sơn's one-off grant counts once, in Nông Sơn's row, in the period that holds it.
    let once = run(&db, "49", "2024-01", 12, &["Nông Sơn: tập huấn kỹ năng số"]).await;
    let nong_son = once.rows.iter().position(|r| r.code == "519").expect("Nông Sơn");
    assert_eq!(once.policies[0].scenarios[0].rows[nong_son].value(), 23_000_000);
    assert_eq!(once.policies[0].scenarios[0].total.value(), 23_000_000);
    let later = run(&db, "49", "2024-07", 12, &["Nông Sơn: tập huấn kỹ năng số"]).await;
    assert_eq!(later.policies[0].scenarios[0].total.value(), 0);
    // Without names: every policy concerning the unit that is not withdrawn.
    let all = run(&db, "518", "2025-01", 12, &[]).await;
    let names: Vec<&str> = all.policies.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&OPTION_A) && names.contains(&"Phú Ninh: hỗ trợ tổ 6 triệu đồng mỗi năm"), "{names:?}");
    assert!(!names.contains(&"Nông Sơn: tập huấn kỹ năng số"), "{names:?}");
    // A commune's breakdown is by village.
    let commune = all.rows.first().expect("a commune").code.clone();
    let by_village = run(&db, &commune, "2025-01", 12, &[OPTION_A]).await;
    assert!(by_village.rows.iter().all(|r| r.code.starts_with('v') && r.villages == 1));
    rows_sum_to_totals(&by_village);
});

fn draft(name: &str, amount: &str) -> PolicyDraft {
    PolicyDraft {
        name: name.into(),
        legal_basis: "Nghị quyết số 12/2025/NQ-HĐND ngày 10/7/2025".into(),
        kind: "team_month".into(),
        amount: amount.into(),
        effective_from: "01/01/2026".into(),
        scope: "48".into(),
        cap_per_year: "3.000.000".into(),
        source: "province".into(),
        status: "in_force".into(),
        ..PolicyDraft::default()
    }
}

both_databases!(a_policy_changes_by_new_versions_and_keeps_the_old_ones, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    let first = funding::create(&db, &draft("Đà Nẵng 2026", "300.000").parse().expect("draft")).await.expect("create");
    // The same name twice is refused.
    let again = funding::create(&db, &draft("đà nẵng 2026", "300000").parse().expect("draft")).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    // A change: a new version; the old one stays, superseded.
    let second =
        funding::revise(&db, first, &draft("Đà Nẵng 2026", "350.000").parse().expect("draft")).await.expect("revise");
    let old = funding::get(&db, first).await.expect("old");
    let new = funding::get(&db, second).await.expect("new");
    assert!(old.superseded_at.is_some() && new.superseded_at.is_none());
    assert_eq!(
        (old.amount, new.amount, new.version, new.policy_key.as_str()),
        (300_000, 350_000, 2, old.policy_key.as_str())
    );
    assert_eq!(funding::by_name(&db, "da nang 2026").await.expect("by name").id, second);
    assert_eq!(funding::versions(&db, &old.policy_key).await.expect("versions").len(), 2);
    // An old version is not revised.
    let stale = funding::revise(&db, first, &draft("Đà Nẵng 2026", "1").parse().expect("draft")).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    // The cap per year holds: 12 months at 350,000 is held to 3,000,000 a team.
    let sim = run(&db, "48", "2026-01", 12, &["Đà Nẵng 2026"]).await;
    let current = &sim.policies[0].scenarios[0];
    assert_eq!(current.total.value(), sim.unit.teams * 3_000_000);
    assert_eq!(sim.policies[0].version, 2);
    // A province-wide reader, a commune's reader: the province's policy concerns both.
    let commune = store::units::children(&db, &store::units::by_code(&db, "48").await.expect("48")).await.expect("c")
        [0]
    .path
    .clone();
    let listed = funding::list(&db, &Scope::Paths(vec![commune])).await.expect("list");
    assert!(listed.iter().any(|p| p.id == second));
    assert!(listed.iter().all(|p| p.superseded_at.is_none()));
    let elsewhere = funding::list(&db, &Scope::Paths(vec!["01/".into()])).await.expect("list");
    assert!(elsewhere.is_empty());
    // Bad drafts: every field at once.
    let bad =
        PolicyDraft { amount: "1,5".into(), effective_from: "31/02/2026".into(), ..PolicyDraft::default() }.parse();
    let fields: Vec<&str> = bad.expect_err("refused").0.iter().map(|f| f.field).collect();
    for f in ["name", "kind", "amount", "effective_from", "scope", "source"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
});
