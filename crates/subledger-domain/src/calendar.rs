//! Dates, terms and billing periods: the day counting of PUR-10, REN-1, BIL-2 and
//! BIL-5 lives here and nowhere else.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A subscription term (CAT-1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Term {
    P1M,
    P1Y,
    P3Y,
}

impl Term {
    pub fn months(self) -> u32 {
        match self {
            Term::P1M => 1,
            Term::P1Y => 12,
            Term::P3Y => 36,
        }
    }
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Term::P1M => "P1M",
            Term::P1Y => "P1Y",
            Term::P3Y => "P3Y",
        })
    }
}

/// A billing plan (CAT-1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    Monthly,
    Annual,
    Triennial,
    OneTime,
}

impl Billing {
    /// Months in one billing period; `None` for a one-time charge.
    pub fn period_months(self) -> Option<u32> {
        match self {
            Billing::Monthly => Some(1),
            Billing::Annual => Some(12),
            Billing::Triennial => Some(36),
            Billing::OneTime => None,
        }
    }
}

impl std::fmt::Display for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Billing::Monthly => "monthly",
            Billing::Annual => "annual",
            Billing::Triennial => "triennial",
            Billing::OneTime => "one_time",
        })
    }
}

/// GEN-1: the first and last calendar dates the ledger writes. RFC 3339 has
/// four-digit years; chrono would print a later date as `+10000-05-31`, so no
/// date or instant past these is ever stored (see `event::dates`).
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(0, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// The last instant the ledger writes: 9999-12-31T23:59:59.999999999Z.
pub fn last_instant() -> DateTime<Utc> {
    LAST_DATE
        .and_time(NaiveTime::MIN)
        .and_utc()
        .checked_add_signed(TimeDelta::days(1) - TimeDelta::nanoseconds(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether a date is within [`FIRST_DATE`]..=[`LAST_DATE`] (GEN-1).
pub fn date_in_range(date: NaiveDate) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

/// Whether an instant is within the representable range (GEN-1).
pub fn instant_in_range(instant: DateTime<Utc>) -> bool {
    date_in_range(instant.date_naive())
}

/// `date + months`, clamped to the last day of the resulting month.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// PUR-10: the term end date is (start + term, clamped to the month's last day)
/// minus one day. The end date is inclusive (GEN-1).
pub fn term_end_date(start: NaiveDate, term: Term) -> NaiveDate {
    add_months_clamped(start, term.months())
        .pred_opt()
        .unwrap_or(NaiveDate::MIN)
}

/// Midnight UTC at the start of `date`.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// REN-1: a term ending on `end_date` renews (or ends) at 00:00:00Z the next day.
pub fn day_after(end_date: NaiveDate) -> DateTime<Utc> {
    start_of_day(end_date.succ_opt().unwrap_or(NaiveDate::MAX))
}

/// Whole months from `from`'s month to `to`'s month (may be negative).
fn month_index(from: NaiveDate, to: NaiveDate) -> i64 {
    (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month())
        - i64::from(from.month())
}

/// Inclusive count of calendar days from `first` to `last` (BIL-5).
pub fn days_inclusive(first: NaiveDate, last: NaiveDate) -> u32 {
    let d = (last - first).num_days() + 1;
    u32::try_from(d.max(0)).unwrap_or(u32::MAX)
}

/// One billing period: its first and last dates (inclusive) and the length the
/// period would have had if the term did not cut it short (for a coterminous
/// last period, BIL-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub nominal_days: u32,
}

impl Period {
    /// BIL-5 `period_days`: calendar days from the first to the last date, inclusive.
    pub fn days(&self) -> u32 {
        days_inclusive(self.start, self.end)
    }

    /// BIL-5 `days_used` on `today`: from the first date to today, inclusive,
    /// bounded to the period.
    pub fn days_used(&self, today: NaiveDate) -> u32 {
        if today < self.start {
            0
        } else {
            days_inclusive(self.start, today.min(self.end))
        }
    }
}

/// The billing periods of a term are aligned to its `anchor` date (BIL-2): period k
/// starts at `anchor + k × step` (clamped), and the last ends on `term_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingSchedule {
    pub anchor: NaiveDate,
    pub term_end: NaiveDate,
    pub step_months: u32,
}

impl BillingSchedule {
    pub fn new(anchor: NaiveDate, term_end: NaiveDate, billing: Billing) -> Option<Self> {
        billing.period_months().map(|step_months| Self {
            anchor,
            term_end,
            step_months,
        })
    }

    fn start_of(&self, k: u32) -> NaiveDate {
        add_months_clamped(self.anchor, k.saturating_mul(self.step_months))
    }

    fn period(&self, k: u32) -> Period {
        let start = self.start_of(k);
        let next = self.start_of(k + 1);
        let nominal_days = days_inclusive(start, next) - 1;
        let natural_end = next.pred_opt().unwrap_or(next);
        Period {
            start,
            end: natural_end.min(self.term_end),
            nominal_days,
        }
    }

    fn index_at(&self, day: NaiveDate) -> u32 {
        let months = month_index(self.anchor, day).max(0);
        let mut k = u32::try_from(months / i64::from(self.step_months)).unwrap_or(u32::MAX);
        while k > 0 && self.start_of(k) > day {
            k -= 1;
        }
        k
    }

    /// The period that contains `day`, if `day` lies within the term.
    pub fn period_containing(&self, day: NaiveDate) -> Option<Period> {
        if day > self.term_end {
            return None;
        }
        let day = day.max(self.anchor);
        Some(self.period(self.index_at(day)))
    }

    /// The first period that starts strictly after `day` and within the term.
    pub fn next_period_after(&self, day: NaiveDate) -> Option<Period> {
        let k = if day < self.anchor {
            0
        } else {
            self.index_at(day) + 1
        };
        let p = self.period(k);
        (p.start > day && p.start <= self.term_end).then_some(p)
    }
}

/// Whole days as a chrono delta.
pub fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn pur_10_term_end_dates_follow_the_ruling() {
        assert_eq!(term_end_date(d("2026-01-15"), Term::P1M), d("2026-02-14"));
        assert_eq!(term_end_date(d("2026-01-31"), Term::P1M), d("2026-02-27"));
        assert_eq!(term_end_date(d("2026-03-01"), Term::P1Y), d("2027-02-28"));
        assert_eq!(term_end_date(d("2024-02-29"), Term::P1Y), d("2025-02-27"));
        assert_eq!(term_end_date(d("2026-01-01"), Term::P3Y), d("2028-12-31"));
    }

    #[test]
    fn ren_1_renewal_is_at_midnight_after_the_end_date() {
        assert_eq!(
            day_after(d("2023-03-01")).to_rfc3339(),
            "2023-03-02T00:00:00+00:00"
        );
    }

    #[test]
    fn bil_2_monthly_periods_keep_the_anchor_day() {
        let s = BillingSchedule::new(d("2026-01-31"), d("2027-01-30"), Billing::Monthly).unwrap();
        let p = s.period_containing(d("2026-02-10")).unwrap();
        assert_eq!((p.start, p.end), (d("2026-01-31"), d("2026-02-27")));
        let p = s.period_containing(d("2026-02-28")).unwrap();
        assert_eq!((p.start, p.end), (d("2026-02-28"), d("2026-03-30")));
        let p = s.period_containing(d("2026-03-31")).unwrap();
        assert_eq!(p.start, d("2026-03-31"));
        let last = s.period_containing(d("2027-01-30")).unwrap();
        assert_eq!((last.start, last.end), (d("2026-12-31"), d("2027-01-30")));
        assert_eq!(s.period_containing(d("2027-01-31")), None);
        assert_eq!(
            s.next_period_after(d("2026-02-01")).map(|p| p.start),
            Some(d("2026-02-28"))
        );
        assert_eq!(s.next_period_after(d("2027-01-01")), None);
    }

    #[test]
    fn bil_2_annual_billing_of_a_three_year_term_has_three_periods() {
        let s = BillingSchedule::new(d("2026-05-10"), d("2029-05-09"), Billing::Annual).unwrap();
        let starts: Vec<_> = std::iter::successors(s.period_containing(d("2026-05-10")), |p| {
            s.next_period_after(p.start)
        })
        .map(|p| p.start)
        .collect();
        assert_eq!(
            starts,
            vec![d("2026-05-10"), d("2027-05-10"), d("2028-05-10")]
        );
    }

    #[test]
    fn bil_5_days_are_counted_inclusively() {
        let p = Period {
            start: d("2026-01-01"),
            end: d("2026-01-31"),
            nominal_days: 31,
        };
        assert_eq!(p.days(), 31);
        assert_eq!(p.days_used(d("2026-01-01")), 1);
        assert_eq!(p.days_used(d("2026-01-31")), 31);
    }
}
