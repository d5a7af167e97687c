//! Progress on standard error for the tools that walk the whole log.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Progress on standard error: a bar on a terminal, otherwise a plain line every
/// second or every tenth of the way.
pub(super) struct Progress {
    label: &'static str,
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    last_tenth: u64,
}

impl Progress {
    pub(super) fn new(label: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                &format!("{label} {{bar:40.cyan/blue}} {{human_pos}}/{{human_len}} events, {{elapsed}} elapsed, {{eta}} left"),
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let now = Instant::now();
        Progress {
            label,
            bar,
            started: now,
            last_line: now,
            last_tenth: 0,
        }
    }

    pub(super) fn update(&mut self, read: u64, head: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(head);
            bar.set_position(read.min(head));
            return;
        }
        let tenth = (read * 10).checked_div(head).unwrap_or(10);
        if tenth > self.last_tenth || self.last_line.elapsed() >= Duration::from_secs(1) {
            self.last_tenth = tenth;
            self.last_line = Instant::now();
            let pct = (read * 100).checked_div(head).unwrap_or(100);
            eprintln!(
                "{}: {read} of {head} events ({pct}%), {:.1} s",
                self.label,
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    pub(super) fn finish(&mut self, read: u64, elapsed: Duration) {
        match self.bar.take() {
            Some(bar) => bar.finish_and_clear(),
            None => eprintln!(
                "{}: done, {read} events in {:.1} s",
                self.label,
                elapsed.as_secs_f64()
            ),
        }
    }
}
