//! A bar chart drawn on the server as SVG: SCIM writes by hour, failed ones stacked on top
//! in another colour. Presentation attributes only (the content security policy allows no
//! inline style); a `title` and a `desc` for screen readers, and the same figures in a
//! table next to it.

use maud::{Markup, html};

/// One bar: its label (an hour), its total and its failed part.
#[derive(Debug)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) total: u64,
    pub(crate) failed: u64,
}

const WIDTH: u64 = 720;
const HEIGHT: u64 = 200;
const BASELINE: u64 = 180;

/// The chart of `bars` (oldest first).
pub(crate) fn writes_by_hour(bars: &[Bar]) -> Markup {
    let peak = bars.iter().map(|bar| bar.total).max().unwrap_or(0).max(1);
    // Each bar's slot, in whole pixels where the window allows (a month of hours shares the
    // width, a pixel each at least).
    let count = u64::try_from(bars.len().max(1)).unwrap_or(1);
    let bar_width = (WIDTH / count).saturating_sub(2).max(1);
    let height = |value: u64| value * (BASELINE - 10) / peak;
    let total: u64 = bars.iter().map(|bar| bar.total).sum();
    let failed: u64 = bars.iter().map(|bar| bar.failed).sum();
    html! {
        svg class="chart" role="img" aria-labelledby="chart-title chart-desc"
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width=(WIDTH) height=(HEIGHT) {
            title id="chart-title" { "SCIM writes by hour" }
            desc id="chart-desc" {
                (total) " writes over " (bars.len()) " hours, " (failed) " failed; busiest hour: " (peak) "."
            }
            line x1="0" y1=(BASELINE) x2=(WIDTH) y2=(BASELINE) stroke="#8c959f" stroke-width="1" {}
            @for (index, bar) in bars.iter().enumerate() {
                @let x = u64::try_from(index).unwrap_or(0) * WIDTH / count;
                @let ok = bar.total.saturating_sub(bar.failed);
                rect x=(x) y=(BASELINE - height(ok)) width=(bar_width) height=(height(ok)) fill="#0b5cad" {
                    title { (bar.label) ": " (ok) " applied" }
                }
                @if bar.failed > 0 {
                    rect x=(x) y=(BASELINE - height(ok) - height(bar.failed)) width=(bar_width)
                        height=(height(bar.failed)) fill="#b42318" {
                        title { (bar.label) ": " (bar.failed) " failed" }
                    }
                }
            }
            text x="0" y="196" font-size="12" fill="#57606a" { "oldest" }
            text x=(WIDTH) y="196" font-size="12" fill="#57606a" text-anchor="end" { "latest" }
        }
    }
}
