//! Property tests of the v2 parts: the id parser accepts exactly the UUID shape, the answer parsers
//! never panic on any bytes, and the paginator ends within its ceiling whatever the pages.
#![allow(clippy::unwrap_used, missing_docs)]

use bytes::Bytes;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::v2::list::ListTrainingJobsV2;
use modelarts_protocol::operations::v2::show::ShowTrainingJob;
use modelarts_protocol::operations::v2::terminate::TerminateTrainingJob;
use modelarts_protocol::pagination::{MAX_WALK_ITEMS, page_bound};
use modelarts_protocol::v2::{
    Metadata, OffsetMode, PageStep, Paginator, Phase, TrainingJob, TrainingJobId, TrainingJobIdErrorReason,
    TrainingJobList,
};
use proptest::prelude::*;

fn response(status: u16, body: Vec<u8>) -> http::Response<Bytes> {
    http::Response::builder().status(status).body(Bytes::from(body)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn uuids_are_accepted_in_any_case(id in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}") {
        let parsed = TrainingJobId::new(&id).unwrap();
        prop_assert_eq!(parsed.as_str(), id.to_ascii_lowercase());
        prop_assert_eq!(parsed.as_str().parse::<TrainingJobId>().unwrap(), parsed);
    }

    #[test]
    fn anything_else_is_refused_with_a_reason(text in "\\PC{0,60}") {
        match TrainingJobId::new(&text) {
            Ok(id) => prop_assert!(TrainingJobId::is_uuid_shaped(id.as_str())),
            Err(e) => {
                // Only ASCII blanks are trimmed (a no-break space is part of the text).
                let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
                let expected = if t.is_empty() {
                    TrainingJobIdErrorReason::Empty
                } else if t.bytes().all(|b| b.is_ascii_digit()) {
                    TrainingJobIdErrorReason::LooksLikeV1
                } else {
                    TrainingJobIdErrorReason::NotUuid
                };
                prop_assert_eq!(e.reason, expected);
            }
        }
    }

    #[test]
    fn v2_parsers_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = TerminateTrainingJob::parse_response(response(status, body.clone()));
        let _ = ShowTrainingJob::parse_response(response(status, body.clone()));
        let _ = ListTrainingJobsV2::parse_response(response(status, body));
    }

    #[test]
    fn json_shaped_answers_never_panic(phase in "\\PC{0,80}", duration in any::<i64>(), tasks in proptest::collection::vec("\\PC{0,8}", 0..4)) {
        let body = serde_json::json!({"metadata": {"id": phase, "create_time": duration},
            "status": {"phase": phase, "duration": duration, "tasks": tasks}}).to_string();
        let job = ShowTrainingJob::parse_response(response(200, body.into_bytes())).unwrap();
        let parsed = job.phase().cloned();
        // Either a documented phase or the text kept (trimmed, at most 64 characters).
        if let Some(Phase::Unknown(text)) = parsed {
            prop_assert!(text.chars().count() <= 64);
        }
    }

    #[test]
    fn the_walk_always_ends_within_the_ceiling(
        pages in proptest::collection::vec((proptest::collection::vec(0u32..40, 0..6), proptest::option::of(-5i64..60)), 1..30),
        limit in 1u32..6,
        item_offsets in any::<bool>(),
    ) {
        let mode = if item_offsets { OffsetMode::ItemOffset } else { OffsetMode::PageIndex };
        let mut p = Paginator::by_offset(limit, mode);
        let max_pages = page_bound(MAX_WALK_ITEMS, 1);
        let mut yielded = std::collections::HashSet::new();
        let mut done = false;
        for (ids, total) in pages.iter().cycle().take(max_pages as usize + 5) {
            let page = TrainingJobList {
                total: *total,
                items: ids.iter().map(|n| TrainingJob {
                    // IDs in several forms (after a blank, in capitals): each is known by its normalized form.
                    metadata: Some(Metadata {
                        id: Some(match n % 3 {
                            0 => format!("00000000-0000-4000-8000-{n:012}"),
                            1 => format!(" 00000000-0000-4000-8000-{n:012}"),
                            _ => format!("0000000A-0000-4000-8000-{n:012}"),
                        }),
                        ..Metadata::default()
                    }),
                    ..TrainingJob::default()
                }).collect(),
                ..TrainingJobList::default()
            };
            match p.accept(page) {
                Ok((jobs, step)) => {
                    for j in jobs {
                        // Never the same job twice.
                        prop_assert!(yielded.insert(j.id().unwrap()));
                    }
                    if !matches!(step, PageStep::Next(_)) {
                        done = true;
                        break;
                    }
                }
                Err(_) => {
                    done = true;
                    break;
                }
            }
        }
        prop_assert!(done);
        prop_assert!(p.pages() <= max_pages);
    }
}
