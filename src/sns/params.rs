//! SNS's Query parameters. SNS does not flatten its lists and maps the way SQS does
//! (botocore's serializer, checked against captured requests): lists are `X.member.N`, maps
//! `X.entry.N.key`/`.value`, message attributes `X.entry.N.Name`/`.Value.DataType`/... and
//! batch entries `X.member.N.<Field>`. Indices start at 1 and are read by number.

use std::collections::BTreeMap;

use super::error::{SnsError, SnsResult};

/// The parameters of one request (body and query string; a later value of a name wins).
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Params { values: pairs.into_iter().collect() }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required member: absent is the model's null-member error.
    pub fn required(&self, name: &str) -> SnsResult<&str> {
        self.get(name).ok_or_else(|| SnsError::missing(name))
    }

    /// `true`/`false` members (case-insensitive, as botocore sends them lower-case).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The members `<prefix>.<N>.<rest>`, grouped by N in index order, each with `<rest>` as
    /// its names (`""` for `<prefix>.<N>` itself).
    fn indexed(&self, prefix: &str) -> Vec<Params> {
        let mut groups: BTreeMap<u32, Params> = BTreeMap::new();
        let start = format!("{prefix}.");
        for (key, value) in self.values.range(start.clone()..) {
            let Some(rest) = key.strip_prefix(&start) else { break };
            let (index, member) = rest.split_once('.').unwrap_or((rest, ""));
            let Ok(index) = index.parse::<u32>() else { continue };
            groups.entry(index).or_default().values.insert(member.to_string(), value.clone());
        }
        groups.into_values().collect()
    }

    /// A list: `<name>.member.N`.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.indexed(&format!("{name}.member")).into_iter().filter_map(|p| p.get("").map(str::to_string)).collect()
    }

    /// A map: `<name>.entry.N.key` / `.value`, in index order (a key without a value maps to "").
    pub fn map(&self, name: &str) -> Vec<(String, String)> {
        let entries = self.indexed(&format!("{name}.entry"));
        entries
            .into_iter()
            .filter_map(|p| Some((p.get("key")?.to_string(), p.get("value").unwrap_or("").into())))
            .collect()
    }

    /// Tags: `<name>.member.N.Key` / `.Value`.
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        let members = self.indexed(&format!("{name}.member"));
        members
            .into_iter()
            .filter_map(|p| Some((p.get("Key")?.to_string(), p.get("Value").unwrap_or("").into())))
            .collect()
    }

    /// Structures: `<name>.member.N.<Field>`, each as its own parameters.
    pub fn structures(&self, name: &str) -> Vec<Params> {
        self.indexed(&format!("{name}.member"))
    }

    /// Map entries whose values are structures: `<name>.entry.N.Name` and `.Value.<Field>`.
    pub fn structure_map(&self, name: &str) -> Vec<(String, Params)> {
        let entries = self.indexed(&format!("{name}.entry"));
        entries
            .into_iter()
            .filter_map(|p| {
                let name = p.get("Name")?.to_string();
                let value =
                    p.values.iter().filter_map(|(k, v)| Some((k.strip_prefix("Value.")?.to_string(), v.clone())));
                Some((name, Params::new(value)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn lists_maps_and_entries_by_index_number() {
        let p = params(&[
            ("AWSAccountId.member.10", "c"),
            ("AWSAccountId.member.2", "b"),
            ("AWSAccountId.member.1", "a"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "x"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "core"),
            ("MessageAttributes.entry.1.Name", "kind"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "new"),
            ("PublishBatchRequestEntries.member.2.Id", "second"),
            ("PublishBatchRequestEntries.member.1.Id", "first"),
        ]);
        assert_eq!(p.list("AWSAccountId"), ["a", "b", "c"]);
        assert_eq!(p.map("Attributes"), [("DisplayName".to_string(), "x".to_string())]);
        assert_eq!(p.tags("Tags"), [("team".to_string(), "core".to_string())]);
        let attributes = p.structure_map("MessageAttributes");
        assert_eq!(attributes[0].0, "kind");
        assert_eq!(attributes[0].1.get("StringValue"), Some("new"));
        let ids: Vec<_> =
            p.structures("PublishBatchRequestEntries").iter().map(|e| e.get("Id").map(str::to_string)).collect();
        assert_eq!(ids, [Some("first".to_string()), Some("second".to_string())]);
        assert_eq!(SnsError::missing("TopicArn").message, "1 validation error detected: Value null at 'topicArn' failed to satisfy constraint: Member must not be null");
    }
}
