//! The indicators as text: the plain table `kpis` prints and the CSV of `--csv`.

use amana_core::case::Status;

use super::{figure_statuses, Kpi};

/// The groups as CSV (RFC 4180: every cell quoted), one header line.
pub(super) fn csv(rows: &[Kpi]) -> String {
    let mut header: Vec<String> = ["agency", "kind", "cases"].map(String::from).to_vec();
    header.extend(Status::ALL.iter().filter(|s| s.counts_in_figures()).map(|s| s.to_string()));
    header.extend(
        [
            "overdue",
            "escalated",
            "median_days_to_acknowledge",
            "acknowledged_on_time_share",
            "ratings",
            "average_rating",
            "open",
            "median_days_to_feedback",
            "replied",
        ]
        .map(String::from),
    );
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4}"));
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(header);
    for k in rows {
        let mut cells = vec![k.agency.clone(), k.kind.clone(), k.cases.to_string()];
        cells.extend(
            Status::ALL
                .iter()
                .filter(|s| s.counts_in_figures())
                .map(|s| k.by_status.get(s.as_str()).copied().unwrap_or(0).to_string()),
        );
        cells.extend([
            k.overdue.to_string(),
            k.escalated.to_string(),
            opt(k.median_days_to_acknowledge),
            opt(k.acknowledged_on_time_share),
            k.ratings.to_string(),
            opt(k.average_rating),
            k.open.to_string(),
            opt(k.median_days_to_feedback),
            k.replied.to_string(),
        ]);
        line(cells);
    }
    out
}

/// The plain table.
pub fn table(rows: &[Kpi]) -> String {
    let mut header: Vec<String> = ["AGENCY", "KIND", "CASES"].map(String::from).to_vec();
    header.extend(figure_statuses().map(|s| s.to_string()));
    header.extend(
        [
            "open",
            "overdue",
            "escalated",
            "median_days_to_ack",
            "ack_on_time",
            "median_days_to_reply",
            "avg_rating",
        ]
        .map(String::from),
    );
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("-".to_string(), f);
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|k| {
            let mut cells = vec![k.agency.clone(), k.kind.clone(), k.cases.to_string()];
            cells.extend(
                figure_statuses().map(|s| k.by_status.get(s.as_str()).copied().unwrap_or(0).to_string()),
            );
            cells.push(k.open.to_string());
            cells.push(k.overdue.to_string());
            cells.push(k.escalated.to_string());
            cells.push(opt(k.median_days_to_acknowledge, &|d| format!("{d:.1}")));
            cells.push(opt(k.acknowledged_on_time_share, &|s| format!("{:.0}%", s * 100.0)));
            cells.push(opt(k.median_days_to_feedback, &|d| format!("{d:.1}")));
            cells.push(opt(k.average_rating, &|r| format!("{r:.2} ({})", k.ratings)));
            cells
        })
        .collect();
    let mut widths = vec![0usize; header.len()];
    for row in std::iter::once(&header).chain(&lines) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&lines) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
