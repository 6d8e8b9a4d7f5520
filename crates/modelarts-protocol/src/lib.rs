//! Sans-IO core of the ModelArts v1 training-job API.
//!
//! This crate builds requests and parses responses as pure functions, signs requests with AK/SK
//! (`SDK-HMAC-SHA256`) or an IAM token, and makes the retry and wait decisions. It is deterministic: it
//! does no networking and reads no clock, environment, file or random source. Time and jitter are
//! arguments. Any transport can embed it.

pub mod signing;
