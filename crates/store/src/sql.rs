//! Raw SQL with bound parameters for both backends: [`Sql`] writes `$n` (PostgreSQL) or
//! `?n` (SQLite) placeholders, each usable several times and in any order, and collects typed
//! binds. When run, each placeholder becomes one Diesel bind in text order (so SQLite's
//! first-appearance numbering can never bind wrongly), and statements marked
//! [`Sql::cacheable`] (a bounded set of shapes) are prepared once per connection by Diesel's
//! statement cache; the others are prepared each time.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::ops::Range;

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Untyped};
use diesel::{PgConnection, RunQueryDsl, SqliteConnection};

use crate::connection::AnyConnection;
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
    /// The text cut at its placeholders, worked out on the first walk (Diesel walks a
    /// statement several times per run: for its text, its cache key and its binds).
    pieces: OnceCell<Vec<Piece>>,
}

/// A run of text, or the bind a placeholder names.
#[derive(Debug, Clone)]
enum Piece {
    Text(Range<usize>),
    Bind(usize),
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: Backend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            binds: Vec::new(),
            cacheable: false,
            pieces: OnceCell::new(),
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
        self.pieces = OnceCell::new();
        self.text.push_str(text);
        self
    }

    /// Add a bind and return its placeholder (to be written once or several times).
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        self.placeholder(self.binds.len())
    }

    /// Add a bind and append its placeholder (written in place: a multi-row insert has
    /// hundreds).
    pub(crate) fn push_bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        self.pieces = OnceCell::new();
        // Writing into a String cannot fail.
        let _ = write!(self.text, "{}{}", self.marker(), self.binds.len());
        self
    }

    fn placeholder(&self, number: usize) -> String {
        format!("{}{number}", self.marker())
    }

    /// What starts a placeholder: `$` (PostgreSQL) or `?` (SQLite).
    fn marker(&self) -> char {
        match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        }
    }

    /// Put text before what was written (binds keep their numbers).
    pub(crate) fn prepend(&mut self, text: &str) -> &mut Sql {
        self.pieces = OnceCell::new();
        self.text.insert_str(0, text);
        self
    }

    /// Run a statement that returns no rows; the number of rows it changed.
    pub(crate) fn execute(self, connection: &mut AnyConnection) -> Result<usize, StoreError> {
        Ok(match connection {
            AnyConnection::Sqlite(sqlite) => RunQueryDsl::execute(self, sqlite)?,
            AnyConnection::Postgresql(pg) => RunQueryDsl::execute(self, pg)?,
        })
    }

    /// Run a query and load its rows.
    pub(crate) fn load<T>(self, connection: &mut AnyConnection) -> Result<Vec<T>, StoreError>
    where
        Sql: for<'c> LoadQuery<'c, SqliteConnection, T> + for<'c> LoadQuery<'c, PgConnection, T>,
    {
        Ok(match connection {
            AnyConnection::Sqlite(sqlite) => RunQueryDsl::load(self, sqlite)?,
            AnyConnection::Postgresql(pg) => RunQueryDsl::load(self, pg)?,
        })
    }

    /// Run a query expected to return at most one row.
    pub(crate) fn optional<T>(self, connection: &mut AnyConnection) -> Result<Option<T>, StoreError>
    where
        Sql: for<'c> LoadQuery<'c, SqliteConnection, T> + for<'c> LoadQuery<'c, PgConnection, T>,
    {
        Ok(self.load(connection)?.into_iter().next())
    }
}

impl Sql {
    /// The text cut at its placeholders. The text holds no user data (every value is a
    /// bind), so a marker followed by digits naming a bind is always one of ours.
    fn cut(&self) -> Vec<Piece> {
        let marker = self.marker() as u8;
        let bytes = self.text.as_bytes();
        let mut pieces = Vec::with_capacity(2 * self.binds.len() + 1);
        let mut start = 0;
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at] != marker {
                at += 1;
                continue;
            }
            let digits = bytes[at + 1..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            let number: Option<usize> = self.text[at + 1..at + 1 + digits].parse().ok();
            if let Some(index) = number
                .and_then(|n| n.checked_sub(1))
                .filter(|i| *i < self.binds.len())
            {
                if start < at {
                    pieces.push(Piece::Text(start..at));
                }
                pieces.push(Piece::Bind(index));
                start = at + 1 + digits;
            }
            at += 1 + digits;
        }
        if start < bytes.len() {
            pieces.push(Piece::Text(start..bytes.len()));
        }
        pieces
    }
}

/// `Sql` runs on the concrete connection inside [`AnyConnection`] ([`Sql::execute`],
/// [`Sql::load`]), not through the enum: Diesel's multi-connection wrapper writes a
/// statement's text out again on every walk (for its cache key, its cacheability and its
/// binds), which cost more than the statement itself on SQLite.
impl<DB> QueryFragment<DB> for Sql
where
    DB: diesel::backend::Backend
        + HasSqlType<Text>
        + HasSqlType<BigInt>
        + HasSqlType<Double>
        + HasSqlType<Bool>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    f64: ToSql<Double, DB>,
    bool: ToSql<Bool, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        for piece in self.pieces.get_or_init(|| self.cut()) {
            match piece {
                Piece::Text(range) => out.push_sql(&self.text[range.clone()]),
                Piece::Bind(index) => match &self.binds[*index] {
                    Bind::Text(text) => out.push_bind_param::<Text, _>(text)?,
                    Bind::OptionalText(text) => out.push_bind_param::<Nullable<Text>, _>(text)?,
                    Bind::BigInt(number) => out.push_bind_param::<BigInt, _>(number)?,
                    Bind::OptionalBigInt(number) => {
                        out.push_bind_param::<Nullable<BigInt>, _>(number)?
                    }
                    Bind::Double(number) => out.push_bind_param::<Double, _>(number)?,
                    Bind::OptionalDouble(number) => {
                        out.push_bind_param::<Nullable<Double>, _>(number)?
                    }
                    Bind::Bool(flag) => out.push_bind_param::<Bool, _>(flag)?,
                    Bind::OptionalBool(flag) => out.push_bind_param::<Nullable<Bool>, _>(flag)?,
                },
            }
        }
        Ok(())
    }
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

impl RunQueryDsl<SqliteConnection> for Sql {}
impl RunQueryDsl<PgConnection> for Sql {}

/// The most rows one multi-row insert takes (32 rows of 9 binds stay far below SQLite's
/// bind limit).
const MOST_ROWS: usize = 32;

/// How to split `total` rows into multi-row inserts: full ones of [`MOST_ROWS`], then one of
/// what is left. A group-commit batch of a few jobs appends its rows in one statement; the
/// shapes (1 to 32 rows) are a bounded set, each prepared once per connection and kept in
/// the statement cache.
pub(crate) fn batch_sizes(total: usize) -> Vec<usize> {
    let mut sizes = vec![MOST_ROWS; total / MOST_ROWS];
    let rest = total % MOST_ROWS;
    if rest > 0 {
        sizes.push(rest);
    }
    sizes
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

    #[test]
    fn rows_are_inserted_in_statements_of_at_most_32_rows() {
        for (total, expected) in [
            (0, vec![]),
            (1, vec![1]),
            (3, vec![3]),
            (25, vec![25]),
            (32, vec![32]),
            (64, vec![32, 32]),
            (150, vec![32, 32, 32, 32, 22]),
        ] {
            let sizes = batch_sizes(total);
            assert_eq!(sizes, expected, "{total}");
            assert_eq!(sizes.iter().sum::<usize>(), total);
        }
    }

    #[test]
    fn the_text_is_cut_at_the_placeholders_that_name_a_bind() {
        let mut sql = Sql::new(Backend::Sqlite);
        let first = sql.bind(Bind::Text("x".into()));
        sql.push(&format!("a = {first} AND b = "))
            .push_bind(Bind::BigInt(2))
            .push(&format!(" AND c = {first} AND d = '?9' AND e = ?"));
        let shown: Vec<String> = sql
            .cut()
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(range) => sql.text[range].to_owned(),
                Piece::Bind(index) => format!("<{index}>"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "a = ",
                "<0>",
                " AND b = ",
                "<1>",
                " AND c = ",
                "<0>",
                " AND d = '?9' AND e = ?"
            ]
        );
        // Writing more after a walk cuts the text again.
        let _ = sql.pieces.get_or_init(|| sql.cut());
        sql.push(" AND f = ").push_bind(Bind::Bool(true));
        assert!(sql.pieces.get().is_none());
        assert!(matches!(sql.cut().last(), Some(Piece::Bind(2))));
    }
}
