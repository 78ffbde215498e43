//! Raw SQL with bound parameters for both backends: [`Sql`] writes `$n` (PostgreSQL) or
//! `?n` (SQLite; a bare `$n` there binds by first appearance, silently wrong) and collects
//! typed binds, run through Diesel's boxed `sql_query`.

use diesel::RunQueryDsl;
use diesel::query_builder::BoxedSqlQuery;
use diesel::query_builder::SqlQuery;
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};

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
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: Backend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            binds: Vec::new(),
        }
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

    fn query(self) -> BoxedSqlQuery<'static, MultiBackend, SqlQuery> {
        let mut query = diesel::sql_query(self.text).into_boxed::<MultiBackend>();
        for value in self.binds {
            query = match value {
                Bind::Text(text) => query.bind::<Text, _>(text),
                Bind::OptionalText(text) => query.bind::<Nullable<Text>, _>(text),
                Bind::BigInt(number) => query.bind::<BigInt, _>(number),
                Bind::OptionalBigInt(number) => query.bind::<Nullable<BigInt>, _>(number),
                Bind::Double(number) => query.bind::<Double, _>(number),
                Bind::OptionalDouble(number) => query.bind::<Nullable<Double>, _>(number),
                Bind::Bool(flag) => query.bind::<Bool, _>(flag),
                Bind::OptionalBool(flag) => query.bind::<Nullable<Bool>, _>(flag),
            };
        }
        query
    }

    /// Run a statement that returns no rows; the number of rows it changed.
    pub(crate) fn execute(self, connection: &mut AnyConnection) -> Result<usize, StoreError> {
        Ok(self.query().execute(connection)?)
    }

    /// Run a query and load its rows.
    pub(crate) fn load<T>(self, connection: &mut AnyConnection) -> Result<Vec<T>, StoreError>
    where
        BoxedSqlQuery<'static, MultiBackend, SqlQuery>: for<'c> LoadQuery<'c, AnyConnection, T>,
    {
        Ok(self.query().load(connection)?)
    }

    /// Run a query expected to return at most one row.
    pub(crate) fn optional<T>(self, connection: &mut AnyConnection) -> Result<Option<T>, StoreError>
    where
        BoxedSqlQuery<'static, MultiBackend, SqlQuery>: for<'c> LoadQuery<'c, AnyConnection, T>,
    {
        Ok(self.load(connection)?.into_iter().next())
    }
}

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
