//! Placement of records in time: a day-shaped traffic curve.
//!
//! The window is cut into buckets (one minute each, fewer and longer for
//! windows past ~45 days); a bucket's weight is the traffic rate at its
//! midpoint's UTC time of day. Record `i` of `total` goes where the
//! cumulative weight reaches `(i + u) / total`, `u` uniform in `[0, 1)`:
//! that fraction strictly increases with `i`, so timestamps never go back,
//! and every record of the first `total` lands inside the window. Records
//! past `total` continue into the following windows with the same shape.

const MINUTE_US: f64 = 60_000_000.0;
const DAY_US: f64 = 86_400_000_000.0;
const MAX_BUCKETS: f64 = 65_536.0;

/// Relative traffic at an hour of the UTC day: a floor of background jobs,
/// a broad peak at 15:00 (Americas morning, Europe afternoon) and a smaller
/// one at 09:00 (Europe morning).
fn rate(hour: f64) -> f64 {
    let bump = |center: f64, width: f64| {
        let mut d = (hour - center).abs();
        if d > 12.0 {
            d = 24.0 - d;
        }
        (-(d * d) / (2.0 * width * width)).exp()
    };
    0.25 + bump(15.0, 3.5) + 0.45 * bump(9.0, 1.8)
}

#[derive(Debug, Clone)]
pub(super) struct Timeline {
    start_us: i64,
    duration_us: i64,
    total: f64,
    bucket_us: f64,
    /// Normalized cumulative weights, `cum[0] == 0`, `cum[len - 1] == 1`.
    cum: Vec<f64>,
    cursor: usize,
    window: u64,
    index: u64,
    last_us: i64,
}

impl Timeline {
    /// `duration_us` and `total` must be at least 1.
    pub(super) fn new(start_us: i64, duration_us: i64, total: usize) -> Self {
        debug_assert!(duration_us >= 1 && total >= 1);
        let duration = duration_us as f64;
        let buckets = (duration / MINUTE_US).ceil().clamp(1.0, MAX_BUCKETS) as usize;
        let bucket_us = duration / buckets as f64;
        let mut cum = Vec::with_capacity(buckets + 1);
        cum.push(0.0);
        let mut acc = 0.0;
        for b in 0..buckets {
            let mid = start_us as f64 + (b as f64 + 0.5) * bucket_us;
            let hour = mid.rem_euclid(DAY_US) / 3_600_000_000.0;
            acc += rate(hour);
            cum.push(acc);
        }
        for c in &mut cum {
            *c /= acc;
        }
        Timeline {
            start_us,
            duration_us,
            total: total as f64,
            bucket_us,
            cum,
            cursor: 0,
            window: 0,
            index: 0,
            last_us: i64::MIN,
        }
    }

    /// The timestamp of the next record; `jitter` is uniform in `[0, 1)`.
    pub(super) fn next(&mut self, jitter: f64) -> i64 {
        let position = (self.index as f64 + jitter) / self.total;
        self.index += 1;
        let window = position.floor();
        let fraction = position - window;
        if window as u64 != self.window {
            self.window = window as u64;
            self.cursor = 0;
        }
        let buckets = self.cum.len() - 1;
        while self.cursor + 1 < buckets && self.cum[self.cursor + 1] <= fraction {
            self.cursor += 1;
        }
        let (lo, hi) = (self.cum[self.cursor], self.cum[self.cursor + 1]);
        let within = if hi > lo {
            ((fraction - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let offset = ((self.cursor as f64 + within) * self.bucket_us) as i64;
        let window_start = self
            .start_us
            .saturating_add((self.window as i64).saturating_mul(self.duration_us));
        let t = window_start
            .saturating_add(offset.clamp(0, self.duration_us - 1))
            .max(self.last_us);
        self.last_us = t;
        t
    }
}
