//! The statements of a transfer, an exclusion or an assignment (issue 15), run inside the
//! change's transaction after the case row's compare-and-set (which took its lock), so the
//! signed event and what the server scopes by are committed together or not at all.

use time::Date;

use super::backend::{Exec, Stmt};
use super::StoreError;

/// What a [`super::Change`] does to a case's custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustodyChange {
    /// The case moves to `agency` on `on`: the holder is cleared (the former agency's
    /// officer no longer serves it), and the new deadlines travel in the change itself.
    Transfer { agency: String, on: Date },
    /// `reviewer` may no longer read or act on the case; if they held it, nobody does.
    Exclude { reviewer: String },
    /// `holder` holds the case from now on.
    Assign { holder: String },
}

/// Writes `change` for `case_id`.
pub async fn apply<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    change: &CustodyChange,
) -> Result<(), StoreError> {
    let stmt = match change {
        CustodyChange::Transfer { agency, on } => {
            Stmt::new("UPDATE cases SET agency = $1, transferred_on = $2, holder = NULL WHERE id = $3")
                .bind(agency.as_str())
                .bind(*on)
                .bind(case_id)
        }
        CustodyChange::Exclude { reviewer } => {
            let insert = Stmt::new("INSERT INTO exclusions (case_id, reviewer_id) VALUES ($1, $2)")
                .bind(case_id)
                .bind(reviewer.as_str());
            B::execute(&mut *conn, insert).await?;
            Stmt::new("UPDATE cases SET holder = NULL WHERE id = $1 AND holder = $2")
                .bind(case_id)
                .bind(reviewer.as_str())
        }
        CustodyChange::Assign { holder } => {
            Stmt::new("UPDATE cases SET holder = $1 WHERE id = $2").bind(holder.as_str()).bind(case_id)
        }
    };
    B::execute(conn, stmt).await?;
    Ok(())
}
