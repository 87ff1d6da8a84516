//! Tests of the daily counts.
