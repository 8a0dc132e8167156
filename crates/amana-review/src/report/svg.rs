//! The report's charts as inline SVG: no script, no outside resource, readable when printed.
//! Each chart draws only what the tables beside it may show (small counts hidden), and has a
//! title for screen readers; the tables carry the same figures as text.

use super::escape;

/// One bar: its label, its shown value (None: hidden or unknown) and the text beside it.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub text: String,
}

const WIDTH: f64 = 640.0;

fn open(id: &str, title: &str, height: f64) -> String {
    format!(
        "<svg id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" direction=\"ltr\"><title id=\"{id}-t\">{}</title>",
        escape(title)
    )
}

/// Horizontal bars, one line each, scaled to the largest value.
pub fn bars(id: &str, title: &str, rows: &[Bar]) -> String {
    let line = 26.0;
    let height = line * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().filter_map(|r| r.value).fold(0.0_f64, f64::max);
    let (label_w, text_w) = (200.0, 80.0);
    let span = WIDTH - label_w - text_w;
    let mut out = open(id, title, height);
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + line * i as f64;
        let w = match r.value {
            Some(v) if max > 0.0 => (v / max * span).max(1.0),
            _ => 0.0,
        };
        out.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\" font-size=\"13\" fill=\"#222\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.0}\" width=\"{w:.1}\" height=\"18\" fill=\"#2f5d8a\"/>\
             <text x=\"{:.1}\" y=\"{:.0}\" font-size=\"13\" fill=\"#222\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            escape(&short(&r.label, 28)),
            y,
            label_w + w + 6.0,
            y + 14.0,
            escape(&r.text)
        ));
    }
    out + "</svg>"
}

/// Vertical bars of shares (0–1), one per column, labelled below.
pub fn columns(id: &str, title: &str, cols: &[Bar]) -> String {
    let (top, plot, bottom) = (10.0, 160.0, 48.0);
    let step = (WIDTH - 40.0) / cols.len().max(1) as f64;
    let mut out = open(id, title, top + plot + bottom);
    out.push_str(&format!(
        "<line x1=\"36\" y1=\"{top}\" x2=\"36\" y2=\"{:.0}\" stroke=\"#555\"/>\
         <text x=\"32\" y=\"{:.0}\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\">100%</text>\
         <text x=\"32\" y=\"{:.0}\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\">0%</text>",
        top + plot,
        top + 8.0,
        top + plot
    ));
    for (i, c) in cols.iter().enumerate() {
        let x = 40.0 + step * i as f64;
        if let Some(v) = c.value {
            let h = (v.clamp(0.0, 1.0) * plot).max(1.0);
            out.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#2f7d4a\"><title>{}</title></rect>",
                x + step * 0.15,
                top + plot - h,
                step * 0.7,
                escape(&format!("{}: {}", c.label, c.text))
            ));
        }
        // The week number only (W03), turned so that long periods stay legible.
        let short = c.label.rsplit('-').next().unwrap_or(&c.label);
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"10\" fill=\"#222\" transform=\"rotate(60 {:.1} {:.0})\">{}</text>",
            x + step * 0.3,
            top + plot + 12.0,
            x + step * 0.3,
            top + plot + 12.0,
            escape(short)
        ));
    }
    out + "</svg>"
}

/// One heat map cell: its mean (None: hidden) and its text.
pub struct Cell {
    pub mean: Option<f64>,
    pub text: String,
}

/// A grid of rows × criteria, each cell shaded from red (1) to green (5).
pub fn heat_map(id: &str, title: &str, criteria: &[String], rows: &[(String, Vec<Cell>)]) -> String {
    let (label_w, head_h, cell_h) = (190.0, 90.0, 26.0);
    let cell_w = ((WIDTH - label_w) / criteria.len().max(1) as f64).min(90.0);
    let mut out = open(id, title, head_h + cell_h * rows.len().max(1) as f64);
    for (j, c) in criteria.iter().enumerate() {
        let x = label_w + cell_w * j as f64 + cell_w / 2.0;
        out.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{:.0}\" font-size=\"11\" fill=\"#222\" transform=\"rotate(-50 {x:.1} {:.0})\">{}</text>",
            head_h - 6.0,
            head_h - 6.0,
            escape(c)
        ));
    }
    for (i, (label, cells)) in rows.iter().enumerate() {
        let y = head_h + cell_h * i as f64;
        out.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\">{}</text>",
            label_w - 6.0,
            y + 17.0,
            escape(&short(label, 30))
        ));
        for (j, cell) in cells.iter().enumerate() {
            let x = label_w + cell_w * j as f64;
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.0}\" width=\"{:.1}\" height=\"{:.0}\" fill=\"{}\" stroke=\"#fff\"/>\
                 <text x=\"{:.1}\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#111\">{}</text>",
                cell_w,
                cell_h,
                shade(cell.mean),
                x + cell_w / 2.0,
                y + 17.0,
                escape(&cell.text)
            ));
        }
    }
    out + "</svg>"
}

/// At most `n` characters, the rest cut to `…` (the tables beside give the full name).
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    s.chars().take(n - 1).chain(['…']).collect()
}

/// A light colour from red (1 of 5) through yellow to green (5 of 5), grey when hidden; dark
/// text stays readable on every one of them.
fn shade(mean: Option<f64>) -> String {
    match mean {
        None => "#e4e4e4".to_string(),
        Some(m) => format!("hsl({:.0}, 70%, 78%)", ((m - 1.0) / 4.0).clamp(0.0, 1.0) * 120.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_scale() {
        let rows = [
            Bar { label: "<b>".into(), value: Some(10.0), text: "10".into() },
            Bar { label: "x".into(), value: None, text: "<5".into() },
        ];
        let svg = bars("b", "t", &rows);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("width=\"360.0\""), "the largest bar spans the plot: {svg}");
        assert!(svg.contains("width=\"0.0\""), "a hidden count draws no bar: {svg}");
        assert_eq!(shade(Some(5.0)), "hsl(120, 70%, 78%)");
        assert_eq!(shade(Some(1.0)), "hsl(0, 70%, 78%)");
    }
}
