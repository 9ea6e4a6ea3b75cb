//! Update expressions built from their clauses (SET, REMOVE, ADD), never spliced as strings.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::keys::{due_key, PARENT_DUE_PK};
use super::s;

/// An update expression built from its clauses (SET, REMOVE, ADD), with its values: clauses are
/// added to the kind they belong to, never spliced into a finished expression.
#[derive(Debug, Default)]
pub(super) struct UpdateExpr {
    sets: Vec<String>,
    removes: Vec<String>,
    adds: Vec<String>,
    values: Vec<(&'static str, AttributeValue)>,
}

impl UpdateExpr {
    /// A parent's update: bumps its revision and moves it in the due-index (or takes it out).
    pub(super) fn parent(due: Option<Timestamp>) -> Self {
        let mut u = Self::default().add("rev :revOne").value(":revOne", AttributeValue::N("1".into()));
        match due {
            Some(at) => u = u.set("duePk = :duePk").set("dueAt = :dueAt").value(":duePk", s(PARENT_DUE_PK)).value(":dueAt", s(due_key(at))),
            None => u = u.remove("duePk").remove("dueAt"),
        }
        u
    }
    pub(super) fn set(mut self, clause: &str) -> Self {
        self.sets.push(clause.to_owned());
        self
    }
    pub(super) fn remove(mut self, attribute: &str) -> Self {
        self.removes.push(attribute.to_owned());
        self
    }
    pub(super) fn add(mut self, clause: &str) -> Self {
        self.adds.push(clause.to_owned());
        self
    }
    pub(super) fn value(mut self, name: &'static str, v: AttributeValue) -> Self {
        self.values.push((name, v));
        self
    }
    /// The expression and its values.
    pub(super) fn build(self) -> (String, Vec<(&'static str, AttributeValue)>) {
        let clauses = [("SET", &self.sets), ("REMOVE", &self.removes), ("ADD", &self.adds)];
        let expr =
            clauses.iter().filter(|(_, c)| !c.is_empty()).map(|(kind, c)| format!("{kind} {}", c.join(", "))).collect::<Vec<_>>().join(" ");
        (expr, self.values)
    }
}

/// A parent's update of a change's own SET and REMOVE clauses (`UpdateExpr::parent`).
pub(super) fn parent_update(sets: &[&str], removes: &[&str], due: Option<Timestamp>) -> (String, Vec<(&'static str, AttributeValue)>) {
    let u = sets.iter().fold(UpdateExpr::parent(due), |u, c| u.set(c));
    removes.iter().fold(u, |u, a| u.remove(a)).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_clause_goes_to_its_kind_and_a_parent_update_bumps_the_revision_and_leaves_the_due_index() {
        let (expr, values) = UpdateExpr::parent(None)
            .set("booking = :booking")
            .remove("attended")
            .add("rosteredOn :rostered")
            .value(":rostered", AttributeValue::Ss(vec!["W-1".into()]))
            .build();
        assert_eq!(expr, "SET booking = :booking REMOVE duePk, dueAt, attended ADD rev :revOne, rosteredOn :rostered");
        let names: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, [":revOne", ":rostered"]);
    }

    #[test]
    fn a_parent_due_again_is_put_back_in_the_due_index() {
        let at: Timestamp = "2026-11-30T08:00:00Z".parse().unwrap();
        let (expr, values) = parent_update(&["#status = :s"], &[], Some(at));
        assert_eq!(expr, "SET duePk = :duePk, dueAt = :dueAt, #status = :s ADD rev :revOne");
        assert!(values.iter().any(|(k, v)| *k == ":dueAt" && *v == AttributeValue::S(due_key(at))));
    }
}
