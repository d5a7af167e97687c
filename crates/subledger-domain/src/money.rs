//! Money (BIL-1): integer minor units with an ISO 4217 currency. No floating point.

use serde::{Deserialize, Serialize};

/// An amount in minor units (cents) of one currency.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            amount_minor,
            currency: currency.into(),
        }
    }

    pub fn zero(currency: impl Into<String>) -> Self {
        Self::new(0, currency)
    }
}

/// `a × b × c / d` rounded half up (BIL-5), in 128-bit integers so it cannot
/// overflow for any i64 price and u32 seat counts and day counts.
pub fn mul_div_round_half_up(unit: i64, seats: u32, days: u32, period_days: u32) -> i64 {
    debug_assert!(period_days > 0);
    let num = i128::from(unit) * i128::from(seats) * i128::from(days);
    let den = i128::from(period_days.max(1));
    // Half up for non-negative values; prices are never negative (catalog validation).
    let q = (2 * num + den).div_euclid(2 * den);
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bil_5_rounds_half_up() {
        // 1000 × 1 × 1 / 8 = 125 exactly; 1000 × 1 × 1 / 16 = 62.5 → 63.
        assert_eq!(mul_div_round_half_up(1000, 1, 1, 8), 125);
        assert_eq!(mul_div_round_half_up(1000, 1, 1, 16), 63);
        // 100 × 1 × 1 / 3 = 33.33 → 33; 200/3 = 66.67 → 67.
        assert_eq!(mul_div_round_half_up(100, 1, 1, 3), 33);
        assert_eq!(mul_div_round_half_up(200, 1, 1, 3), 67);
    }

    #[test]
    fn bil_1_large_amounts_do_not_overflow() {
        let v = mul_div_round_half_up(i64::MAX / 2, u32::MAX, 365, 365);
        assert_eq!(v, i64::MAX);
        assert_eq!(
            mul_div_round_half_up(9_999_999_999, 1_000_000, 30, 30),
            9_999_999_999_000_000
        );
    }
}
