"""The store's internals (not public API): everything between the facade and the tables.

Three rules hold here (docs/architecture.md draws them):

- `connection.Database.transaction()` is the only place a transaction opens or
  commits and the only place driver errors become the library's errors; only
  `repository` calls it;
- the operations (`parents`, `artifacts`, `revisions`, one per table) take the
  open `Tx`, never open or commit one, and call only downwards;
- every statement is built in `statements` or `revision_statements` (pure
  builders; hot paths cached by their shape), and rows are unpacked only by the
  functions of `rows`, beside their column tuples.

    repository -> connection.Database.transaction -> Tx
               -> parents / artifacts / revisions (take the Tx)
                    -> statements, revision_statements -> rows, filters, tables
"""
