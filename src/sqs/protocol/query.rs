//! AWS Query requests: form-urlencoded parameters (body and query string) folded into the same
//! JSON-shaped document the JSON protocol carries, so both protocols share one typed decoder.
//!
//! Query flattens lists and maps into numbered parameters (`AttributeName.1`,
//! `Attribute.1.Name`/`Attribute.1.Value`, `MessageAttribute.1.Value.StringValue`,
//! `SendMessageBatchRequestEntry.2.MessageBody`). [`member_shapes`] is the one table of which
//! members of which action are folded how; every other parameter is a scalar of the same name.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::sqs::api::Action;

/// How a non-scalar member is flattened.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `X.N` -> array of strings.
    List,
    /// `X.N.<key>` / `X.N.<value>` -> object.
    Map { key: &'static str, value: &'static str },
    /// `X.N.Name` / `X.N.Value.{DataType,StringValue,BinaryValue}` -> object of attribute values.
    MessageAttributes,
    /// `X.N.<member>` -> array of objects whose members fold by the given table.
    Entries(&'static [Member]),
}

/// One folded member: its Query name, its JSON name and its shape.
#[derive(Debug, Clone, Copy)]
struct Member {
    query: &'static str,
    json: &'static str,
    shape: Shape,
}

const fn member(query: &'static str, json: &'static str, shape: Shape) -> Member {
    Member { query, json, shape }
}

const NAME_VALUE: Shape = Shape::Map { key: "Name", value: "Value" };
const KEY_VALUE: Shape = Shape::Map { key: "Key", value: "Value" };
const SEND_ENTRY: &[Member] = &[
    member("MessageAttribute", "MessageAttributes", Shape::MessageAttributes),
    member("MessageSystemAttribute", "MessageSystemAttributes", Shape::MessageAttributes),
];

const CREATE_QUEUE: &[Member] = &[member("Attribute", "Attributes", NAME_VALUE), member("Tag", "tags", KEY_VALUE)];
const ATTRIBUTE_NAMES: &[Member] = &[member("AttributeName", "AttributeNames", Shape::List)];
const SET_ATTRIBUTES: &[Member] = &[member("Attribute", "Attributes", NAME_VALUE)];
const SEND_BATCH: &[Member] = &[member("SendMessageBatchRequestEntry", "Entries", Shape::Entries(SEND_ENTRY))];
const RECEIVE: &[Member] = &[
    member("AttributeName", "AttributeNames", Shape::List),
    member("MessageSystemAttributeName", "MessageSystemAttributeNames", Shape::List),
    member("MessageAttributeName", "MessageAttributeNames", Shape::List),
];
const DELETE_BATCH: &[Member] = &[member("DeleteMessageBatchRequestEntry", "Entries", Shape::Entries(&[]))];
const VISIBILITY_BATCH: &[Member] =
    &[member("ChangeMessageVisibilityBatchRequestEntry", "Entries", Shape::Entries(&[]))];
const ADD_PERMISSION: &[Member] =
    &[member("AWSAccountId", "AWSAccountIds", Shape::List), member("ActionName", "Actions", Shape::List)];
const TAG_QUEUE: &[Member] = &[member("Tag", "Tags", KEY_VALUE)];
const UNTAG_QUEUE: &[Member] = &[member("TagKey", "TagKeys", Shape::List)];

/// The folded members of each action (from the Query-protocol service model).
fn member_shapes(action: Action) -> &'static [Member] {
    match action {
        Action::CreateQueue => CREATE_QUEUE,
        Action::GetQueueAttributes => ATTRIBUTE_NAMES,
        Action::SetQueueAttributes => SET_ATTRIBUTES,
        Action::SendMessage => SEND_ENTRY,
        Action::SendMessageBatch => SEND_BATCH,
        Action::ReceiveMessage => RECEIVE,
        Action::DeleteMessageBatch => DELETE_BATCH,
        Action::ChangeMessageVisibilityBatch => VISIBILITY_BATCH,
        Action::AddPermission => ADD_PERMISSION,
        Action::TagQueue => TAG_QUEUE,
        Action::UntagQueue => UNTAG_QUEUE,
        _ => &[],
    }
}

/// Parameters split at dots into a tree: `Attribute.1.Name=x` becomes Attribute -> 1 -> Name -> x.
#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

fn insert(tree: &mut BTreeMap<String, Node>, key: &str, value: String) {
    match key.split_once('.') {
        None => {
            tree.insert(key.to_string(), Node::Leaf(value));
        }
        Some((head, rest)) => {
            let node = tree.entry(head.to_string()).or_insert_with(|| Node::Branch(BTreeMap::new()));
            if let Node::Leaf(_) = node {
                *node = Node::Branch(BTreeMap::new());
            }
            if let Node::Branch(children) = node {
                insert(children, rest, value);
            }
        }
    }
}

/// Children with numeric keys, in numeric order (indices need not arrive in order).
fn indexed(node: &Node) -> Vec<&Node> {
    let Node::Branch(children) = node else { return Vec::new() };
    let mut items: Vec<(u64, &Node)> = children.iter().filter_map(|(k, v)| k.parse().ok().map(|i| (i, v))).collect();
    items.sort_by_key(|(i, _)| *i);
    items.into_iter().map(|(_, v)| v).collect()
}

fn leaf<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match node {
        Node::Branch(children) => match children.get(key) {
            Some(Node::Leaf(v)) => Some(v),
            _ => None,
        },
        Node::Leaf(_) => None,
    }
}

fn fold(tree: &BTreeMap<String, Node>, members: &[Member]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, node) in tree {
        if let Some(m) = members.iter().find(|m| m.query == key) {
            out.insert(m.json.to_string(), fold_member(node, m.shape));
        } else if let Some(m) = members.iter().find(|m| m.json == key) {
            // botocore's Query serializer sends an empty list as the bare member name with an empty
            // value (`Entries=`, `AttributeNames=`); AWS reads it as an empty list. Any other value
            // under that name is not a Query parameter, and AWS ignores unknown parameters.
            if matches!(node, Node::Leaf(v) if v.is_empty()) && !out.contains_key(m.json) {
                out.insert(m.json.to_string(), empty_member(m.shape));
            }
        } else if let Node::Leaf(v) = node {
            out.insert(key.clone(), Value::String(v.clone()));
        }
    }
    out
}

/// The empty value of a folded member.
fn empty_member(shape: Shape) -> Value {
    match shape {
        Shape::List | Shape::Entries(_) => Value::Array(Vec::new()),
        Shape::Map { .. } | Shape::MessageAttributes => Value::Object(Map::new()),
    }
}

fn fold_member(node: &Node, shape: Shape) -> Value {
    match shape {
        Shape::List => Value::Array(
            indexed(node)
                .into_iter()
                .filter_map(|n| match n {
                    Node::Leaf(v) => Some(Value::String(v.clone())),
                    Node::Branch(_) => None,
                })
                .collect(),
        ),
        Shape::Map { key, value } => Value::Object(
            indexed(node)
                .into_iter()
                .filter_map(|n| {
                    Some((leaf(n, key)?.to_string(), Value::String(leaf(n, value).unwrap_or("").to_string())))
                })
                .collect(),
        ),
        Shape::MessageAttributes => Value::Object(
            indexed(node)
                .into_iter()
                .filter_map(|n| {
                    let name = leaf(n, "Name")?.to_string();
                    let value = match n {
                        Node::Branch(children) => match children.get("Value") {
                            Some(Node::Branch(v)) => Value::Object(fold(v, &[])),
                            _ => Value::Object(Map::new()),
                        },
                        Node::Leaf(_) => return None,
                    };
                    Some((name, value))
                })
                .collect(),
        ),
        Shape::Entries(members) => Value::Array(
            indexed(node)
                .into_iter()
                .filter_map(|n| match n {
                    Node::Branch(children) => Some(Value::Object(fold(children, members))),
                    Node::Leaf(_) => None,
                })
                .collect(),
        ),
    }
}

/// Decodes `application/x-www-form-urlencoded` text strictly: malformed escapes or bytes that are
/// not UTF-8 are an error, not replacement characters.
pub fn parse_form(input: &[u8]) -> SqsResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for part in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut kv = part.splitn(2, |b| *b == b'=');
        let key = percent_decode(kv.next().unwrap_or_default())?;
        let value = percent_decode(kv.next().unwrap_or_default())?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// AWS's text for a query string it cannot parse
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html>).
fn malformed() -> SqsError {
    SqsError::new(ErrorCode::MalformedInput, "The query string contains a syntax error.")
}

fn percent_decode(input: &[u8]) -> SqsResult<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3).ok_or_else(malformed)?;
                let text = std::str::from_utf8(hex).map_err(|_| malformed())?;
                out.push(u8::from_str_radix(text, 16).map_err(|_| malformed())?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| malformed())
}

/// Folds Query parameters of `action` into its JSON-shaped document.
pub fn to_document(action: Action, params: &[(String, String)]) -> Value {
    let mut tree = BTreeMap::new();
    for (key, value) in params {
        if key != "Action" && key != "Version" {
            insert(&mut tree, key, value.clone());
        }
    }
    Value::Object(fold(&tree, member_shapes(action)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn folds_attribute_maps_tags_and_lists() {
        let doc = to_document(
            Action::CreateQueue,
            &params(&[
                ("QueueName", "q"),
                ("Attribute.2.Name", "DelaySeconds"),
                ("Attribute.2.Value", "5"),
                ("Attribute.10.Name", "VisibilityTimeout"),
                ("Attribute.10.Value", "7"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", ""),
            ]),
        );
        assert_eq!(
            doc,
            json!({"QueueName": "q", "Attributes": {"DelaySeconds": "5", "VisibilityTimeout": "7"}, "tags": {"team": ""}})
        );
    }

    #[test]
    fn folds_batch_entries_with_message_attributes() {
        let doc = to_document(
            Action::SendMessageBatch,
            &params(&[
                ("QueueUrl", "u"),
                ("SendMessageBatchRequestEntry.2.Id", "b"),
                ("SendMessageBatchRequestEntry.2.MessageBody", "two"),
                ("SendMessageBatchRequestEntry.1.Id", "a"),
                ("SendMessageBatchRequestEntry.1.MessageBody", "one"),
                ("SendMessageBatchRequestEntry.1.MessageAttribute.1.Name", "k"),
                ("SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType", "String"),
                ("SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue", "v"),
            ]),
        );
        assert_eq!(
            doc,
            json!({"QueueUrl": "u", "Entries": [
                {"Id": "a", "MessageBody": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
                {"Id": "b", "MessageBody": "two"}
            ]})
        );
    }

    /// botocore 1.31 (the last Query-protocol botocore) sends `Entries=` for an empty list.
    #[test]
    fn bare_member_with_empty_value_is_an_empty_list() {
        let doc = to_document(Action::SendMessageBatch, &params(&[("QueueUrl", "u"), ("Entries", "")]));
        assert_eq!(doc, json!({"QueueUrl": "u", "Entries": []}));
        let doc = to_document(
            Action::ReceiveMessage,
            &params(&[("QueueUrl", "u"), ("AttributeNames", ""), ("MessageAttributeNames", "")]),
        );
        assert_eq!(doc, json!({"QueueUrl": "u", "AttributeNames": [], "MessageAttributeNames": []}));
        let doc = to_document(Action::AddPermission, &params(&[("AWSAccountIds", ""), ("Actions", "")]));
        assert_eq!(doc, json!({"AWSAccountIds": [], "Actions": []}));
        // A bare member name with a value is not a Query parameter: ignored, as AWS ignores it.
        let doc = to_document(Action::UntagQueue, &params(&[("TagKeys", "x"), ("TagKey.1", "k")]));
        assert_eq!(doc, json!({"TagKeys": ["k"]}));
    }

    #[test]
    fn strict_form_decoding() {
        assert_eq!(parse_form(b"a=b+c&d=%41").unwrap(), params(&[("a", "b c"), ("d", "A")]));
        assert!(parse_form(b"a=%FF").is_err());
        assert!(parse_form(b"a=%4").is_err());
    }
}
