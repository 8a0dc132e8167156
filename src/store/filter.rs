//! Which cases a listing returns, as data: the database does the filtering, so a listing
//! reads only the rows it returns, and every statement of a reviewer's pull selects the
//! same cases inside the pull's one snapshot.

use super::backend::Stmt;

/// Whose cases a listing may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every case (an oversight reviewer, retention, tests).
    All,
    /// The cases of these agencies that are not "oversight only": what a reviewer who serves
    /// them may read (`ReviewerEntry::may_access`).
    Agencies(Vec<String>),
}

/// A listing's filter: every condition set must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFilter {
    pub scope: Scope,
    /// Only the case with this id.
    pub id: Option<String>,
    /// Only these ids (a heads-first pull's fetch of the cases it lacks).
    pub ids: Option<Vec<String>>,
    /// Only cases that are not closed.
    pub open_only: bool,
    /// Not the cases oversight excluded this reviewer (key id) from.
    pub not_excluding: Option<String>,
    /// Only cases on legal hold whose review date is on or before this date.
    pub hold_due_by: Option<time::Date>,
    /// Only cases changed on or after this date (an incremental pull).
    pub changed_since: Option<time::Date>,
    /// A page: at most this many cases, in id order, after `after`.
    pub page: Option<Page>,
}

/// One page of a listing: cases in the order of their random ids (which says nothing about
/// when they arrived), the first `limit` after the id `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub after: Option<String>,
    pub limit: u32,
}

impl CaseFilter {
    /// Every case.
    pub fn all() -> Self {
        Self {
            scope: Scope::All,
            id: None,
            ids: None,
            open_only: false,
            not_excluding: None,
            hold_due_by: None,
            changed_since: None,
            page: None,
        }
    }

    /// The one case with this id.
    pub fn case(id: &str) -> Self {
        Self { id: Some(id.to_string()), ..Self::all() }
    }

    /// What a reviewer may read: every case for oversight, else the non-oversight-only cases
    /// of the agencies they serve.
    pub fn readable_by(oversight: bool, agencies: &[String]) -> Self {
        let scope = if oversight { Scope::All } else { Scope::Agencies(agencies.to_vec()) };
        Self { scope, ..Self::all() }
    }

    /// What this reviewer may read: [`Self::readable_by`] its role and agencies, without the
    /// cases oversight excluded it from.
    pub fn readable_by_reviewer(entry: &amana_core::keyring::ReviewerEntry) -> Self {
        Self { not_excluding: Some(entry.id.clone()), ..Self::readable_by(entry.oversight, &entry.agencies) }
    }

    /// The same, for the one case with this id.
    pub fn only(self, id: &str) -> Self {
        Self { id: Some(id.to_string()), ..self }
    }

    /// The same, only those of these ids (an empty list admits nothing).
    pub fn only_ids(self, ids: Vec<String>) -> Self {
        Self { ids: Some(ids), ..self }
    }

    /// The same, open cases only.
    pub fn open(self) -> Self {
        Self { open_only: true, ..self }
    }

    /// The same, only cases on legal hold due for review by `date` (open or closed).
    pub fn hold_due_by(self, date: time::Date) -> Self {
        Self { hold_due_by: Some(date), ..self }
    }

    /// The same, only cases changed on or after `date`.
    pub fn changed_since(self, date: time::Date) -> Self {
        Self { changed_since: Some(date), ..self }
    }

    /// The same, one page of it.
    pub fn page(self, after: Option<String>, limit: u32) -> Self {
        Self { page: Some(Page { after, limit }), ..self }
    }

    /// Appends the order of the listing: `ORDER BY id LIMIT n` for a page (so a subquery
    /// and the listing select the same cases), else `ORDER BY <otherwise>`.
    pub(super) fn push_order<'a>(&'a self, stmt: &mut Stmt<'a>, otherwise: &str) {
        match &self.page {
            Some(p) => stmt.push(" ORDER BY id LIMIT ").push_bind(i64::from(p.limit)),
            None => stmt.push(" ORDER BY ").push(otherwise),
        };
    }

    /// Appends the filter as a condition on the columns of `cases` (unqualified, so it reads
    /// the innermost `cases` of a subquery), its values bound after those of `stmt`.
    pub(super) fn push_condition<'a>(&'a self, stmt: &mut Stmt<'a>) {
        stmt.push("(TRUE");
        if let Some(id) = &self.id {
            stmt.push(" AND id = ").push_bind(id);
        }
        if let Some(ids) = &self.ids {
            stmt.push(" AND id IN (");
            for (i, id) in ids.iter().enumerate() {
                stmt.push(if i == 0 { "" } else { ", " }).push_bind(id);
            }
            stmt.push(if ids.is_empty() { "NULL)" } else { ")" });
        }
        if let Scope::Agencies(agencies) = &self.scope {
            stmt.push(" AND NOT oversight_only AND agency IN (");
            for (i, agency) in agencies.iter().enumerate() {
                stmt.push(if i == 0 { "" } else { ", " }).push_bind(agency);
            }
            // `IN ()` is not SQL: no agency admits nothing.
            stmt.push(if agencies.is_empty() { "NULL)" } else { ")" });
        }
        if let Some(reviewer) = &self.not_excluding {
            // Every listing reads `cases` unaliased, so `cases.id` is the row being filtered.
            stmt.push(
                " AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.case_id = cases.id AND x.reviewer_id = ",
            )
            .push_bind(reviewer)
            .push(")");
        }
        if self.open_only {
            stmt.push(" AND status NOT LIKE 'closed%'");
        }
        if let Some(date) = self.hold_due_by {
            stmt.push(" AND held_review_on IS NOT NULL AND held_review_on <= ").push_bind(date);
        }
        if let Some(date) = self.changed_since {
            stmt.push(" AND changed_on >= ").push_bind(date);
        }
        if let Some(after) = self.page.as_ref().and_then(|p| p.after.as_ref()) {
            stmt.push(" AND id > ").push_bind(after);
        }
        stmt.push(")");
    }
}
