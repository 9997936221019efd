"""`toolkit export` against one raw `import_tasks` call of the same JSON, on the same local Label Studio server.

    .venv/bin/python bench/export.py                      # 1,000 and 10,000 articles, appends to bench/RESULTS.md
    .venv/bin/python bench/export.py --sizes 200 --no-write

For each size: made-up FR/EN articles are written as an ingested articles file; the exact task JSON (with the
rule pre-annotations) comes from `push_tasks(..., output=...)`, the --dry-run path; then, each into a fresh
project, one raw SDK `projects.import_tasks` call of that JSON (already in memory), and `push_tasks` with
--rules as the CLI runs it: read and check the articles, compute and check the pre-annotations, list the
project's tasks, import in batches. The raw call goes first, so a server slowing down as its database grows
counts against the toolkit. A second `push_tasks` (nothing left to import) shows the cost of idempotency.
Its own server: a fresh data dir from the migrated template, on a free port, stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import write_section  # noqa: E402  (bench/, the script's own folder)

from toolkit.ingest.synthetic import synthetic_articles  # noqa: E402
from toolkit.labelstudio.client import RetryPolicy, Settings, connect  # noqa: E402
from toolkit.labelstudio.project import init_project  # noqa: E402
from toolkit.labelstudio.push import push_tasks  # noqa: E402
from toolkit.predict import pre_annotations  # noqa: E402
from toolkit.records import Article, text_hash  # noqa: E402
from toolkit.servers.labelstudio import Credentials, free_port, start_server, stop_server  # noqa: E402
from toolkit.text.sentences import split_sentences  # noqa: E402

BEGIN, END = "<!-- labelstudio-export:begin -->", "<!-- labelstudio-export:end -->"


def write_articles(path: Path, count: int, seed: int = 11) -> Path:
    """`count` made-up articles (toolkit.ingest.synthetic), written as `toolkit ingest` would write them."""
    with path.open("w", encoding="utf-8") as stream:
        for raw in synthetic_articles(count, seed, prefix="bench"):
            text, lang = raw["text"], raw["lang"]
            article = Article(
                raw["id"], raw["title"], text, lang, text_hash(text), "bench", split_sentences(text, lang)
            )
            stream.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
    return path


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, Linux {platform.release()}"


def measure(client, sdk, articles: Path, size: int, batch_size: int, workdir: Path, repeat: int) -> dict:
    """Best of `repeat` rounds, each into new empty projects: the machine is shared. The order alternates
    (raw first in even rounds), since every import makes the server's database larger for the next one."""
    tasks_file = workdir / f"tasks-{size}.json"
    push_tasks(articles, "", predictor=partial(pre_annotations, rules=True), output=tasks_file)
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    raws, toolkits = [], []
    for round_ in range(repeat):
        raw_project = init_project(f"bench raw {size} #{round_}", client=client).project_id
        title = f"bench toolkit {size} #{round_}"
        init_project(title, client=client)
        for side in ("raw", "toolkit") if round_ % 2 == 0 else ("toolkit", "raw"):
            began = time.perf_counter()
            if side == "raw":
                sdk.projects.import_tasks(id=raw_project, request=tasks)
                raws.append(time.perf_counter() - began)
            else:
                result = push_tasks(
                    articles,
                    title,
                    predictor=partial(pre_annotations, rules=True),
                    batch_size=batch_size,
                    client=client,
                )
                toolkits.append(time.perf_counter() - began)
        counted = [sdk.projects.get(project).task_number for project in (raw_project, result.project_id)]
        assert result.created == size and counted == [size, size], (result, counted)
    began = time.perf_counter()
    again = push_tasks(
        articles, title, predictor=partial(pre_annotations, rules=True), batch_size=batch_size, client=client
    )
    rerun = time.perf_counter() - began
    assert again.created == 0, again
    return {
        "size": size,
        "spans": result.spans,
        "raw": min(raws),
        "toolkit": min(toolkits),
        "raw_all": [round(value, 2) for value in raws],
        "toolkit_all": [round(value, 2) for value in toolkits],
        "rerun": rerun,
        "requests": result.batches,
        "ratio": min(toolkits) / min(raws),
    }


def report(rows: list[dict], command: str, batch_size: int, repeat: int, seconds: float) -> str:
    lines = [
        "## Label Studio export",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · label-studio 1.23.2, label-studio-sdk 2.1.2, "
        "sqlite, server and client on the same machine",
        "",
        f"Command: `{command}` ({seconds:.0f} s in all). Rule pre-annotations on every task; toolkit batches of "
        f"{batch_size}; best of {repeat} rounds per side (raw first in rounds 1 and 3, toolkit first in round 2); raw = one `projects.import_tasks` call of the same JSON, already in memory, into an "
        "empty project; toolkit = `push_tasks` as `toolkit export --rules` runs it (read, pre-annotate, "
        "check, list existing tasks, import), into another empty project. Target: toolkit ≤ 1.2× raw. Both run "
        "in one process: the `toolkit` command adds ~1.5 s of imports once (label_studio_sdk imports pandas).",
        "",
        "| articles | spans | raw import s | raw tasks/s | toolkit export s | toolkit tasks/s | requests "
        "| toolkit / raw | re-run (nothing new) s | all rounds raw / toolkit s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | {row['spans']:,} | {row['raw']:.2f} | {row['size'] / row['raw']:,.0f} "
            f"| {row['toolkit']:.2f} | {row['size'] / row['toolkit']:,.0f} | {row['requests']} "
            f"| {row['ratio']:.2f}× | {row['rerun']:.2f} | {row['raw_all']} / {row['toolkit_all']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds per size; the best time of each side counts"
    )
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        data_dir = workdir / "labelstudio"
        credentials = Credentials("bench@toolkit.local", secrets.token_urlsafe(16), secrets.token_hex(20))
        server = start_server(data_dir, free_port(), credentials, venv=ROOT / ".venv-labelstudio",
                              template_root=ROOT / ".cache" / "labelstudio-template")  # fmt: skip
        try:
            client = connect(Settings(server.url, credentials.api_key, timeout=600), retry=RetryPolicy())
            sdk = client.sdk
            rows = []
            for size in args.sizes:
                articles = write_articles(workdir / f"articles-{size}.jsonl", size)
                rows.append(measure(client, sdk, articles, size, args.batch_size, workdir, args.repeat))
                print(json.dumps(rows[-1]), flush=True)
        finally:
            stop_server(data_dir)
    command = ".venv/bin/python bench/export.py " + " ".join(sys.argv[1:])
    section = report(rows, command.strip(), args.batch_size, args.repeat, time.perf_counter() - began)
    print(section)
    if not args.no_write:
        write_section(args.results, section, BEGIN, END)
        print(f"wrote the 'Label Studio export' section of {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
