//! `docs/radius_vs_confidence.svg`: median certified radius against confidence, one panel per
//! network (CROWN), worst case and probabilistic certificates under uniform and Bernoulli noise.

use plotters::prelude::*;
use std::path::Path;

use crate::AnyResult;
use crate::report::{groups, median};
use crate::run::{NoiseKind, Record};

/// One line of a panel.
struct Line {
    label: &'static str,
    color: RGBColor,
    width: u32,
    points: Vec<(f64, f64)>,
}

fn lines(records: &[Record], net: &str, method: &str, confidences: &[f64]) -> Vec<Line> {
    let at = |noise: NoiseKind, c: f64, f: &dyn Fn(&Record) -> f64| {
        median(
            records
                .iter()
                .filter(|r| r.net == net && r.method == method && r.noise == noise)
                .filter(|r| r.confidence == c)
                .map(f)
                .collect(),
        )
    };
    let x = |c: f64| -(1.0 - c).log10();
    let series = |noise: NoiseKind, f: &dyn Fn(&Record) -> f64| -> Vec<(f64, f64)> {
        confidences
            .iter()
            .map(|&c| (x(c), at(noise, c, f)))
            .filter(|(_, y)| y.is_finite() && *y > 0.0)
            .collect()
    };
    let any_noise = records
        .iter()
        .find(|r| r.net == net && r.method == method)
        .map(|r| r.noise);
    let mut out = Vec::new();
    if let Some(n) = any_noise {
        out.push(Line {
            label: "worst case",
            color: BLACK,
            width: 2,
            points: series(n, &|r| r.worst_case.radius),
        });
    }
    let prob = |r: &Record| r.prob.map_or(f64::NAN, |p| p.radius);
    out.push(Line {
        label: "plain PROVEN, uniform",
        color: RGBColor(120, 170, 230),
        width: 2,
        points: series(NoiseKind::Uniform, &|r| r.plain.radius),
    });
    out.push(Line {
        label: "prob. intermediate, uniform",
        color: RGBColor(20, 60, 170),
        width: 3,
        points: series(NoiseKind::Uniform, &prob),
    });
    out.push(Line {
        label: "plain PROVEN, Bernoulli",
        color: RGBColor(240, 170, 90),
        width: 2,
        points: series(NoiseKind::Bernoulli, &|r| r.plain.radius),
    });
    out.push(Line {
        label: "prob. intermediate, Bernoulli",
        color: RGBColor(190, 40, 30),
        width: 3,
        points: series(NoiseKind::Bernoulli, &prob),
    });
    out.retain(|l| !l.points.is_empty());
    out
}

/// `1 − 10^−nines` as a percentage: 1 → "90 %", 4 → "99.99 %".
fn confidence_label(nines: i32) -> String {
    let digits = "9".repeat(nines.max(1) as usize);
    if nines <= 2 {
        format!("{digits:0<2} %")
    } else {
        format!("{}.{} %", &digits[..2], &digits[2..])
    }
}

/// Writes the plot (CROWN panels; Fast-Lin where a network has no CROWN run).
pub fn radius_vs_confidence(records: &[Record], confidences: &[f64], path: &Path) -> AnyResult<()> {
    let mut panels: Vec<(&str, &str)> = Vec::new();
    for (net, method) in groups(records) {
        if panels.iter().any(|(n, _)| *n == net) {
            if method == "CROWN" {
                panels.retain(|(n, _)| *n != net);
                panels.push((net, method));
            }
        } else {
            panels.push((net, method));
        }
    }
    let cols = 2usize;
    let rows = panels.len().div_ceil(cols).max(1);
    let root = SVGBackend::new(path, (1000, 380 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((rows, cols));
    let xs: Vec<f64> = confidences.iter().map(|c| -(1.0 - c).log10()).collect();
    let (x_lo, x_hi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min) - 0.2,
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) + 0.2,
    );
    for ((net, method), area) in panels.iter().zip(areas.iter()) {
        let ls = lines(records, net, method, confidences);
        let ys: Vec<f64> = ls
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .collect();
        if ys.is_empty() {
            continue;
        }
        // Linear from 0, so heights compare as ratios; head room for the legend.
        let y_hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 1.75;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{net} ({method})"), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_lo..x_hi, 0.0..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("confidence 1 − δ (log scale in δ)")
            .y_desc("median certified radius")
            .x_labels(xs.len() + 1)
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                    confidence_label(v.round() as i32)
                } else {
                    String::new()
                }
            })
            .y_labels(8)
            .y_label_formatter(&|v| format!("{v:.3}"))
            .light_line_style(WHITE)
            .draw()?;
        for l in ls {
            let style = ShapeStyle {
                color: l.color.to_rgba(),
                filled: false,
                stroke_width: l.width,
            };
            chart
                .draw_series(LineSeries::new(l.points.clone(), style))?
                .label(l.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
