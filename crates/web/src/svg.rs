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
}
