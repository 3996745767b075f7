"""Property and Tag search on PostgreSQL with and without indexes.

    python -m benchmarks.pg_indexes

Fills a scratch database with 10,000 artifacts through the raw driver, then
times the store's Property and Tag conditions (substring containment on the
search document) with no index, a GIN index on the search document
(jsonb_path_ops and jsonb_ops) and a B-tree on one path expression, printing
each plan; and, for contrast, exact-element containment (`@>`), which GIN serves.
"""

import time

from benchmarks.raw import _CONDITIONS, RawStore
from benchmarks.scratch import scratch_urls
from benchmarks.workload import make_artifact


def main() -> None:
    """Fill a scratch database and time each index variant (importing this runs nothing)."""
    with scratch_urls("postgresql", 1) as (url,):
        raw = RawStore(url)
        _, v = raw.create_parents("m", "v")
        for s in range(0, 10000, 2000):
            raw.write_many(v, [make_artifact(i) for i in range(s, s + 2000)])
        c = raw._connection
        cur = c.cursor()
        cur.execute("ANALYZE mlte_artifact")
        c.commit()
        prop = (
            "SELECT count(*) FROM mlte_artifact WHERE version_id = %s AND "
            + _CONDITIONS["postgresql"]["property"]
        )
        tag = (
            "SELECT count(*) FROM mlte_artifact WHERE version_id = %s AND "
            + _CONDITIONS["postgresql"]["tag"]
        )
        pp = ["kbody", "kmetadata", "ktest_case_id"]
        tp = ["kbody", "ktags"]

        def run(label):
            for name, sql, params in (
                ("property", prop, (v, pp, pp, "accuracy_42")),
                ("tag", tag, (v, tp, tp, "suite-42")),
            ):
                ts = []
                for _ in range(5):
                    t = time.perf_counter()
                    cur.execute(sql, params)
                    n = cur.fetchone()[0]
                    ts.append(time.perf_counter() - t)
                cur.execute("EXPLAIN " + sql, params)
                plan = " / ".join(r[0].strip() for r in cur.fetchall())
                print(
                    f"{label:28} {name:8} {sorted(ts)[2] * 1000:7.1f} ms  matches={n}  "
                    f"plan: {plan[:160]}"
                )
            c.commit()

        run("no index")
        cur.execute("CREATE INDEX ix_gin ON mlte_artifact USING gin (search jsonb_path_ops)")
        c.commit()
        cur.execute("ANALYZE mlte_artifact")
        c.commit()
        run("GIN jsonb_path_ops")
        cur.execute("DROP INDEX ix_gin; CREATE INDEX ix_gin2 ON mlte_artifact USING gin (search)")
        c.commit()
        cur.execute("ANALYZE mlte_artifact")
        c.commit()
        run("GIN jsonb_ops")
        cur.execute(
            "DROP INDEX ix_gin2; CREATE INDEX ix_expr ON mlte_artifact "
            "((search #>> '{kbody,kmetadata,ktest_case_id}'))"
        )
        c.commit()
        cur.execute("ANALYZE mlte_artifact")
        c.commit()
        run("btree on the path expression")
        # Exact-element containment, which GIN serves (other semantics: equality, not substring).
        cur.execute(
            "DROP INDEX ix_expr; "
            "CREATE INDEX ix_gin3 ON mlte_artifact USING gin (search jsonb_path_ops)"
        )
        c.commit()
        cur.execute("ANALYZE mlte_artifact")
        c.commit()
        for _ in range(1):
            sql = "SELECT count(*) FROM mlte_artifact WHERE version_id = %s AND search @> %s::jsonb"
            t = time.perf_counter()
            cur.execute(sql, (v, '{"kbody": {"ktags": ["suite-42"]}}'))
            n = cur.fetchone()[0]
            dt = time.perf_counter() - t
            cur.execute("EXPLAIN " + sql, (v, '{"kbody": {"ktags": ["suite-42"]}}'))
            plan = " / ".join(r[0].strip() for r in cur.fetchall())
            print(
                f"{'GIN, exact element @>':28} tag=     {dt * 1000:7.1f} ms  matches={n}  "
                f"plan: {plan[:160]}"
            )
        c.commit()
        raw.close()


if __name__ == "__main__":
    main()
