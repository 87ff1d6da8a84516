//! Tests of the nurse queue.
