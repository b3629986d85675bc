//! The float metrics stored as decimals where that loses nothing.
//!
//! Metrics arrive as decimal text (`"duration_ms": 4.91`), so most values
//! are a few decimal digits. As a double, `4.91` has 52 bits of mantissa
//! zstd cannot fold (its binary expansion never ends); as the integer 491
//! with two decimal places, it is 9 bits. A segment stores such a column as
//! `Decimal32(9, scale)` (Parquet `INT32`) when every unscaled value has
//! at most 9 digits, else `Decimal64(18, scale)` (`INT64`), with the
//! smallest scale at which every value of the segment comes back bit for
//! bit, and keeps it `Float64` when there is none (the idea of ALP,
//! Afroozeh et al., "ALP: Adaptive Lossless floating-Point Compression",
//! SIGMOD 2024, for a segment's whole column).
//!
//! Reading back is Arrow's cast from decimal to `Float64`: the integer as a
//! double divided by `10^scale`, one correctly rounded division, which is
//! exactly what [`to_decimal`] checked for every value before choosing
//! the scale. DataFusion's Parquet scan casts a file's decimal column to
//! the table's `Float64` the same way.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal32Array, Decimal64Array, Float64Array, RecordBatch,
};
use arrow::datatypes::{DataType, Field, Float64Type, Schema};

use crate::error::Result;
use crate::schema::col;

/// The float columns a segment may store as decimals.
pub const DECIMAL_COLUMNS: &[&str] = &[col::DURATION_MS, col::MEMORY_MB, col::CPU_PERCENT];

/// Most decimal places tried.
const MAX_SCALE: i8 = 6;

/// Largest precision stored (Parquet `INT64`).
const MAX_PRECISION: u8 = 18;

/// `v` as an integer count of `1/p` (`p` = `10^scale`), when dividing
/// that integer by `p` (what Arrow's cast does) gives `v` back bit for
/// bit.
fn scaled(v: f64, p: f64) -> Option<i64> {
    let x = v * p;
    // Near 2^53 not every integer is a double; NaN and the infinities have
    // none, and -0.0 comes back as 0.0 (the check below).
    if x.is_nan() || x.abs() >= (1u64 << 51) as f64 {
        return None;
    }
    // The nearest integer (`f64::round` is a libm call on x86-64); a
    // wrong candidate only fails the check.
    let n = (x + 0.5_f64.copysign(x)) as i64;
    ((n as f64 / p).to_bits() == v.to_bits()).then_some(n)
}

/// The unscaled values of `values` at `scale` (0 for a null), when every
/// value comes back exactly.
fn unscaled(values: &Float64Array, scale: i8) -> Option<Vec<i64>> {
    let (nulls, p) = (values.nulls(), 10_f64.powi(i32::from(scale)));
    let value = |(i, &v): (usize, &f64)| match nulls.is_some_and(|n| n.is_null(i)) {
        true => Some(0),
        false => scaled(v, p),
    };
    values.values().iter().enumerate().map(value).collect()
}

/// `values` as decimals: at the smallest scale (up to [`MAX_SCALE`]) at
/// which every value comes back exactly (its unscaled value below 2^51,
/// ~2.25 × 10^15), as `Decimal32` with precision 9 (Parquet `INT32`) when
/// every unscaled value has at most 9 digits, else `Decimal64` with
/// precision 18 (`INT64`); `None` when there is no such scale or no value
/// at all. (32 and 64-bit decimals, not `Decimal128`: reading them back
/// converts an `i32` or `i64` to a double, one instruction, where an
/// `i128` takes a call.)
pub fn to_decimal(values: &Float64Array) -> Option<ArrayRef> {
    if values.null_count() == values.len() {
        return None;
    }
    let (scale, unscaled) = (0..=MAX_SCALE).find_map(|s| Some((s, unscaled(values, s)?)))?;
    let widest = unscaled.iter().map(|n| n.unsigned_abs()).max()?;
    let nulls = values.nulls().cloned();
    // (`scaled` keeps every unscaled value below 2^51, under 10^16)
    Some(if widest < 1_000_000_000 {
        let narrow: Vec<i32> = unscaled.iter().map(|&n| n as i32).collect();
        Arc::new(
            Decimal32Array::new(narrow.into(), nulls)
                .with_precision_and_scale(9, scale)
                .ok()?,
        )
    } else {
        Arc::new(
            Decimal64Array::new(unscaled.into(), nulls)
                .with_precision_and_scale(MAX_PRECISION, scale)
                .ok()?,
        )
    })
}

/// `batch` with each of [`DECIMAL_COLUMNS`] whose values allow it stored
/// as decimals ([`to_decimal`]); the others as they are.
pub fn to_stored(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let (mut fields, mut columns) = (Vec::new(), Vec::new());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        let stored = match (DECIMAL_COLUMNS.contains(&f.name().as_str()), c.data_type()) {
            (true, DataType::Float64) => to_decimal(c.as_primitive::<Float64Type>()),
            _ => None,
        };
        match stored {
            Some(decimals) => {
                let ty = decimals.data_type().clone();
                fields.push(Field::new(f.name(), ty, f.is_nullable()));
                columns.push(decimals);
            }
            None => {
                fields.push(f.as_ref().clone());
                columns.push(Arc::clone(c));
            }
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?)
}

/// A stored column as `Float64` (decimal columns cast back; others as
/// they are).
pub fn to_float(column: &ArrayRef) -> Result<ArrayRef> {
    Ok(match column.data_type() {
        DataType::Decimal32(..) | DataType::Decimal64(..) => {
            arrow::compute::cast(column, &DataType::Float64)?
        }
        _ => Arc::clone(column),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn floats(values: &[Option<f64>]) -> Float64Array {
        values.iter().copied().collect()
    }

    fn round_trip(values: &Float64Array) -> Float64Array {
        let decimals = to_decimal(values).expect("decimal");
        let back = to_float(&decimals).unwrap();
        back.as_primitive::<Float64Type>().clone()
    }

    fn bits(a: &Float64Array) -> Vec<Option<u64>> {
        a.iter().map(|v| v.map(f64::to_bits)).collect()
    }

    #[test]
    fn the_smallest_exact_scale_is_chosen() {
        let t = |v: &[Option<f64>]| to_decimal(&floats(v)).map(|d| d.data_type().clone());
        assert_eq!(
            t(&[Some(4.91), None, Some(12.0)]),
            Some(DataType::Decimal32(9, 2))
        );
        assert_eq!(t(&[Some(63.4), Some(0.0)]), Some(DataType::Decimal32(9, 1)));
        assert_eq!(t(&[Some(512.0)]), Some(DataType::Decimal32(9, 0)));
        assert_eq!(
            t(&[Some(123_456_789.5), Some(0.5)]),
            Some(DataType::Decimal64(18, 1))
        );
        assert_eq!(t(&[Some(0.000_001)]), Some(DataType::Decimal32(9, 6)));
    }

    #[test]
    fn what_a_null_slot_holds_does_not_matter() {
        let values = Float64Array::new(
            vec![1.5, f64::NAN, 2.25].into(),
            Some(vec![true, false, true].into()),
        );
        let decimals = to_decimal(&values).expect("decimal");
        assert_eq!(decimals.data_type(), &DataType::Decimal32(9, 2));
        let back = round_trip(&values);
        assert_eq!(bits(&back), bits(&values));
        assert!(back.is_null(1));
    }

    #[test]
    fn values_no_decimal_holds_stay_floats() {
        let t = |v: &[Option<f64>]| to_decimal(&floats(v)).map(|d| d.data_type().clone());
        assert_eq!(t(&[Some(0.1 + 0.2)]), None, "0.30000000000000004");
        assert_eq!(
            t(&[Some(4.91), Some(1.0 / 3.0)]),
            None,
            "one value spoils it"
        );
        assert_eq!(t(&[Some(-0.0)]), None, "the sign of zero");
        assert_eq!(t(&[Some(f64::NAN)]), None);
        assert_eq!(t(&[Some(f64::INFINITY)]), None);
        assert_eq!(t(&[Some(1e300)]), None, "too wide");
        assert_eq!(t(&[Some(3e15)]), None, "past 2^51 unscaled");
        assert_eq!(
            t(&[Some(2e15)]),
            Some(DataType::Decimal64(18, 0)),
            "under 2^51"
        );
        assert_eq!(t(&[Some(0.000_000_1)]), None, "past the largest scale");
        assert_eq!(t(&[None, None]), None, "nothing to store");
        assert_eq!(t(&[]), None);
    }

    /// Random two-decimal values (as a JSON parser produces them) and
    /// random scales and magnitudes come back bit for bit.
    #[test]
    fn random_decimals_round_trip_exactly() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for scale in 0..=MAX_SCALE {
            for magnitude in [1e3, 1e8, 1e12] {
                let values: Float64Array = (0..5_000)
                    .map(|i| {
                        (i % 13 != 0).then(|| {
                            let n: i64 = rng.random_range(-(magnitude as i64)..=magnitude as i64);
                            format!("{n}e-{scale}").parse::<f64>().unwrap()
                        })
                    })
                    .collect();
                let back = round_trip(&values);
                assert_eq!(bits(&back), bits(&values), "scale {scale}, ±{magnitude}");
            }
        }
    }

    #[test]
    fn only_the_metric_columns_change() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(col::MEMORY_MB, DataType::Float64, true),
            Field::new(col::CPU_PERCENT, DataType::Float64, true),
            Field::new("other", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(floats(&[Some(422.51), None])),
                Arc::new(floats(&[Some(1.0 / 3.0), Some(2.0)])),
                Arc::new(floats(&[Some(4.5), Some(2.0)])),
            ],
        )
        .unwrap();
        let stored = to_stored(&batch).unwrap();
        let types: Vec<_> = stored
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            [
                DataType::Decimal32(9, 2),
                DataType::Float64,
                DataType::Float64
            ]
        );
        let back = to_float(stored.column(0)).unwrap();
        assert_eq!(back.as_ref(), batch.column(0).as_ref());
    }
}
