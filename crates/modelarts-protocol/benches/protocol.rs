//! Criterion benchmarks of the protocol's hot paths: build + sign of a stop request, and parsing a
//! version detail and a 100-job list page.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::list_training_jobs::ListTrainingJobs;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::{Auth, Endpoint, auth};

const VERSION_DETAIL: &[u8] = include_bytes!("data/version_detail.json");
const JOB_LIST: &[u8] = include_bytes!("data/job_list_100.json");

fn bench(c: &mut Criterion) {
    let endpoint = Endpoint::for_region("cn-north-4").unwrap();
    let credentials =
        Auth::AkSk(Credentials::new("AKTESTEXAMPLE0000001", "SKtestExampleSecretKey0123456789abcdefgh"));
    let op = StopTrainingJob::new(
        "0123456789abcdef0123456789abcdef".parse().unwrap(),
        "10".parse().unwrap(),
        "10".parse().unwrap(),
    );
    let time = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    c.bench_function("stop_request/build_and_sign", |b| {
        b.iter(|| {
            let mut request = black_box(&op).build_request(&endpoint).unwrap();
            auth::authorize(&mut request, &credentials, time).unwrap();
            request
        })
    });
    c.bench_function("version_detail/parse", |b| {
        b.iter(|| {
            let response = http::Response::new(Bytes::from_static(black_box(VERSION_DETAIL)));
            ShowTrainingJobVersion::parse_response(response).unwrap()
        })
    });
    c.bench_function("job_list_100/parse", |b| {
        b.iter(|| {
            let response = http::Response::new(Bytes::from_static(black_box(JOB_LIST)));
            ListTrainingJobs::parse_response(response).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
