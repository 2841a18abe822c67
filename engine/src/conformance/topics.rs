//! Conformance of [`TopicBackend`]s: identity and idempotency, compare-and-set, paging by range,
//! subscription life cycle, the FIFO deduplication window. Run by
//! [`crate::topic_conformance_suite!`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{namespace, START};
use crate::backend::topics::{NewSubscription, TopicBackend};
use crate::topic::{Changed, Confirmation, FifoPublish, Made, TopicId, TopicSettings};
use crate::types::Namespace;

/// Makes a fresh, empty topic backend for one test.
pub type TopicFactory = dyn Fn() -> Arc<dyn TopicBackend>;

fn topic(name: &str) -> TopicId {
    TopicId::new(namespace(), name)
}

fn sqs_subscription(topic: &TopicId, endpoint: &str) -> NewSubscription {
    NewSubscription {
        topic: topic.clone(),
        protocol: "sqs".into(),
        endpoint: endpoint.into(),
        owner: namespace().account.to_string(),
        attributes: BTreeMap::new(),
        confirmation: Confirmation::Confirmed { authenticated: true },
        token: None,
    }
}

pub async fn topics_are_made_once_listed_in_pages_and_deleted_with_their_subscriptions(factory: &TopicFactory) {
    let b = factory();
    let id = topic("orders");
    let Made::New(made) = b.create_topic(id.clone(), TopicSettings::default(), START).await.unwrap() else {
        panic!("a new topic")
    };
    assert_eq!(&*made.arn, "arn:aws:sns:us-east-1:000000000000:orders");
    assert!(matches!(b.create_topic(id.clone(), TopicSettings::default(), START).await.unwrap(), Made::Existing(_)));
    for name in ["a", "b", "c"] {
        b.create_topic(topic(name), TopicSettings::default(), START).await.unwrap();
    }
    let other = Namespace::new("111111111111", "us-east-1");
    b.create_topic(TopicId::new(other, "z"), TopicSettings::default(), START).await.unwrap();
    let first: Vec<_> = b.list_topics(&namespace(), None, 2).await.unwrap().iter().map(|t| t.id.name.clone()).collect();
    assert_eq!(first, [Arc::from("a"), Arc::from("b")]);
    let rest: Vec<_> =
        b.list_topics(&namespace(), Some("b"), 10).await.unwrap().iter().map(|t| t.id.name.clone()).collect();
    assert_eq!(rest, [Arc::from("c"), Arc::from("orders")], "another namespace's topic is not listed");

    let Some(Made::New(sub)) =
        b.subscribe(sqs_subscription(&id, "arn:aws:sqs:us-east-1:000000000000:q")).await.unwrap()
    else {
        panic!("a new subscription")
    };
    assert!(sub.arn.starts_with("arn:aws:sns:us-east-1:000000000000:orders:"));
    b.delete_topic(&id).await.unwrap();
    assert!(b.topic(&id).await.unwrap().is_none());
    assert!(b.subscription(&sub.arn).await.unwrap().is_none());
    b.delete_topic(&id).await.unwrap();
    assert!(b.subscribe(sqs_subscription(&id, "x")).await.unwrap().is_none(), "no topic, no subscription");
}

pub async fn topic_and_subscription_changes_are_compare_and_set(factory: &TopicFactory) {
    let b = factory();
    let id = topic("t");
    b.create_topic(id.clone(), TopicSettings::default(), START).await.unwrap();
    let current = b.topic(&id).await.unwrap().unwrap();
    let mut settings = current.settings.clone();
    settings.attributes.insert("DisplayName".into(), "x".into());
    let Changed::Done(changed) = b.update_topic(&id, current.version, settings.clone()).await.unwrap() else {
        panic!("done")
    };
    assert_eq!(changed.settings.attributes["DisplayName"], "x");
    assert!(matches!(b.update_topic(&id, current.version, settings).await.unwrap(), Changed::Conflict));
    assert!(matches!(b.update_topic(&topic("none"), 1, TopicSettings::default()).await.unwrap(), Changed::Missing));

    let pending = NewSubscription {
        protocol: "http".into(),
        confirmation: Confirmation::Pending,
        token: Some("abc".into()),
        ..sqs_subscription(&id, "http://h/")
    };
    let Some(Made::New(sub)) = b.subscribe(pending.clone()).await.unwrap() else { panic!("new") };
    assert!(matches!(b.subscribe(pending).await.unwrap(), Some(Made::Existing(_))));
    assert_eq!(b.by_token("abc").await.unwrap().map(|s| s.arn.clone()), Some(sub.arn.clone()));
    let confirmed = Confirmation::Confirmed { authenticated: false };
    let Changed::Done(done) =
        b.update_subscription(&sub.arn, sub.version, BTreeMap::new(), confirmed.clone()).await.unwrap()
    else {
        panic!("done")
    };
    assert!(done.is_confirmed());
    assert_eq!(b.by_token("abc").await.unwrap().map(|s| s.is_confirmed()), Some(true), "the token stays");
    assert!(matches!(
        b.update_subscription(&sub.arn, sub.version, BTreeMap::new(), confirmed).await.unwrap(),
        Changed::Conflict
    ));
    assert!(b.subscriptions(&id).await.unwrap()[0].is_confirmed(), "Publish sees the change");
}

pub async fn subscriptions_are_listed_by_namespace_and_topic_in_pages(factory: &TopicFactory) {
    let b = factory();
    let (a, c) = (topic("a"), topic("c"));
    for id in [&a, &c] {
        b.create_topic(id.clone(), TopicSettings::default(), START).await.unwrap();
    }
    let mut made = Vec::new();
    for n in 0..5 {
        for id in [&a, &c] {
            let Some(Made::New(s)) = b.subscribe(sqs_subscription(id, &format!("q{n}"))).await.unwrap() else {
                panic!("new")
            };
            made.push(s);
        }
    }
    let in_order: Vec<_> = b.subscriptions(&a).await.unwrap().iter().map(|s| s.endpoint.clone()).collect();
    assert_eq!(in_order.iter().map(|e| &**e).collect::<Vec<_>>(), ["q0", "q1", "q2", "q3", "q4"]);
    let mut all = Vec::new();
    let mut after: Option<Arc<str>> = None;
    loop {
        let page = b.list_subscriptions(&namespace(), None, after.as_deref(), 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|s| s.arn.clone());
        all.extend(page);
    }
    assert_eq!(all.len(), 10);
    let of_a = b.list_subscriptions(&namespace(), Some(&a), None, 100).await.unwrap();
    assert_eq!(of_a.len(), 5);
    assert!(of_a.iter().all(|s| s.topic == a));
    let gone = b.unsubscribe(&made[0].arn).await.unwrap();
    assert!(b.subscription(&made[0].arn).await.unwrap().is_none());
    assert!(gone.is_some());
    assert!(b.unsubscribe(&made[0].arn).await.unwrap().is_none());
    assert_eq!(b.subscriptions(&a).await.unwrap().len(), 4);
}

pub async fn fifo_topics_deduplicate_within_the_window_and_number_in_order(factory: &TopicFactory) {
    let b = factory();
    let id = topic("t.fifo");
    b.create_topic(id.clone(), TopicSettings::default(), START).await.unwrap();
    let FifoPublish::New { sequence: first } = b.publish_fifo(&id, "d1", "m1", START, 300_000).await.unwrap() else {
        panic!("new")
    };
    assert_eq!(first.to_string().len(), 20);
    let FifoPublish::New { sequence: second } = b.publish_fifo(&id, "d2", "m2", START, 300_000).await.unwrap() else {
        panic!("new")
    };
    assert!(second > first);
    assert_eq!(
        b.publish_fifo(&id, "d1", "m3", START + 299_999, 300_000).await.unwrap(),
        FifoPublish::Duplicate { message_id: "m1".into(), sequence: first }
    );
    assert!(matches!(
        b.publish_fifo(&id, "d1", "m4", START + 300_000, 300_000).await.unwrap(),
        FifoPublish::New { sequence } if sequence > second
    ));
}
