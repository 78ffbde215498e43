//! Raw SQL with bound parameters for both backends: [`Sql`] writes `$n` (PostgreSQL) or
//! `?n` (SQLite) placeholders, each usable several times and in any order, and collects typed
//! binds. When run, each placeholder becomes one Diesel bind in text order (so SQLite's
//! first-appearance numbering can never bind wrongly), and statements marked
//! [`Sql::cacheable`] (a bounded set of shapes) are prepared once per connection by Diesel's
//! statement cache; the others are prepared each time.

use diesel::RunQueryDsl;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Untyped};

use crate::connection::{AnyConnection, MultiBackend};
use crate::{Backend, StoreError};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    /// `TEXT`.
    Text(String),
    /// Nullable `TEXT`.
    OptionalText(Option<String>),
    /// `BIGINT`.
    BigInt(i64),
    /// Nullable `BIGINT`.
    OptionalBigInt(Option<i64>),
    /// Nullable `DOUBLE PRECISION`.
    OptionalDouble(Option<f64>),
    /// `DOUBLE PRECISION`.
    Double(f64),
    /// `BOOLEAN`.
    Bool(bool),
    /// Nullable `BOOLEAN`.
    OptionalBool(Option<bool>),
}

/// A statement being written: text plus binds, numbered for the backend.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Bind>,
    cacheable: bool,
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: Backend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            binds: Vec::new(),
            cacheable: false,
        }
    }

    /// Let Diesel keep the prepared statement per connection. Only for statements whose
    /// text comes from a small, fixed set of shapes (every value a bind), or the cache grows
    /// with every new filter shape a client sends.
    pub(crate) fn cacheable(&mut self) -> &mut Sql {
        self.cacheable = true;
        self
    }

    /// The backend it is written for.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Append SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Add a bind and return its placeholder (to be written once or several times).
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        self.placeholder(self.binds.len())
    }

    /// Add a bind and append its placeholder.
    pub(crate) fn push_bind(&mut self, value: Bind) -> &mut Sql {
        let placeholder = self.bind(value);
        self.text.push_str(&placeholder);
        self
    }

    fn placeholder(&self, number: usize) -> String {
        match self.backend {
            Backend::Postgres => format!("${number}"),
            Backend::Sqlite => format!("?{number}"),
        }
    }

    /// Put text before what was written (binds keep their numbers).
    pub(crate) fn prepend(&mut self, text: &str) -> &mut Sql {
        self.text.insert_str(0, text);
        self
    }

    /// Run a statement that returns no rows; the number of rows it changed.
    pub(crate) fn execute(self, connection: &mut AnyConnection) -> Result<usize, StoreError> {
        Ok(self.execute_query(connection)?)
    }

    /// Run a query and load its rows.
    pub(crate) fn load<T>(self, connection: &mut AnyConnection) -> Result<Vec<T>, StoreError>
    where
        Sql: for<'c> LoadQuery<'c, AnyConnection, T>,
    {
        Ok(RunQueryDsl::load(self, connection)?)
    }

    fn execute_query(self, connection: &mut AnyConnection) -> diesel::QueryResult<usize> {
        RunQueryDsl::execute(self, connection)
    }

    /// Run a query expected to return at most one row.
    pub(crate) fn optional<T>(self, connection: &mut AnyConnection) -> Result<Option<T>, StoreError>
    where
        Sql: for<'c> LoadQuery<'c, AnyConnection, T>,
    {
        Ok(self.load(connection)?.into_iter().next())
    }
}

impl QueryFragment<MultiBackend> for Sql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> diesel::QueryResult<()> {
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        let marker = match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        };
        // The text holds no user data (every value is a bind), so a marker followed by digits
        // is always one of our placeholders.
        let mut rest = self.text.as_str();
        while let Some(at) = rest.find(marker) {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
            let bind = number
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.binds.get(i));
            match bind {
                Some(bind) => {
                    out.push_sql(&rest[..at]);
                    push_bind(&mut out, bind)?;
                }
                None => out.push_sql(&rest[..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

fn push_bind<'b>(
    out: &mut AstPass<'_, 'b, MultiBackend>,
    bind: &'b Bind,
) -> diesel::QueryResult<()> {
    match bind {
        Bind::Text(text) => out.push_bind_param::<Text, _>(text),
        Bind::OptionalText(text) => out.push_bind_param::<Nullable<Text>, _>(text),
        Bind::BigInt(number) => out.push_bind_param::<BigInt, _>(number),
        Bind::OptionalBigInt(number) => out.push_bind_param::<Nullable<BigInt>, _>(number),
        Bind::Double(number) => out.push_bind_param::<Double, _>(number),
        Bind::OptionalDouble(number) => out.push_bind_param::<Nullable<Double>, _>(number),
        Bind::Bool(flag) => out.push_bind_param::<Bool, _>(flag),
        Bind::OptionalBool(flag) => out.push_bind_param::<Nullable<Bool>, _>(flag),
    }
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

impl RunQueryDsl<AnyConnection> for Sql {}

/// `TRUE` and `FALSE` written so both backends read them as booleans.
pub(crate) const SQL_TRUE: &str = "(1 = 1)";
/// See [`SQL_TRUE`].
pub(crate) const SQL_FALSE: &str = "(1 = 0)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_the_backend_and_reusable() {
        for (backend, expected) in [
            (Backend::Postgres, "a = $1 AND b = $2 AND c = $1"),
            (Backend::Sqlite, "a = ?1 AND b = ?2 AND c = ?1"),
        ] {
            let mut sql = Sql::new(backend);
            let first = sql.bind(Bind::Text("x".into()));
            sql.push(&format!("a = {first} AND b = "))
                .push_bind(Bind::BigInt(2))
                .push(&format!(" AND c = {first}"));
            assert_eq!(sql.text, expected);
            assert_eq!(sql.binds.len(), 2);
        }
    }
}
