//! SigV4 verification, namespaces and queue policies, against an in-process server: the Rust SDK
//! (signed by aws-sigv4, AWS's own signer) works with configured credentials; each kind of bad
//! signature gets its AWS error in both protocols; presigned Query URLs work and expire; regions
//! and accounts hold separate queues; another account acts on a queue only as its policy allows.

mod common;

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::Client;
use common::{post, send_raw, start_server_with, HttpReply, TestServer};
use sqs_local::auth::sigv4::{self, Placement, RequestParts, Scope};
use sqs_local::config::Config;

const OWNER: &str = "111111111111";
const OTHER: &str = "222222222222";

async fn server() -> TestServer {
    let mut config = Config::defaults();
    config.credentials = vec![format!("OWNERKEY:owner-secret:{OWNER}"), format!("OTHERKEY:other-secret:{OTHER}")];
    config.admin_token = Some("admin-token".into());
    config.account_id = OWNER.into();
    start_server_with(config).await
}

fn sdk(server: &TestServer, key: &str, secret: &str, region: &str) -> Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.url())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .build();
    Client::from_conf(config)
}

async fn queue_arn(client: &Client, url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName::QueueArn;
    let reply = client.get_queue_attributes().queue_url(url).attribute_names(QueueArn).send().await.unwrap();
    reply.attributes().unwrap()[&QueueArn].clone()
}

fn amz_date(offset_seconds: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    chrono::DateTime::from_timestamp(now + offset_seconds, 0).unwrap().format("%Y%m%dT%H%M%SZ").to_string()
}

/// How to sign a raw request.
struct Signer<'a> {
    key: &'a str,
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    date: String,
}

impl Signer<'_> {
    fn owner() -> Signer<'static> {
        Signer { key: "OWNERKEY", secret: "owner-secret", region: "us-east-1", service: "sqs", date: amz_date(0) }
    }

    fn scope(&self) -> Scope {
        Scope::parse(&format!("{}/{}/{}/{}/aws4_request", self.key, &self.date[..8], self.region, self.service))
            .expect("a scope")
    }

    /// The Authorization header for a POST to `/` of `body` with these headers (names lower-case).
    fn authorization(&self, host: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
        let mut all = headers.to_vec();
        all.push(("host", host));
        all.push(("x-amz-date", &self.date));
        let key = sigv4::SigningKey {
            access_key: self.key,
            secret: self.secret,
            region: self.region,
            service: self.service,
            date: &self.date,
        };
        sigv4::authorization(&key, "POST", "/", &all, body)
    }
}

/// A signed request in one protocol; `tamper` changes the body after signing.
async fn signed(server: &TestServer, json: bool, signer: &Signer<'_>, tamper: bool) -> HttpReply {
    let (content_type, target, body): (&str, Option<&str>, &[u8]) = if json {
        ("application/x-amz-json-1.0", Some("AmazonSQS.ListQueues"), b"{}")
    } else {
        ("application/x-www-form-urlencoded", None, b"Action=ListQueues&Version=2012-11-05")
    };
    let mut headers = vec![("content-type", content_type)];
    if let Some(target) = target {
        headers.push(("x-amz-target", target));
    }
    let authorization = signer.authorization(&server.addr, &headers, body);
    let sent_body: Vec<u8> = if tamper { [body, b" "].concat() } else { body.to_vec() };
    let mut all = headers.clone();
    all.push(("x-amz-date", &signer.date));
    all.push(("authorization", &authorization));
    post(&server.addr, "/", &all, &sent_body).await
}

/// The error code and status in either protocol.
fn error(reply: &HttpReply, json: bool) -> (u16, String) {
    let code = if json {
        reply.query_error_code()
    } else {
        let text = reply.text();
        text.split("<Code>").nth(1).and_then(|t| t.split("</Code>").next()).unwrap_or("").to_string()
    };
    (reply.status, code)
}

#[tokio::test]
async fn the_rust_sdk_works_signed_and_a_wrong_secret_or_key_does_not() {
    let server = server().await;
    let owner = sdk(&server, "OWNERKEY", "owner-secret", "us-east-1");
    let url = owner.create_queue().queue_name("signed").send().await.expect("signed create").queue_url.unwrap();
    assert!(url.ends_with(&format!("/{OWNER}/signed")), "{url}");
    owner.send_message().queue_url(&url).message_body("hi").send().await.expect("signed send");
    let wrong_secret = sdk(&server, "OWNERKEY", "nope", "us-east-1").list_queues().send().await.unwrap_err();
    assert_eq!(wrong_secret.as_service_error().and_then(|e| e.meta().code()), Some("SignatureDoesNotMatch"));
    let unknown = sdk(&server, "NOBODY", "x", "us-east-1").list_queues().send().await.unwrap_err();
    assert_eq!(unknown.as_service_error().and_then(|e| e.meta().code()), Some("InvalidClientTokenId"));
}

#[tokio::test]
async fn bad_signatures_get_aws_errors_in_both_protocols() {
    let server = server().await;
    for json in [true, false] {
        assert_eq!(signed(&server, json, &Signer::owner(), false).await.status, 200, "a good signature (json={json})");
        let cases: Vec<(&str, Signer, bool, (u16, &str))> = vec![
            ("wrong secret", Signer { secret: "nope", ..Signer::owner() }, false, (403, "SignatureDoesNotMatch")),
            ("unknown key", Signer { key: "NOBODY", ..Signer::owner() }, false, (403, "InvalidClientTokenId")),
            ("region scope", Signer { region: "moon", ..Signer::owner() }, false, (403, "SignatureDoesNotMatch")),
            ("service scope", Signer { service: "sns", ..Signer::owner() }, false, (403, "SignatureDoesNotMatch")),
            (
                "stale date",
                Signer { date: amz_date(-20 * 60), ..Signer::owner() },
                false,
                (403, "SignatureDoesNotMatch"),
            ),
            (
                "future date",
                Signer { date: amz_date(20 * 60), ..Signer::owner() },
                false,
                (403, "SignatureDoesNotMatch"),
            ),
            ("tampered body", Signer::owner(), true, (403, "SignatureDoesNotMatch")),
        ];
        for (name, signer, tamper, (status, code)) in cases {
            let reply = signed(&server, json, &signer, tamper).await;
            assert_eq!(error(&reply, json), (status, code.to_string()), "{name} (json={json}): {}", reply.text());
        }
        let (content_type, body): (&str, &[u8]) = if json {
            ("application/x-amz-json-1.0", b"{}")
        } else {
            ("application/x-www-form-urlencoded", b"Action=ListQueues")
        };
        let mut headers = vec![("content-type", content_type)];
        if json {
            headers.push(("x-amz-target", "AmazonSQS.ListQueues"));
        }
        let unsigned = post(&server.addr, "/", &headers, body).await;
        assert_eq!(error(&unsigned, json), (403, "MissingAuthenticationToken".into()), "unsigned (json={json})");
        headers.push(("authorization", "AWS4-HMAC-SHA256 Credential=OWNERKEY/20260101/us-east-1/sqs/aws4_request"));
        let incomplete = post(&server.addr, "/", &headers, body).await;
        assert_eq!(error(&incomplete, json), (400, "IncompleteSignature".into()), "incomplete (json={json})");
    }
    let stale = signed(&server, false, &Signer { date: amz_date(-20 * 60), ..Signer::owner() }, false).await;
    assert!(stale.text().contains("Signature expired: "), "{}", stale.text());
}

/// A presigned GET `?Action=ListQueues...&X-Amz-Signature=...`, signed `age` seconds ago.
async fn presigned(server: &TestServer, age: i64, expires: u32) -> HttpReply {
    let signer = Signer { date: amz_date(-age), ..Signer::owner() };
    let scope = signer.scope();
    let credential = format!("{}/{}", signer.key, scope.without_key());
    let mut query = vec![
        ("Action".to_string(), "ListQueues".to_string()),
        ("Version".to_string(), "2012-11-05".to_string()),
        ("X-Amz-Algorithm".to_string(), sigv4::ALGORITHM.to_string()),
        ("X-Amz-Credential".to_string(), credential),
        ("X-Amz-Date".to_string(), signer.date.clone()),
        ("X-Amz-Expires".to_string(), expires.to_string()),
        ("X-Amz-SignedHeaders".to_string(), "host".to_string()),
    ];
    let host = server.addr.clone();
    let header = |name: &str| if name == "host" { vec![host.clone()] } else { vec![] };
    let parts = RequestParts {
        method: "GET",
        path: "/",
        query: &query,
        header: &header,
        payload_hash: &sigv4::sha256_hex(b""),
    };
    let canonical = sigv4::canonical_request(&parts, Placement::Query, &["host".to_string()]);
    let signed = sigv4::sign(signer.secret, &scope, &sigv4::string_to_sign(&signer.date, &scope, &canonical));
    query.push(("X-Amz-Signature".to_string(), signed));
    let encoded: Vec<String> =
        query.iter().map(|(k, v)| format!("{}={}", sigv4::uri_encode(k, true), sigv4::uri_encode(v, true))).collect();
    let request = format!("GET /?{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", encoded.join("&"), server.addr);
    send_raw(&server.addr, request.as_bytes()).await
}

#[tokio::test]
async fn presigned_query_urls_work_and_expire() {
    let server = server().await;
    let fresh = presigned(&server, 0, 300).await;
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    assert!(fresh.text().contains("<ListQueuesResponse"), "{}", fresh.text());
    let expired = presigned(&server, 600, 300).await;
    assert_eq!(error(&expired, false), (400, "RequestExpired".into()), "{}", expired.text());
}

#[tokio::test]
async fn regions_and_accounts_hold_separate_queues_of_one_name() {
    let server = server().await;
    let east = sdk(&server, "OWNERKEY", "owner-secret", "us-east-1");
    let west = sdk(&server, "OWNERKEY", "owner-secret", "eu-west-1");
    let other = sdk(&server, "OTHERKEY", "other-secret", "us-east-1");
    for (client, body) in [(&east, "east"), (&west, "west"), (&other, "other")] {
        let url = client.create_queue().queue_name("jobs").send().await.unwrap().queue_url.unwrap();
        client.send_message().queue_url(&url).message_body(body).send().await.unwrap();
    }
    for (client, body, account, region) in [
        (&east, "east", OWNER, "us-east-1"),
        (&west, "west", OWNER, "eu-west-1"),
        (&other, "other", OTHER, "us-east-1"),
    ] {
        let url = client.get_queue_url().queue_name("jobs").send().await.unwrap().queue_url.unwrap();
        let got = client.receive_message().queue_url(&url).send().await.unwrap();
        assert_eq!(got.messages()[0].body(), Some(body), "{region} {account}");
        let arn = queue_arn(client, &url).await;
        assert_eq!(arn, format!("arn:aws:sqs:{region}:{account}:jobs"));
        assert_eq!(client.list_queues().send().await.unwrap().queue_urls().len(), 1, "one queue per namespace");
    }
}

#[tokio::test]
async fn another_account_acts_only_as_the_queue_policy_allows() {
    let server = server().await;
    let owner = sdk(&server, "OWNERKEY", "owner-secret", "us-east-1");
    let other = sdk(&server, "OTHERKEY", "other-secret", "us-east-1");
    let url = owner.create_queue().queue_name("shared").send().await.unwrap().queue_url.unwrap();
    let denied = other.send_message().queue_url(&url).message_body("x").send().await.unwrap_err();
    let meta = denied.as_service_error().map(|e| e.meta().clone()).unwrap();
    assert_eq!(meta.code(), Some("AccessDenied"));
    assert_eq!(meta.message(), Some(format!("Access to the resource {url} is denied.").as_str()));
    let found = other.get_queue_url().queue_name("shared").queue_owner_aws_account_id(OWNER).send().await;
    assert_eq!(found.unwrap_err().as_service_error().and_then(|e| e.meta().code()), Some("AccessDenied"));

    owner
        .add_permission()
        .queue_url(&url)
        .label("other-sends")
        .aws_account_ids(OTHER)
        .actions("SendMessage")
        .actions("GetQueueUrl")
        .send()
        .await
        .unwrap();
    let found = other.get_queue_url().queue_name("shared").queue_owner_aws_account_id(OWNER).send().await.unwrap();
    assert_eq!(found.queue_url(), Some(url.as_str()));
    other.send_message().queue_url(&url).message_body("from other").send().await.expect("allowed by the policy");
    let receive = other.receive_message().queue_url(&url).send().await.unwrap_err();
    assert_eq!(receive.as_service_error().and_then(|e| e.meta().code()), Some("AccessDenied"), "only what it allows");
    let got = owner.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("from other"), "the owner is always allowed");
}

#[tokio::test]
async fn the_admin_api_needs_the_token_when_credentials_are_configured() {
    let server = server().await;
    let get = |auth: &str| {
        let auth = if auth.is_empty() { String::new() } else { format!("Authorization: Bearer {auth}\r\n") };
        format!("GET /_admin/clock HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n")
    };
    assert_eq!(send_raw(&server.addr, get("").as_bytes()).await.status, 401);
    assert_eq!(send_raw(&server.addr, get("wrong").as_bytes()).await.status, 401);
    assert_eq!(send_raw(&server.addr, get("admin-token").as_bytes()).await.status, 200);
    // The console's SQS calls bear the token and act as the default account's owner.
    let console = post(
        &server.addr,
        "/",
        &[
            ("x-amz-target", "AmazonSQS.ListQueues"),
            ("content-type", "application/x-amz-json-1.0"),
            ("authorization", "Bearer admin-token"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(console.status, 200, "{}", console.text());

    let mut config = Config::defaults();
    config.credentials = vec!["K:S".into()];
    let closed = start_server_with(config).await;
    assert_eq!(send_raw(&closed.addr, get("anything").as_bytes()).await.status, 403, "no token configured: closed");
}

#[tokio::test]
async fn without_credentials_nothing_is_verified_and_the_scope_names_the_namespace() {
    let server = start_server_with(Config::defaults()).await;
    let numeric = sdk(&server, "123456789012", "whatever", "ap-south-1");
    let url = numeric.create_queue().queue_name("q").send().await.unwrap().queue_url.unwrap();
    assert!(url.ends_with("/123456789012/q"), "a 12-digit access key is the account: {url}");
    let arn = queue_arn(&numeric, &url).await;
    assert_eq!(arn, "arn:aws:sqs:ap-south-1:123456789012:q");
    let plain = sdk(&server, "test", "test", "us-east-1");
    assert!(plain.list_queues().send().await.unwrap().queue_urls().is_empty(), "another namespace");
}
