"""`toolkit push` of 10,000 pre-annotated tasks to Label Studio on PostgreSQL (the team stack) and on sqlite.

    .venv/bin/python bench/stack_export.py                 # 10,000 articles, appends to bench/RESULTS.md
    .venv/bin/python bench/stack_export.py --size 1000 --no-write

Two Label Studio 1.23.2 servers from the same virtualenv, each on a free loopback port: one over a fresh copy of
the migrated sqlite template (as `make label-studio` starts it), one over a PostgreSQL cluster started here as
`make stack` starts it (toolkit.servers.postgres, the database restored from the migrated dump). Each round pushes
the same articles file with rule pre-annotations (`push_tasks`, as `toolkit push --rules` runs it) into a new
empty project on each server, the order alternating between rounds; the best round counts, the machine being
shared. Then a re-run (nothing new to import) on each. Everything started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export import machine, write_articles  # noqa: E402

from toolkit.labelstudio import push  # noqa: E402
from toolkit.labelstudio.client import RetryPolicy, Settings, connect  # noqa: E402
from toolkit.labelstudio.project import init_project  # noqa: E402
from toolkit.labelstudio.push import push_tasks  # noqa: E402
from toolkit.predict import pre_annotations  # noqa: E402
from toolkit.servers import labelstudio, postgres, stack  # noqa: E402
from toolkit.servers._process import free_port  # noqa: E402

LS_VENV = ROOT / ".venv-labelstudio"


def start_both(workdir: Path, credentials: labelstudio.Credentials) -> dict[str, str]:
    """Label Studio on sqlite and on PostgreSQL; their URLs by backend."""
    sqlite = labelstudio.start_server(
        workdir / "ls-sqlite", free_port(), credentials, venv=LS_VENV,
        template_root=ROOT / ".cache" / "labelstudio-template",
    )  # fmt: skip
    password = secrets.token_urlsafe(18)
    postgres.init_cluster(workdir / "pg", password)
    cluster = postgres.start_cluster(workdir / "pg", free_port())
    database = {
        "DJANGO_DB": "default", "POSTGRE_NAME": "labelstudio", "POSTGRE_USER": postgres.SUPERUSER,
        "POSTGRE_PASSWORD": password, "POSTGRE_HOST": "127.0.0.1", "POSTGRE_PORT": str(cluster.port),
    }  # fmt: skip
    stack._labelstudio_database(
        cluster, password, database, workdir / "ls-pg", LS_VENV, ROOT / ".cache" / "stack-template"
    )
    pg = labelstudio.start_server(
        workdir / "ls-pg", free_port(), credentials, venv=LS_VENV, database=database, timeout=300
    )
    return {"sqlite": sqlite.url, "postgresql": pg.url}


def stop_all(workdir: Path) -> None:
    for data_dir in ("ls-sqlite", "ls-pg"):
        labelstudio.stop_server(workdir / data_dir)
    postgres.stop_cluster(workdir / "pg")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument(
        "--subset", type=int, default=1000, help="articles pushed again into the full project"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    began_load = os.getloadavg()
    credentials = labelstudio.Credentials(
        "bench@toolkit.local", secrets.token_urlsafe(16), secrets.token_hex(20)
    )
    times: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    reruns: dict[str, float] = {}
    subsets: dict[tuple[str, str], list[float]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-stack-export-"))
    os.chmod(workdir, 0o711)  # as root, PostgreSQL runs as `postgres`, who must reach its data dir
    try:
        urls = start_both(workdir, credentials)
        clients = {
            name: connect(Settings(url, credentials.api_key, timeout=600), retry=RetryPolicy())
            for name, url in urls.items()
        }
        articles = write_articles(workdir / "articles.jsonl", args.size)
        predictor = partial(pre_annotations, rules=True)
        spans = 0
        for round_ in range(args.repeat):
            for name in ("sqlite", "postgresql") if round_ % 2 == 0 else ("postgresql", "sqlite"):
                title = f"bench {args.size} #{round_}"
                init_project(title, client=clients[name])
                start = time.perf_counter()
                result = push_tasks(
                    articles, title, predictor=predictor, batch_size=args.batch_size, client=clients[name]
                )
                times[name].append(time.perf_counter() - start)
                assert result.created == args.size, result
                spans = result.spans
                print(
                    json.dumps({"backend": name, "round": round_, "seconds": round(times[name][-1], 2)}),
                    flush=True,
                )
        for name, client in clients.items():
            start = time.perf_counter()
            again = push_tasks(
                articles, title, predictor=predictor, batch_size=args.batch_size, client=client
            )
            reruns[name] = time.perf_counter() - start
            assert again.created == 0, again
        # Archive scale: a few articles pushed again, with their pre-annotations, into a project that holds many
        # more tasks: asked by id (the server filters) against the whole project listed (tasks, then every
        # prediction), as before.
        subset = workdir / "subset.jsonl"
        subset.write_text(
            "".join(articles.read_text(encoding="utf-8").splitlines(keepends=True)[: args.subset]),
            encoding="utf-8",
        )
        for name, client in clients.items():
            for how in ("listed", "by id", "listed", "by id"):
                with patch.object(
                    push, "_ask_by_id", (lambda held, asked: False) if how == "listed" else push._ask_by_id
                ):
                    start = time.perf_counter()
                    again = push_tasks(
                        subset, title, predictor=predictor, batch_size=args.batch_size, client=client
                    )
                subsets.setdefault((name, how), []).append(time.perf_counter() - start)
                assert again.created == 0 and again.predictions_added == 0, again
    finally:
        stop_all(workdir)
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    command = ("python bench/stack_export.py " + " ".join(sys.argv[1:])).strip()
    lines = [
        "",
        "## Label Studio export: PostgreSQL (make stack) vs sqlite",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · label-studio 1.23.2, PostgreSQL "
        f"{(postgres.find_binaries() or Path('?')).parent.name} (Debian), server and client on the same machine",
        "",
        f"Command: `.venv/bin/{command}` ({time.perf_counter() - began:.0f} s in all). `push_tasks` as "
        f"`toolkit push --rules` runs it, {args.size:,} articles ({spans:,} rule spans), batches of {args.batch_size}, "
        f"into a new empty project per round; best of {args.repeat} rounds, order alternating.",
        "",
        "| backend | best s | tasks/s | all rounds s | re-run (nothing new) s |",
        "|---|---:|---:|---|---:|",
    ]
    for name, values in times.items():
        lines.append(
            f"| {name} | {min(values):.2f} | {args.size / min(values):,.0f} | {[round(v, 2) for v in values]} "
            f"| {reruns[name]:.2f} |"
        )
    lines += [
        "",
        f"Archive scale: {args.subset:,} of those articles pushed again with their pre-annotations (nothing new) "
        f"into the last project, which holds {args.size:,} tasks: the project listed whole (its tasks, then every "
        "prediction: what `toolkit push` did before) against the server asked about those ids only (Data Manager "
        "`in_list` filter on `data.article_id`, then on the tasks' ids for their predictions). Two runs each, "
        "alternating.",
        "",
        "| backend | listed whole s | asked by id s |",
        "|---|---:|---:|",
    ]
    for name in times:
        listed, by_id = subsets[(name, "listed")], subsets[(name, "by id")]
        lines.append(f"| {name} | {[round(v, 2) for v in listed]} | {[round(v, 2) for v in by_id]} |")
    lines.append(f"\nLoad average (1/5/15 min) at the start: {began_load}; at the end: {os.getloadavg()}.")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        with args.results.open("a", encoding="utf-8") as stream:
            stream.write(section)
        print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
