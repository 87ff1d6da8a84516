//! Tests of referrals.
