//! Integer parameters.
//!
//! Query sends every value as a string and JSON sends numbers; both decode into [`Num`], which keeps
//! the raw text so that a range error can quote the value the way SQS does ("Value 11 for
//! parameter MaxNumberOfMessages is invalid. Reason: ...").

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::{SqsError, SqsResult};

/// An integer parameter as sent; `value` is `None` when it is not an integer that fits in i64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Num {
    pub raw: String,
    pub value: Option<i64>,
}

impl Num {
    /// The value if it lies in `lo..=hi`, else InvalidParameterValue quoting `reason`.
    pub fn in_range(&self, parameter: &str, lo: i64, hi: i64, reason: &str) -> SqsResult<i64> {
        match self.value {
            Some(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(SqsError::invalid_value(&self.raw, parameter, reason)),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl Visitor<'_> for NumVisitor {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num { raw: v.to_string(), value: Some(v) })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num { raw: v.to_string(), value: i64::try_from(v).ok() })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                let value = (v.fract() == 0.0 && v.abs() < 9.0e18).then_some(v as i64);
                Ok(Num { raw: v.to_string(), value })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Ok(Num { raw: v.to_string(), value: v.trim().parse().ok() })
            }
        }
        deserializer.deserialize_any(NumVisitor)
    }
}
