//! Filter policies: validated and compiled when a subscription's FilterPolicy or
//! FilterPolicyScope is set, matched against each published message without walking the
//! policy's JSON again.
//!
//! # The rules (SNS developer guide, "Amazon SNS message filtering"; validation texts recorded in
//! TestSNSFilterPolicyConditions)
//! - A policy matches when every key matches; a key matches when any rule in its array matches;
//!   `"$or": [p1, p2, ...]` matches when any sub-policy does. Keys are attribute names
//!   (`MessageAttributes` scope) or paths into a JSON body (`MessageBody` scope, nested objects,
//!   where `a.b` and `{"a":{"b":..}}` are the same path and arrays match by any element).
//! - Rules: exact strings, numbers (compared as numbers), `null`, booleans; `prefix`, `suffix`,
//!   `equals-ignore-case`, `wildcard`; `anything-but` (a value, a list, or `{"prefix": ..}`;
//!   present and not matching); `numeric` (`=`, or one or two comparisons); `exists` (`true`:
//!   present; `false`: absent, and in attribute scope only for messages that have attributes);
//!   `cidr` (IPv4 and IPv6).
//! - Binary attributes never take part; String.Array attributes match by element; numeric rules
//!   match Number attributes and JSON numbers only (types are kept apart: unverified on AWS).
//! - Limits: at most 5 keys (nested: the top level counts), at most 150 combinations (the
//!   product of the rule counts of the keys, each multiplied by its nesting depth in body scope;
//!   `$or` branches add up).
//! - `anything-but` on an array matches only when no element is listed (the newer of the two
//!   readings the docs give; README, deviations).

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

/// Where a policy looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    pub fn parse(name: &str) -> Option<Scope> {
        match name {
            "MessageAttributes" => Some(Scope::MessageAttributes),
            "MessageBody" => Some(Scope::MessageBody),
            _ => None,
        }
    }
}

/// A value a message carries at one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Cmp {
    fn holds(self, value: f64, operand: f64) -> bool {
        match self {
            Cmp::Lt => value < operand,
            Cmp::Le => value <= operand,
            Cmp::Gt => value > operand,
            Cmp::Ge => value >= operand,
            Cmp::Eq => value == operand,
        }
    }
}

#[derive(Debug, Clone)]
enum Rule {
    Equals(Scalar),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    Wildcard(String),
    AnythingBut(Vec<Scalar>),
    AnythingButPrefix(String),
    Numeric(Vec<(Cmp, f64)>),
    Exists(bool),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone)]
struct Condition {
    key: String,
    rules: Vec<Rule>,
}

/// A compiled filter policy.
#[derive(Debug, Clone)]
pub struct Policy {
    scope: Scope,
    conditions: Vec<Condition>,
    /// Each group matches when one of its branches does.
    any_of: Vec<Vec<Policy>>,
}

type Reason = String;

fn reason(text: impl std::fmt::Display) -> Reason {
    format!("FilterPolicy: {text}")
}

/// Validates and compiles a FilterPolicy for a scope. Errors are AWS's reasons
/// ("FilterPolicy: ..."), to be prefixed by the caller.
pub fn compile(text: &str, scope: Scope) -> Result<Policy, Reason> {
    let value: Value = serde_json::from_str(text).map_err(|e| reason(format!("failed to parse JSON. {e}")))?;
    let Value::Object(object) = value else { return Err(reason("Filter policy must be a JSON object")) };
    let keys = object.len();
    if keys > 5 {
        return Err(reason("Filter policy can not have more than 5 keys"));
    }
    let (policy, combinations) = compile_object(&object, "", 1, scope)?;
    if combinations > 150 {
        return Err(reason("Filter policy is too complex"));
    }
    Ok(policy)
}

/// Compiles one object of keys; returns it and its number of combinations.
fn compile_object(object: &Map<String, Value>, path: &str, depth: u64, scope: Scope) -> Result<(Policy, u64), Reason> {
    let mut policy = Policy { scope, conditions: Vec::new(), any_of: Vec::new() };
    let mut combinations: u64 = 1;
    for (key, value) in object {
        if key == "$or" {
            let Value::Array(branches) = value else { return Err(reason("\"$or\" must be an array")) };
            let mut group = Vec::new();
            let mut sum = 0;
            for branch in branches {
                let Value::Object(branch) = branch else { return Err(reason("\"$or\" must be an array of objects")) };
                let (compiled, count) = compile_object(branch, path, depth, scope)?;
                group.push(compiled);
                sum += count;
            }
            if group.len() < 2 {
                return Err(reason("\"$or\" must have at least 2 options"));
            }
            combinations = combinations.saturating_mul(sum);
            policy.any_of.push(group);
            continue;
        }
        let full = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match value {
            Value::Array(rules) => {
                if rules.is_empty() {
                    return Err(reason("Empty arrays are not allowed"));
                }
                let rules = rules.iter().map(compile_rule).collect::<Result<Vec<_>, _>>()?;
                let factor = if scope == Scope::MessageBody { depth } else { 1 };
                combinations = combinations.saturating_mul(rules.len() as u64 * factor);
                policy.conditions.push(Condition { key: full, rules });
            }
            Value::Object(nested) if scope == Scope::MessageBody => {
                let (compiled, count) = compile_object(nested, &full, depth + 1, scope)?;
                combinations = combinations.saturating_mul(count);
                policy.conditions.extend(compiled.conditions);
                policy.any_of.extend(compiled.any_of);
            }
            Value::Object(_) => {
                return Err("Filter policy scope MessageAttributes does not support nested filter policy".into())
            }
            _ => return Err(reason(format!("\"{key}\" must be an object or an array"))),
        }
    }
    Ok((policy, combinations))
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(s) => Some(Scalar::Str(s.clone())),
        Value::Number(n) => n.as_f64().map(Scalar::Num),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Null => Some(Scalar::Null),
        _ => None,
    }
}

fn string_operand(operator: &str, operand: &Value) -> Result<String, Reason> {
    operand.as_str().map(str::to_string).ok_or_else(|| reason(format!("{operator} match pattern must be a string")))
}

fn compile_rule(value: &Value) -> Result<Rule, Reason> {
    let Value::Object(expression) = value else {
        return scalar(value)
            .map(Rule::Equals)
            .ok_or_else(|| reason("Match value must be String, number, true, false, or null"));
    };
    let mut members = expression.iter();
    let (Some((operator, operand)), None) = (members.next(), members.next()) else {
        return Err(reason("Only one key allowed in match expression"));
    };
    match operator.as_str() {
        "prefix" => string_operand("prefix", operand).map(Rule::Prefix),
        "suffix" => string_operand("suffix", operand).map(Rule::Suffix),
        "equals-ignore-case" => {
            string_operand("equals-ignore-case", operand).map(|s| Rule::EqualsIgnoreCase(s.to_lowercase()))
        }
        "wildcard" => string_operand("wildcard", operand).map(Rule::Wildcard),
        "anything-but" => anything_but(operand),
        "numeric" => numeric(operand).map(Rule::Numeric),
        "exists" => operand
            .as_bool()
            .map(Rule::Exists)
            .ok_or_else(|| reason("exists match pattern must be either true or false.")),
        // AWS words a non-string CIDR as a prefix (recorded).
        "cidr" => cidr(&string_operand("prefix", operand)?),
        other => Err(reason(format!("Unrecognized match type {other}"))),
    }
}

fn anything_but(operand: &Value) -> Result<Rule, Reason> {
    match operand {
        Value::Array(values) => {
            let values = values.iter().map(|v| match v {
                Value::String(_) | Value::Number(_) => {
                    scalar(v).ok_or_else(|| reason("Inside anything but list, only strings and numbers are supported."))
                }
                _ => Err(reason("Inside anything but list, only strings and numbers are supported.")),
            });
            values.collect::<Result<Vec<_>, _>>().map(Rule::AnythingBut)
        }
        Value::Object(pattern) => {
            let mut members = pattern.iter();
            match (members.next(), members.next()) {
                (Some((op, v)), None) if op == "prefix" => string_operand("prefix", v).map(Rule::AnythingButPrefix),
                (Some((op, _)), None) => Err(reason(format!("Unsupported anything-but pattern: {op}"))),
                _ => Err(reason("Only one key allowed in match expression")),
            }
        }
        other => scalar(other)
            .map(|s| Rule::AnythingBut(vec![s]))
            .ok_or_else(|| reason("Match value must be String, number, true, false, or null")),
    }
}

fn operator(value: &Value) -> Result<Cmp, Reason> {
    match value.as_str() {
        Some("<") => Ok(Cmp::Lt),
        Some("<=") => Ok(Cmp::Le),
        Some(">") => Ok(Cmp::Gt),
        Some(">=") => Ok(Cmp::Ge),
        Some("=") => Ok(Cmp::Eq),
        Some(other) => Err(reason(format!("Unrecognized numeric range operator: {other}"))),
        None => Err(reason(format!("Invalid member in numeric match: {value}"))),
    }
}

fn operand(op: &Value, value: Option<&Value>) -> Result<f64, Reason> {
    let name = if op.as_str() == Some("=") { "equals" } else { op.as_str().unwrap_or("") };
    value.and_then(Value::as_f64).ok_or_else(|| reason(format!("Value of {name} must be numeric")))
}

fn numeric(value: &Value) -> Result<Vec<(Cmp, f64)>, Reason> {
    let Value::Array(terms) = value else { return Err(reason(format!("Invalid member in numeric match: {value}"))) };
    let first = terms.first().ok_or_else(|| reason("Invalid member in numeric match: ]"))?;
    let cmp = operator(first)?;
    let bound = operand(first, terms.get(1))?;
    if cmp == Cmp::Eq {
        if terms.len() > 2 {
            return Err(reason("Too many elements in numeric expression"));
        }
        return Ok(vec![(Cmp::Eq, bound)]);
    }
    if terms.len() == 2 {
        return Ok(vec![(cmp, bound)]);
    }
    if terms.len() > 4 {
        return Err(reason("Too many terms in numeric range expression"));
    }
    if !matches!(cmp, Cmp::Gt | Cmp::Ge) {
        return Err(reason(format!("Bad numeric range operator: {}", first.as_str().unwrap_or(""))));
    }
    let second = &terms[2];
    let upper = operator(second)?;
    if !matches!(upper, Cmp::Lt | Cmp::Le) {
        return Err(reason(format!("Bad numeric range operator: {}", second.as_str().unwrap_or(""))));
    }
    let top = operand(second, terms.get(3))?;
    if bound >= top {
        return Err(reason("Bottom must be less than top"));
    }
    Ok(vec![(cmp, bound), (upper, top)])
}

fn cidr(text: &str) -> Result<Rule, Reason> {
    let parts: Vec<&str> = text.split('/').collect();
    let [address, bits] = parts[..] else { return Err(reason("Malformed CIDR, one '/' required")) };
    let bits: u8 = bits.parse().map_err(|_| reason("Malformed CIDR, mask bits must be an integer"))?;
    let address: IpAddr = address.parse().map_err(|_| reason(format!("Nonstandard IP address: {address}")))?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(reason("Malformed CIDR, mask bits must be an integer"));
    }
    Ok(Rule::Cidr(address, bits))
}

fn in_network(value: &str, network: IpAddr, bits: u8) -> bool {
    let Ok(address) = value.parse::<IpAddr>() else { return false };
    let (a, n, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let shift = width - bits as u32;
    shift >= width || (a >> shift) == (n >> shift)
}

/// `*` matches any run of characters.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// What one message offers its filters: the values at each key.
#[derive(Debug, Default)]
pub struct Facts {
    values: HashMap<String, Vec<Scalar>>,
    /// The message has attributes (attribute scope) or is a JSON object (body scope).
    applicable: bool,
}

impl Facts {
    /// From message attributes: String and Number values, String.Array elements; Binary left out.
    pub fn from_attributes<'a>(attributes: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Facts {
        let mut facts = Facts::default();
        for (name, data_type, value) in attributes {
            facts.applicable = true;
            let base = data_type.split('.').next().unwrap_or("");
            let values = match (base, data_type) {
                (_, "String.Array") => match serde_json::from_str::<Value>(value) {
                    Ok(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
                    _ => vec![Scalar::Str(value.to_string())],
                },
                ("Number", _) => {
                    vec![value.trim().parse::<f64>().map_or_else(|_| Scalar::Str(value.to_string()), Scalar::Num)]
                }
                ("String", _) => vec![Scalar::Str(value.to_string())],
                _ => continue,
            };
            facts.values.insert(name.to_string(), values);
        }
        facts
    }

    /// From a JSON message body (nothing matches a body that is not an object).
    pub fn from_body(body: &str) -> Facts {
        let mut facts = Facts::default();
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(body) {
            facts.applicable = true;
            for (key, value) in &object {
                facts.flatten(key.clone(), value);
            }
        }
        facts
    }

    fn flatten(&mut self, path: String, value: &Value) {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    self.flatten(format!("{path}.{key}"), value);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.flatten(path.clone(), item);
                }
            }
            leaf => {
                if let Some(s) = scalar(leaf) {
                    self.values.entry(path).or_default().push(s);
                }
            }
        }
    }
}

impl Rule {
    fn matches(&self, values: Option<&Vec<Scalar>>, facts: &Facts) -> bool {
        let Some(values) = values else {
            return matches!(self, Rule::Exists(false)) && facts.applicable;
        };
        let any = |test: &dyn Fn(&Scalar) -> bool| values.iter().any(test);
        let text = |test: &dyn Fn(&str) -> bool| values.iter().any(|v| matches!(v, Scalar::Str(s) if test(s)));
        match self {
            Rule::Exists(wanted) => *wanted,
            Rule::Equals(expected) => any(&|v| v == expected),
            Rule::Prefix(p) => text(&|s| s.starts_with(p.as_str())),
            Rule::Suffix(p) => text(&|s| s.ends_with(p.as_str())),
            Rule::EqualsIgnoreCase(p) => text(&|s| s.to_lowercase() == *p),
            Rule::Wildcard(p) => text(&|s| wildcard_match(p, s)),
            Rule::AnythingBut(listed) => !values.iter().any(|v| listed.contains(v)),
            Rule::AnythingButPrefix(p) => !text(&|s| s.starts_with(p.as_str())),
            Rule::Numeric(terms) => any(&|v| matches!(v, Scalar::Num(n) if terms.iter().all(|(c, o)| c.holds(*n, *o)))),
            Rule::Cidr(network, bits) => text(&|s| in_network(s, *network, *bits)),
        }
    }
}

impl Policy {
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether a message with these facts passes (a body-scope policy passes no body that is not
    /// a JSON object).
    pub fn matches(&self, facts: &Facts) -> bool {
        (self.scope == Scope::MessageAttributes || facts.applicable)
            && self.conditions.iter().all(|c| {
                let values = facts.values.get(&c.key);
                c.rules.iter().any(|r| r.matches(values, facts))
            })
            && self.any_of.iter().all(|group| group.iter().any(|p| p.matches(facts)))
    }
}

/// A stored policy compiled again (stored policies were validated when set; one that no longer
/// compiles passes nothing).
pub fn compile_stored(text: &str, scope: Scope) -> Policy {
    compile(text, scope).unwrap_or(Policy {
        scope,
        conditions: vec![Condition { key: String::new(), rules: vec![] }],
        any_of: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message attributes of the SNS developer guide's filtering examples.
    fn example_attributes() -> Facts {
        Facts::from_attributes([
            ("customer_interests", "String.Array", r#"["soccer","rugby","hockey"]"#),
            ("store", "String", "example_corp"),
            ("event", "String", "order_placed"),
            ("price_usd", "Number", "210.75"),
            ("source_ip", "String", "10.0.0.255"),
            ("photo", "Binary", ""),
        ])
    }

    fn attributes(policy: &str) -> bool {
        compile(policy, Scope::MessageAttributes).unwrap().matches(&example_attributes())
    }

    fn body(policy: &str, body: &str) -> bool {
        compile(policy, Scope::MessageBody).unwrap().matches(&Facts::from_body(body))
    }

    fn error(policy: &str, scope: Scope) -> String {
        compile(policy, scope).unwrap_err()
    }

    #[test]
    fn the_guides_example_policy_matches_its_example_message() {
        assert!(attributes(
            r#"{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],
               "customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}"#
        ));
        assert!(!attributes(r#"{"store":["example_corp"],"event":["order_cancelled"]}"#), "every key must match");
    }

    #[test]
    fn exact_prefix_suffix_and_case_insensitive_strings() {
        assert!(attributes(r#"{"customer_interests":["rugby"]}"#), "String.Array matches by element");
        assert!(!attributes(r#"{"customer_interests":["basketball"]}"#));
        assert!(!attributes(r#"{"store":["Example_Corp"]}"#), "exact is case-sensitive");
        assert!(attributes(r#"{"store":[{"prefix":"example"}]}"#));
        assert!(!attributes(r#"{"store":[{"prefix":"corp"}]}"#));
        assert!(attributes(r#"{"event":[{"suffix":"_placed"}]}"#));
        assert!(!attributes(r#"{"event":[{"suffix":"_cancelled"}]}"#));
        assert!(attributes(r#"{"store":[{"equals-ignore-case":"EXAMPLE_CORP"}]}"#));
        assert!(!attributes(r#"{"store":[{"equals-ignore-case":"other"}]}"#));
        assert!(attributes(r#"{"event":[{"wildcard":"order_*"}]}"#));
        assert!(!attributes(r#"{"event":[{"wildcard":"*cancel*"}]}"#));
        assert!(!attributes(r#"{"photo":[""]}"#), "Binary attributes never take part");
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(attributes(r#"{"price_usd":[210.75]}"#));
        assert!(attributes(r#"{"price_usd":[2.1075e2]}"#), "301.5 equals 3.015e2 (the guide)");
        assert!(attributes(r#"{"price_usd":[{"numeric":["=",210.75]}]}"#));
        assert!(attributes(r#"{"price_usd":[{"numeric":[">",0,"<=",300]}]}"#));
        assert!(!attributes(r#"{"price_usd":[{"numeric":[">",0,"<=",150]}]}"#));
        assert!(!attributes(r#"{"price_usd":["210.75"]}"#), "a string rule does not match a Number");
        assert!(!attributes(r#"{"store":[{"numeric":[">",0]}]}"#), "numeric rules need numbers");
    }

    #[test]
    fn anything_but_needs_the_key_and_no_listed_value() {
        assert!(attributes(r#"{"event":[{"anything-but":["order_cancelled","order_returned"]}]}"#));
        assert!(!attributes(r#"{"event":[{"anything-but":"order_placed"}]}"#));
        assert!(!attributes(r#"{"missing":[{"anything-but":"x"}]}"#), "absent keys match no anything-but");
        assert!(
            !attributes(r#"{"customer_interests":[{"anything-but":["rugby","tennis"]}]}"#),
            "an array with a listed element"
        );
        assert!(attributes(r#"{"customer_interests":[{"anything-but":["golf","tennis"]}]}"#));
        assert!(attributes(r#"{"price_usd":[{"anything-but":[100,500]}]}"#));
        assert!(attributes(r#"{"event":[{"anything-but":{"prefix":"order-"}}]}"#));
        assert!(!attributes(r#"{"event":[{"anything-but":{"prefix":"order_"}}]}"#));
    }

    #[test]
    fn exists_and_ip_addresses() {
        assert!(attributes(r#"{"store":[{"exists":true}]}"#));
        assert!(!attributes(r#"{"store":[{"exists":false}]}"#));
        assert!(attributes(r#"{"other":[{"exists":false}]}"#));
        let policy = compile(r#"{"other":[{"exists":false}]}"#, Scope::MessageAttributes).unwrap();
        assert!(!policy.matches(&Facts::from_attributes([])), "a message without attributes matches no exists:false");
        assert!(!attributes(r#"{"missing":[null]}"#), "null never matches an absent attribute");
        assert!(attributes(r#"{"source_ip":[{"cidr":"10.0.0.0/24"}]}"#));
        assert!(!attributes(r#"{"source_ip":[{"cidr":"10.0.1.0/24"}]}"#));
        let v6 = Facts::from_attributes([("ip", "String", "2001:0db8:1234:1a00:0000:0000:0000:0001")]);
        assert!(compile(r#"{"ip":[{"cidr":"2001:db8:1234:1a00::/64"}]}"#, Scope::MessageAttributes)
            .unwrap()
            .matches(&v6));
        let invalid = Facts::from_attributes([("ip", "String", "10.0.0.256")]);
        assert!(!compile(r#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, Scope::MessageAttributes).unwrap().matches(&invalid));
    }

    #[test]
    fn or_matches_any_branch() {
        let policy =
            r#"{"store":["example_corp"],"$or":[{"event":["order_cancelled"]},{"price_usd":[{"numeric":[">",200]}]}]}"#;
        assert!(attributes(policy));
        let policy = r#"{"$or":[{"event":["order_cancelled"]},{"price_usd":[{"numeric":["<",200]}]}]}"#;
        assert!(!attributes(policy));
    }

    #[test]
    fn message_body_policies_walk_nested_objects_arrays_and_dotted_keys() {
        let message = r#"{"order":{"country":"DE","lines":[{"sku":"a-1"},{"sku":"b-2"}],"note":null},"a.b":5}"#;
        assert!(body(r#"{"order":{"country":["DE"]}}"#, message));
        assert!(!body(r#"{"order":{"country":["FR"]}}"#, message));
        assert!(body(r#"{"order":{"lines":{"sku":[{"prefix":"b-"}]}}}"#, message), "arrays of objects by element");
        assert!(body(r#"{"order.country":["DE"]}"#, message), "a dotted key is the nested path");
        assert!(body(r#"{"a":{"b":[5]}}"#, message), "and a dotted payload key too");
        assert!(body(r#"{"order":{"note":[null]}}"#, message), "null matches a JSON null");
        assert!(body(r#"{"order":{"missing":[{"exists":false}]}}"#, message));
        assert!(!body(r#"{"order":{"country":[{"exists":false}]}}"#, message));
        assert!(!body(r#"{"x":[{"exists":false}]}"#, "plain text"), "a body that is no object matches nothing");
        assert!(body(r#"{"tags":[""]}"#, r#"{"tags":["", "x"], "e": []}"#));
    }

    #[test]
    fn validation_has_aws_reasons() {
        let attrs = Scope::MessageAttributes;
        assert_eq!(error(r#"{"key":"v"}"#, attrs), r#"FilterPolicy: "key" must be an object or an array"#);
        assert_eq!(error(r#"{"key":[]}"#, attrs), "FilterPolicy: Empty arrays are not allowed");
        assert_eq!(
            error(r#"{"key":[["v"]]}"#, attrs),
            "FilterPolicy: Match value must be String, number, true, false, or null"
        );
        assert_eq!(
            error(r#"{"key":[{"prefix":"a","suffix":"b"}]}"#, attrs),
            "FilterPolicy: Only one key allowed in match expression"
        );
        assert_eq!(
            error(r#"{"key":[{"wrong-operator":1}]}"#, attrs),
            "FilterPolicy: Unrecognized match type wrong-operator"
        );
        assert_eq!(error(r#"{"key":[{"suffix":1}]}"#, attrs), "FilterPolicy: suffix match pattern must be a string");
        assert_eq!(
            error(r#"{"key":[{"anything-but":{"suffix":"x"}}]}"#, attrs),
            "FilterPolicy: Unsupported anything-but pattern: suffix"
        );
        assert_eq!(
            error(r#"{"key":[{"exists":"yes"}]}"#, attrs),
            "FilterPolicy: exists match pattern must be either true or false."
        );
        assert_eq!(error(r#"{"key":[{"numeric":["=","a"]}]}"#, attrs), "FilterPolicy: Value of equals must be numeric");
        assert_eq!(
            error(r#"{"key":[{"numeric":["=",1,">",2]}]}"#, attrs),
            "FilterPolicy: Too many elements in numeric expression"
        );
        assert_eq!(
            error(r#"{"key":[{"numeric":["operator",1]}]}"#, attrs),
            "FilterPolicy: Unrecognized numeric range operator: operator"
        );
        assert_eq!(
            error(r#"{"key":[{"numeric":["<",1,">",2]}]}"#, attrs),
            "FilterPolicy: Bad numeric range operator: <"
        );
        assert_eq!(
            error(r#"{"key":[{"numeric":[">",3,"<",2]}]}"#, attrs),
            "FilterPolicy: Bottom must be less than top"
        );
        assert_eq!(
            error(r#"{"key":[{"numeric":[">",1,"<",2,"<",3]}]}"#, attrs),
            "FilterPolicy: Too many terms in numeric range expression"
        );
        assert_eq!(error(r#"{"key":[{"numeric":[">","x"]}]}"#, attrs), "FilterPolicy: Value of > must be numeric");
        assert_eq!(error(r#"{"key":[{"cidr":"10.0.0.0"}]}"#, attrs), "FilterPolicy: Malformed CIDR, one '/' required");
        assert_eq!(
            error(r#"{"key":[{"cidr":"10.0.0.0/x"}]}"#, attrs),
            "FilterPolicy: Malformed CIDR, mask bits must be an integer"
        );
        assert_eq!(
            error(r#"{"key":[{"cidr":"xx.11.xx/24"}]}"#, attrs),
            "FilterPolicy: Nonstandard IP address: xx.11.xx"
        );
        assert_eq!(
            error(r#"{"a":{"b":["c"]}}"#, attrs),
            "Filter policy scope MessageAttributes does not support nested filter policy"
        );
        assert!(error("{", attrs).starts_with("FilterPolicy: failed to parse JSON. "));
        assert_eq!(
            error(r#"{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}"#, attrs),
            "FilterPolicy: Filter policy can not have more than 5 keys"
        );
        // The guide's complexity example: 3*4 x 2*3 x 1*3 = 216 > 150.
        let nested = r#"{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]},
            "key_d":{"key_e":["value_one","value_two","value_three"]}},"key_f":["value_one","value_two","value_three"]}"#;
        assert_eq!(error(nested, Scope::MessageBody), "FilterPolicy: Filter policy is too complex");
        let wide = r#"{"a":[1,2,3,4,5,6],"b":[1,2,3,4,5],"c":[1,2,3,4,5,6]}"#;
        assert_eq!(error(wide, attrs), "FilterPolicy: Filter policy is too complex", "6*5*6 = 180");
        assert!(compile(r#"{"a":[1,2,3,4,5],"b":[1,2,3,4,5],"c":[1,2,3,4,5,6]}"#, attrs).is_ok(), "150 is allowed");
    }
}
