//! Fault injection: triggers that make the database refuse every insert into a table, in each
//! engine's dialect, and remove that refusal again.

use super::Backend;

/// SQL that makes every insert into `table` fail with `message`.
pub fn refuse_inserts(backend: Backend, table: &str, message: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}
             BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION '{message}'; END $$;
             CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}
             FOR EACH ROW EXECUTE FUNCTION fail_{table}();"
        ),
    }
}

/// SQL that undoes [`refuse_inserts`] for `table`.
pub fn allow_inserts(backend: Backend, table: &str) -> String {
    match backend {
        Backend::Sqlite => format!("DROP TRIGGER fail_{table};"),
        Backend::Postgres => {
            format!("DROP TRIGGER fail_{table} ON {table}; DROP FUNCTION fail_{table}();")
        }
    }
}
