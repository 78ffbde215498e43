//! Attribute rules (PRODUCT.md §4): a rule whose subject is a SCIM filter over the user's own
//! attributes. Checked when written ([`check_filter`]), resolved against the organization's
//! schemas whenever the rules are read ([`Tx::attribute_rules`], cached with the access facts),
//! and then matched two ways that must agree:
//! - against one stored user, by the filter evaluator of `scim-core` ([`matches_of`]), for
//!   the questions about that user (explain, the delta of a write to them);
//! - as SQL over every user of the organization ([`Tx::users_matching`]), for the reverse
//!   query ("who has access to X").

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use org_model::{AttributeMatch, Rule};
use scim_core::SchemaRegistry;
use scim_core::filter::{self, AttributeLocation, ResolvedAttribute, ResolvedFilter};
use scim_core::schema::RegistryError;
use serde_json::Value;

use crate::filter_sql::FilterSql;
use crate::org_schema::OrgSchema;
use crate::sql::{Bind, Sql};
use crate::{ResourceKind, StoreError, Tx};

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// An attribute rule, its filter resolved.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) rule: Rule,
    pub(crate) filter: ResolvedFilter,
}

/// `standard` plus the organization's custom schemas; those the registry refuses (a later
/// standard schema may clash with one) are passed to `refused` and left out.
pub fn org_registry(
    standard: &SchemaRegistry,
    schemas: &[OrgSchema],
    mut refused: impl FnMut(&OrgSchema, RegistryError),
) -> SchemaRegistry {
    let mut registry = standard.clone();
    for schema in schemas {
        if let Err(error) = registry.add_extension(
            &schema.resource_type,
            schema.schema.clone(),
            schema.required,
        ) {
            refused(schema, error);
        }
    }
    registry
}

fn standard() -> &'static SchemaRegistry {
    static STANDARD: OnceLock<SchemaRegistry> = OnceLock::new();
    STANDARD.get_or_init(SchemaRegistry::standard)
}

/// Parse `text` as an attribute rule's filter and resolve it on users of `registry`: the
/// filter of a rule, or a 400's message naming the byte where it goes wrong. A rule may not
/// name `groups` (group rules do that), `id`, `meta` or `password`.
pub fn check_filter(registry: &SchemaRegistry, text: &str) -> Result<ResolvedFilter, String> {
    let at = |detail: String, span: Option<std::ops::Range<usize>>| match span {
        Some(span) if !detail.contains("at byte") => format!("{detail} (at byte {})", span.start),
        _ => detail,
    };
    let parsed = filter::parse(text).map_err(|error| {
        let span = error.span();
        at(error.to_string(), Some(span))
    })?;
    let users = registry
        .resource_type("User")
        .ok_or_else(|| "no User resource type".to_owned())?;
    let resolved =
        filter::resolve(registry, users, &parsed).map_err(|error| at(error.detail, error.span))?;
    let mut refused = None;
    visit(&resolved, &mut |attribute| {
        if refused.is_none() && forbidden(attribute) {
            refused = Some(attribute.canonical_path().to_string());
        }
    });
    match refused {
        Some(name) => Err(format!(
            "an attribute rule may not name \"{name}\": groups are matched by group rules, and \
             id, meta and password are not the user's attributes to match on"
        )),
        None => Ok(resolved),
    }
}

fn forbidden(attribute: &ResolvedAttribute) -> bool {
    let name = attribute.name.to_ascii_lowercase();
    attribute.never_returned
        || (attribute.location == AttributeLocation::Common && (name == "id" || name == "meta"))
        || (attribute.location == AttributeLocation::Core && name == "groups")
}

/// Every attribute the filter names, in order.
fn visit(filter: &ResolvedFilter, each: &mut impl FnMut(&ResolvedAttribute)) {
    match filter {
        ResolvedFilter::And(operands) | ResolvedFilter::Or(operands) => {
            operands.iter().for_each(|operand| visit(operand, each));
        }
        ResolvedFilter::Not(operand) => visit(operand, each),
        ResolvedFilter::Present(attribute) => each(attribute),
        ResolvedFilter::Compare(comparison) => each(&comparison.attribute),
        ResolvedFilter::ValuePath(path) => {
            each(&path.attribute);
            visit(&path.filter, each);
        }
    }
}

/// The attribute that made `filter` true for `user` (which it matches): the first operand
/// that is true, down to a comparison; for a value path, its attribute; for `not`, the
/// attribute it tests.
fn deciding_attribute(filter: &ResolvedFilter, user: &Value) -> String {
    match filter {
        ResolvedFilter::And(operands) | ResolvedFilter::Or(operands) => operands
            .iter()
            .find(|operand| operand.matches(user))
            .or(operands.first())
            .map(|operand| deciding_attribute(operand, user))
            .unwrap_or_default(),
        ResolvedFilter::Not(operand) => first_attribute(operand),
        ResolvedFilter::Present(attribute) => attribute.canonical_path().to_string(),
        ResolvedFilter::Compare(comparison) => comparison.attribute.canonical_path().to_string(),
        ResolvedFilter::ValuePath(path) => path.attribute.canonical_path().to_string(),
    }
}

/// The first attribute a filter names.
pub(crate) fn first_attribute(filter: &ResolvedFilter) -> String {
    let mut first = None;
    visit(filter, &mut |attribute| {
        first.get_or_insert_with(|| attribute.canonical_path().to_string());
    });
    first.unwrap_or_default()
}

/// The attribute rules `user` (a stored user's JSON) matches, sorted by rule id.
pub(crate) fn matches_of(rules: &[CompiledRule], user: &Value) -> Vec<AttributeMatch> {
    let mut found: Vec<AttributeMatch> = rules
        .iter()
        .filter(|compiled| compiled.filter.matches(user))
        .map(|compiled| AttributeMatch {
            rule_id: compiled.rule.id.clone(),
            attribute: deciding_attribute(&compiled.filter, user),
        })
        .collect();
    found.sort();
    found
}

/// The top-level attributes the rules read: `(extension URN, name)`, the URN `None` for core
/// attributes. A write that leaves all of them as they were matches the same rules.
pub(crate) fn keys_read(rules: &[CompiledRule]) -> Vec<(Option<String>, String)> {
    let mut keys = BTreeSet::new();
    for compiled in rules {
        visit(&compiled.filter, &mut |attribute| {
            if attribute.scope == scim_core::filter::AttributeScope::Resource {
                let urn = match &attribute.location {
                    AttributeLocation::Extension(urn) => Some(urn.clone()),
                    AttributeLocation::Core | AttributeLocation::Common => None,
                };
                keys.insert((urn, attribute.name.clone()));
            }
        });
    }
    keys.into_iter().collect()
}

/// Whether `before` and `after` hold the same values under every key of `keys`
/// ([`keys_read`]), keys compared as the evaluator compares them (case-insensitively).
pub(crate) fn same_values(
    keys: &[(Option<String>, String)],
    before: &Value,
    after: &Value,
) -> bool {
    use scim_core::filter::member as get;
    let at = |user: &'_ Value, (urn, name): &(Option<String>, String)| -> Option<Value> {
        let holder = match urn {
            Some(urn) => get(user, urn)?,
            None => user,
        };
        get(holder, name).cloned()
    };
    !before.is_null()
        && !after.is_null()
        && keys.iter().all(|key| at(before, key) == at(after, key))
}

/// The attribute rules a user matches, `user` being the user as written (`null`: no user,
/// who matches nothing: a user just created had no access before).
pub(crate) fn matches_of_user(rules: &[CompiledRule], user: &Value) -> Vec<AttributeMatch> {
    if user.is_null() {
        return Vec::new();
    }
    matches_of(rules, user)
}

/// Whether two sets of matches name the same rules.
pub(crate) fn same_rules(a: &[AttributeMatch], b: &[AttributeMatch]) -> bool {
    let ids = |found: &[AttributeMatch]| -> BTreeSet<String> {
        found.iter().map(|m| m.rule_id.clone()).collect()
    };
    ids(a) == ids(b)
}

#[derive(QueryableByName)]
struct UserData {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    data: String,
}

#[derive(QueryableByName)]
struct UserId {
    #[diesel(sql_type = Text)]
    id: String,
}

impl Tx<'_> {
    /// The organization's attribute rules, resolved against its schemas: from the cached
    /// access facts when this transaction has them, else read now. A stored filter that no
    /// longer resolves (schema changes that would break one are refused, so only by hand)
    /// matches nobody and is logged.
    pub(crate) fn attribute_rules(
        &mut self,
        org_id: &str,
    ) -> Result<Arc<[CompiledRule]>, StoreError> {
        if let Some(facts) = self.access_facts(org_id)? {
            return Ok(facts.attribute_rules());
        }
        let rules = self.rules().list(org_id)?;
        self.compile_rules(org_id, &rules).map(Arc::from)
    }

    /// The attribute rules among `rules`, resolved against the organization's schemas.
    pub(crate) fn compile_rules(
        &mut self,
        org_id: &str,
        rules: &[Rule],
    ) -> Result<Vec<CompiledRule>, StoreError> {
        if rules.iter().all(|rule| rule.filter().is_none()) {
            return Ok(Vec::new());
        }
        let registry = self.user_registry(org_id)?;
        let mut compiled = Vec::new();
        for rule in rules {
            let Some(text) = rule.filter() else { continue };
            match check_filter(&registry, text) {
                Ok(filter) => compiled.push(CompiledRule {
                    rule: rule.clone(),
                    filter,
                }),
                Err(error) => tracing::warn!(org_id, rule_id = %rule.id, %error,
                    "an attribute rule's filter no longer resolves; it matches nobody"),
            }
        }
        Ok(compiled)
    }

    /// The organization's schema registry (the standard schemas and its own).
    pub fn user_registry(&mut self, org_id: &str) -> Result<SchemaRegistry, StoreError> {
        let schemas = self.schemas().list(org_id)?;
        Ok(org_registry(standard(), &schemas, |_, _| {}))
    }

    /// The attribute rules each of `users` matches (users matching none, or not of the
    /// organization, left out): their stored attributes read in batches and evaluated.
    pub(crate) fn attribute_matches(
        &mut self,
        org_id: &str,
        rules: &[CompiledRule],
        users: &[String],
    ) -> Result<HashMap<String, Vec<AttributeMatch>>, StoreError> {
        let mut found = HashMap::new();
        if rules.is_empty() {
            return Ok(found);
        }
        for chunk in users.chunks(CHUNK) {
            let mut sql = Sql::new(self.backend);
            let org = sql.bind(Bind::Text(org_id.to_owned()));
            let ids: Vec<String> = chunk
                .iter()
                .map(|id| sql.bind(Bind::Text(id.clone())))
                .collect();
            sql.push(&format!(
                "SELECT id, data FROM scim_users WHERE org_id = {org} AND id IN ({})",
                ids.join(", ")
            ));
            let rows: Vec<UserData> = sql.load(self.conn)?;
            for row in rows {
                let data: Value = serde_json::from_str(&row.data)?;
                let matched = matches_of(rules, &data);
                if !matched.is_empty() {
                    found.insert(row.id, matched);
                }
            }
        }
        Ok(found)
    }

    /// The users of the organization matching `rule`'s filter, by SQL over the filter index
    /// (the same semantics as the evaluator: `filter_sql`).
    pub(crate) fn users_matching(
        &mut self,
        org_id: &str,
        rule: &CompiledRule,
    ) -> Result<Vec<String>, StoreError> {
        let mut sql = Sql::new(self.backend);
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let condition =
            FilterSql::new(&mut sql, ResourceKind::User, org.clone()).resource(&rule.filter, "r");
        sql.push(&format!(
            "SELECT r.id AS id FROM scim_users r WHERE r.org_id = {org} AND {condition}"
        ));
        let rows: Vec<UserId> = sql.load(self.conn)?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn compiled(filter: &str) -> CompiledRule {
        let registry = SchemaRegistry::standard();
        CompiledRule {
            rule: Rule::for_filter(filter, "*", org_model::Role::Viewer),
            filter: check_filter(&registry, filter).unwrap_or_else(|why| panic!("{why}")),
        }
    }

    #[test]
    fn a_write_that_leaves_what_the_rules_read_unchanged_is_told_apart() {
        let rules = [
            compiled("title sw \"VP\""),
            compiled(&format!("{ENTERPRISE}:department eq \"Sales\"")),
            compiled("emails[type eq \"work\" and value ew \"@x.com\"]"),
        ];
        let keys = keys_read(&rules);
        assert_eq!(
            keys,
            [
                (None, "emails".to_owned()),
                (None, "title".to_owned()),
                (Some(ENTERPRISE.to_owned()), "department".to_owned()),
            ]
        );
        let ann = json!({"userName": "ann", "title": "VP", ENTERPRISE: {"department": "Sales"}});
        let cases = [
            (
                json!({"userName": "ann", "nickName": "A", "title": "VP", ENTERPRISE: {"department": "Sales"}}),
                true,
            ),
            (
                json!({"userName": "ann", "TITLE": "VP", ENTERPRISE: {"department": "Sales"}}),
                true,
            ),
            (
                json!({"userName": "ann", "title": "CEO", ENTERPRISE: {"department": "Sales"}}),
                false,
            ),
            (
                json!({"userName": "ann", "title": "VP", ENTERPRISE: {"department": "Ops"}}),
                false,
            ),
            (json!({"userName": "ann", "title": "VP"}), false),
            (
                json!({"userName": "ann", "title": "VP", ENTERPRISE: {"department": "Sales"}, "emails": [{"value": "a@x.com"}]}),
                false,
            ),
            (Value::Null, false),
        ];
        for (after, same) in cases {
            assert_eq!(same_values(&keys, &ann, &after), same, "{after}");
        }
    }

    #[test]
    fn a_user_just_created_matched_nothing_before() {
        let rules = [compiled("not (title pr)")];
        assert!(matches_of_user(&rules, &Value::Null).is_empty());
        let found = matches_of_user(&rules, &json!({"userName": "ann"}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].attribute, "title");
    }
}
