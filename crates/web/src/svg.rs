//! Charts drawn on the server as SVG: no script, readable on a phone, printable.

use std::fmt::Write;

use crate::Lang;

/// Escapes text for SVG/HTML.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of the coverage chart.
pub struct CoverageBar {
    pub label: String,
    pub villages: i64,
    pub with_team: i64,
}

/// Horizontal bars: all villages of each unit (light), those with a team (dark), and the share.
#[must_use]
pub fn coverage_bars(bars: &[CoverageBar], lang: Lang) -> String {
    const ROW: i64 = 26;
    const LABEL_W: i64 = 150;
    const BAR_W: i64 = 170;
    let width = LABEL_W + BAR_W + 60;
    let height = ROW * i64::try_from(bars.len()).unwrap_or(0) + 30;
    let max = bars.iter().map(|b| b.villages).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let title = lang.t("Độ phủ: thôn có tổ / tổng số thôn", "Coverage: villages with a team / all villages");
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i64::try_from(i).unwrap_or(0) * ROW + 4;
        let all_w = b.villages * BAR_W / max;
        let team_w = b.with_team * BAR_W / max;
        let pct = if b.villages == 0 { 0 } else { b.with_team * 100 / b.villages };
        let label: String = b.label.chars().take(24).collect();
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="11">{label}</text><rect x="{x}" y="{y}" width="{all_w}" height="18" fill="#cfe0f3"/><rect x="{x}" y="{y}" width="{team_w}" height="18" fill="#1d5fa8"><title>{wt}/{v}</title></rect><text x="{px}" y="{ty}" font-size="11">{pct}%</text>"##,
            lx = LABEL_W - 6,
            ty = y + 13,
            label = escape(&label),
            x = LABEL_W,
            wt = b.with_team,
            v = b.villages,
            px = LABEL_W + all_w.max(team_w) + 4,
        );
    }
    let ly = height - 10;
    let _ = write!(
        s,
        r##"<rect x="{LABEL_W}" y="{ry}" width="10" height="10" fill="#1d5fa8"/><text x="{tx}" y="{ly}" font-size="10">{a}</text><rect x="{r2}" y="{ry}" width="10" height="10" fill="#cfe0f3"/><text x="{t2}" y="{ly}" font-size="10">{b}</text></svg>"##,
        ry = ly - 9,
        tx = LABEL_W + 14,
        r2 = LABEL_W + 100,
        t2 = LABEL_W + 114,
        a = escape(lang.t("Thôn có tổ", "With a team")),
        b = escape(lang.t("Tổng số thôn", "All villages")),
    );
    s
}

/// Vertical bars, one per month, for one indicator: the month under each bar (`mm/yy`, thinned
/// out on long periods), its value above it on short ones and in its tooltip always.
#[must_use]
pub fn month_bars(title: &str, months: &[(String, i64)]) -> String {
    const WIDTH: i64 = 360;
    const HEIGHT: i64 = 170;
    const LEFT: i64 = 8;
    const TOP: i64 = 18;
    const BOTTOM: i64 = 24;
    let n = i64::try_from(months.len()).unwrap_or(0).max(1);
    let max = months.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - 2 * LEFT) / n;
    let bar = (slot * 3 / 4).max(1);
    // A label under every k-th bar, so that at most 12 show.
    let every = usize::try_from((n + 11) / 12).unwrap_or(1).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    let base = HEIGHT - BOTTOM;
    let _ = write!(s, r##"<line x1="{LEFT}" y1="{base}" x2="{x2}" y2="{base}" stroke="#8a94a3"/>"##, x2 = WIDTH - LEFT);
    for (i, (month, value)) in months.iter().enumerate() {
        let x = LEFT + i64::try_from(i).unwrap_or(0) * slot + (slot - bar) / 2;
        let h = value * plot_h / max;
        let y = base - h;
        let label = month.get(5..7).zip(month.get(2..4)).map(|(m, y)| format!("{m}/{y}")).unwrap_or_default();
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="#1d5fa8"><title>{label}: {value}</title></rect>"##
        );
        let mid = x + bar / 2;
        if n <= 12 {
            let _ =
                write!(s, r#"<text x="{mid}" y="{ty}" text-anchor="middle" font-size="10">{value}</text>"#, ty = y - 3);
        }
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{mid}" y="{ly}" text-anchor="middle" font-size="10">{label}</text>"#,
                ly = base + 14
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_their_labels_and_scale() {
        let svg = coverage_bars(
            &[
                CoverageBar { label: "Thành phố <Tam Kỳ>".into(), villages: 100, with_team: 85 },
                CoverageBar { label: "Huyện Nông Sơn".into(), villages: 50, with_team: 50 },
            ],
            Lang::Vi,
        );
        assert!(svg.contains("Thành phố &lt;Tam Kỳ&gt;"));
        assert!(svg.contains(">85%<"));
        assert!(svg.contains(">100%<"));
        assert!(svg.contains(r##"width="170" height="18" fill="#cfe0f3""##));
        assert!(svg.contains(r##"width="85" height="18" fill="#cfe0f3""##), "half the villages draw half the bar");
    }

    #[test]
    fn month_bars_scale_to_the_largest_month_and_label_each() {
        let months: Vec<(String, i64)> =
            [("2025-01", 10), ("2025-02", 0), ("2025-03", 5)].iter().map(|(m, v)| ((*m).to_owned(), *v)).collect();
        let svg = month_bars("Hồ sơ <DVC>", &months);
        assert!(svg.contains("Hồ sơ &lt;DVC&gt;"));
        assert!(svg.contains(">01/25: 10<") && svg.contains(">03/25<"));
        // 170 high, 18 above and 24 below: 128 for the largest month, half that for half.
        assert!(svg.contains(r#"height="128""#) && svg.contains(r#"height="64""#) && svg.contains(r#"height="0""#));
        let long: Vec<(String, i64)> =
            (1..=24).map(|i| (format!("20{:02}-{:02}", 24 + (i - 1) / 12, (i - 1) % 12 + 1), i)).collect();
        let svg = month_bars("x", &long);
        assert_eq!(svg.matches("<rect").count(), 24);
        assert_eq!(svg.matches(r#"font-size="10">"#).count(), 12, "every other month labelled, no values");
    }
}
